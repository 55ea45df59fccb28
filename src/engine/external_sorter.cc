#include "engine/external_sorter.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "engine/sqlite_varint.h"

namespace cofre {
namespace {

constexpr size_t kMinBudget = 64 << 10;
// Reads of runs come from the page cache (runs are read back soon after being written): small
// buffers cost a few more preads, while a fan-in too small for the run count makes intermediate
// passes that write the data again (at a 4 GiB restore, 0.7 GB more of sorter I/O with 64 KiB).
constexpr size_t kMinReadBuffer = 16 << 10;
constexpr size_t kMaxWriteBuffer = 1 << 20;
// Entry offsets and sizes are 32-bit.
constexpr size_t kMaxBlock = (size_t{1} << 32) - 16;
// Fewer buffered entries than this are sorted by comparisons alone: the radix passes' counts
// (8 KiB) and scratch cost more than they save.
constexpr size_t kMinRadixEntries = 1024;
// Words (8 bytes each) of a record the byte order's radix passes look at, the prefix included.
constexpr size_t kMaxRadixDepth = 4;

}  // namespace

// One run being read back: its unread file range and a buffer holding the current record.
struct ExternalSorter::RunReader {
  uint64_t next_offset = 0;  // File offset of the first byte not yet in `buf`.
  uint64_t end_offset = 0;
  std::unique_ptr<char[]> buf;
  size_t cap = 0;
  size_t pos = 0;  // First unconsumed byte in `buf`.
  size_t len = 0;  // Bytes valid in `buf`.
  std::string_view current;
  uint64_t prefix = 0;
};

// A k-way merge of runs of the temporary file, smallest record first, through a binary heap.
class ExternalSorter::Merger {
 public:
  Merger(const SortOrder* order, int fd, std::string display)
      : order_(order), bytewise_(order->bytewise()), fd_(fd), display_(std::move(display)) {}

  // Opens `runs`, each with a read buffer of `buffer_size` bytes, and loads their first records.
  Status Open(const std::vector<Run>& runs, size_t buffer_size) {
    readers_.resize(runs.size());
    for (size_t i = 0; i < runs.size(); ++i) {
      RunReader& r = readers_[i];
      r.next_offset = runs[i].offset;
      r.end_offset = runs[i].offset + runs[i].bytes;
      r.cap = buffer_size;
      r.buf.reset(new char[r.cap]);  // Not value-initialized: untouched pages cost no memory.
      bool has = false;
      RETURN_IF_ERROR(Load(&r, &has));
      if (has) heap_.push_back(&r);
    }
    for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
    return Status::OK();
  }

  // The next record in order; it stays valid until the following call.
  StatusOr<bool> Next(std::string_view* record) {
    if (advance_pending_) {
      advance_pending_ = false;
      bool has = false;
      RETURN_IF_ERROR(Load(heap_[0], &has));
      if (!has) {
        heap_[0] = heap_.back();
        heap_.pop_back();
      }
      if (!heap_.empty()) SiftDown(0);
    }
    if (heap_.empty()) return false;
    *record = heap_[0]->current;
    advance_pending_ = true;
    return true;
  }

 private:
  bool Less(const RunReader* a, const RunReader* b) const {
    if (a->prefix != b->prefix) return a->prefix < b->prefix;
    if (bytewise_) return BytewiseOrder::CompareBytes(a->current, b->current) < 0;
    return order_->Compare(a->current, b->current) < 0;
  }

  void SiftDown(size_t i) {
    const size_t n = heap_.size();
    RunReader* item = heap_[i];
    while (true) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && Less(heap_[child + 1], heap_[child])) ++child;
      if (!Less(heap_[child], item)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = item;
  }

  Status Corrupt() const {
    return DataLossError("the temporary sort file in " + display_ +
                         " does not read back as written; check the device");
  }

  // Moves the unconsumed bytes to the front of the buffer (growing it to `need` bytes when
  // smaller) and fills the rest from the file.
  Status Refill(RunReader* r, size_t need) {
    const size_t keep = r->len - r->pos;
    if (need > r->cap) {
      std::unique_ptr<char[]> bigger(new char[need]);
      std::memcpy(bigger.get(), r->buf.get() + r->pos, keep);
      r->buf = std::move(bigger);
      r->cap = need;
    } else if (keep > 0 && r->pos > 0) {
      std::memmove(r->buf.get(), r->buf.get() + r->pos, keep);
    }
    r->pos = 0;
    r->len = keep;
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(r->cap - keep, r->end_offset - r->next_offset));
    if (want == 0) return Status::OK();
    ASSIGN_OR_RETURN(size_t got,
                     PreadFully(fd_, r->next_offset, r->buf.get() + keep, want, display_));
    if (got != want) return Corrupt();
    r->next_offset += got;
    r->len += got;
    return Status::OK();
  }

  // Advances `r` to its next record; `*has` is false at the end of the run.
  Status Load(RunReader* r, bool* has) {
    const bool file_left = r->next_offset < r->end_offset;
    if (r->pos == r->len && !file_left) {
      *has = false;
      r->current = {};
      return Status::OK();
    }
    if (r->len - r->pos < sqlite_varint::kMaxBytes && file_left) {
      RETURN_IF_ERROR(Refill(r, 0));
    }
    uint64_t size;
    size_t h = sqlite_varint::Get(reinterpret_cast<const uint8_t*>(r->buf.get() + r->pos),
                                  r->len - r->pos, &size);
    if (h == 0) return Corrupt();
    if (size > r->len - r->pos - h) {
      if (size - (r->len - r->pos - h) > r->end_offset - r->next_offset) {
        return Corrupt();  // Runs past the end of the run.
      }
      RETURN_IF_ERROR(Refill(r, h + static_cast<size_t>(size)));
      if (size > r->len - h) return Corrupt();
    }
    r->current = std::string_view(r->buf.get() + r->pos + h, static_cast<size_t>(size));
    r->pos += h + static_cast<size_t>(size);
    r->prefix = bytewise_ ? BytewiseOrder::Word(r->current, 0) : order_->SortPrefix(r->current);
    *has = true;
    return Status::OK();
  }

  const SortOrder* order_;
  const bool bytewise_;
  int fd_;
  std::string display_;
  std::vector<RunReader> readers_;
  std::vector<RunReader*> heap_;
  bool advance_pending_ = false;
};

ExternalSorter::ExternalSorter(const SortOrder* order, size_t memory_budget, std::string temp_dir)
    : order_(order), bytewise_(order->bytewise()), temp_dir_(std::move(temp_dir)) {
  budget_ = std::max(memory_budget, kMinBudget);
  write_buffer_size_ = std::clamp<size_t>(budget_ / 16, 4 << 10, kMaxWriteBuffer);
  max_fan_in_ = std::max<size_t>(2, (budget_ - write_buffer_size_) / kMinReadBuffer);
  block_cap_ = std::min(budget_ - write_buffer_size_, kMaxBlock) & ~size_t{15};
}

ExternalSorter::~ExternalSorter() { std::free(block_); }

std::string ExternalSorter::Display() const { return "'" + temp_dir_ + "'"; }

Status ExternalSorter::Fail(Status s) {
  if (status_.ok()) status_ = s;
  return s;
}

ExternalSorter::Entry* ExternalSorter::entries_begin() const {
  return reinterpret_cast<Entry*>(block_ + block_cap_) - entries_;
}

Status ExternalSorter::Add(std::string_view record) {
  if (!status_.ok()) return status_;
  if (finished_) return FailedPreconditionError("ExternalSorter::Add after Finish");
  const size_t need = record.size() + sizeof(Entry);
  if (block_ == nullptr) {
    // malloc, not new[]{}: pages the input never reaches are never touched.
    block_ = static_cast<char*>(std::malloc(block_cap_));
    if (block_ == nullptr) {
      return Fail(ResourceExhaustedError("out of memory allocating a " +
                                         std::to_string(block_cap_ >> 10) + " KiB sort buffer"));
    }
  }
  if (need > block_cap_ - arena_used_ - entries_ * sizeof(Entry)) {
    if (entries_ > 0) RETURN_IF_ERROR(SpillBuffer());
    if (need > block_cap_) return SpillSingle(record);
  }
  if (!record.empty()) std::memcpy(block_ + arena_used_, record.data(), record.size());
  Entry* e = entries_begin() - 1;
  e->prefix = bytewise_ ? BytewiseOrder::Word(record, 0) : order_->SortPrefix(record);
  e->offset = static_cast<uint32_t>(arena_used_);
  e->size = static_cast<uint32_t>(record.size());
  arena_used_ += record.size();
  ++entries_;
  return Status::OK();
}

void ExternalSorter::SortEntries() {
  if (entries_ == 0) return;
  Entry* begin = entries_begin();
  const char* base = block_;
  const SortOrder* order = order_;
  const bool bytewise = bytewise_;
  // The entries in prefix order first, then each run of equal prefixes by the full order: the
  // radix passes cost a few memory sweeps, where a comparison sort of the whole buffer compares
  // (and mispredicts) about log2(n) times per entry. Under the byte order, a long run of equal
  // prefixes (an index's leading column with few values) is sorted the same way by its next 8
  // bytes, down to kMaxRadixDepth words.
  //
  // The scratch is kept from one run to the next: the budget's buffer fills to about as many
  // entries each time, and a fresh allocation would fault its pages in again.
  if (entries_ >= kMinRadixEntries && scratch_capacity_ < entries_) {
    scratch_.reset(new (std::nothrow) Entry[entries_]);
    scratch_capacity_ = scratch_ ? entries_ : 0;
  }
  Entry* scratch = scratch_capacity_ >= entries_ ? scratch_.get() : nullptr;
  auto by_prefix = [&](Entry* first, size_t n) {
    if (scratch && n >= kMinRadixEntries) {
      RadixSortByPrefix(first, n, scratch);
    } else {
      std::sort(first, first + n,
                [](const Entry& a, const Entry& b) { return a.prefix < b.prefix; });
    }
  };
  auto full_order = [base, order, bytewise](const Entry& a, const Entry& b) {
    const std::string_view x(base + a.offset, a.size), y(base + b.offset, b.size);
    return (bytewise ? BytewiseOrder::CompareBytes(x, y) : order->Compare(x, y)) < 0;
  };
  // Sorts [first, first + n), already in order by the words before `depth`, whose prefixes hold
  // word `depth` of each record.
  auto sort_runs = [&](auto& self, Entry* first, size_t n, size_t depth) -> void {
    by_prefix(first, n);
    for (Entry *run = first, *end = first + n; run != end;) {
      Entry* next = run + 1;
      while (next != end && next->prefix == run->prefix) ++next;
      const size_t ties = static_cast<size_t>(next - run);
      if (ties >= kMinRadixEntries && scratch && bytewise && depth + 1 < kMaxRadixDepth) {
        for (Entry* e = run; e != next; ++e)
          e->prefix = BytewiseOrder::Word(std::string_view(base + e->offset, e->size), depth + 1);
        self(self, run, ties, depth + 1);
      } else if (ties > 1) {
        std::sort(run, next, full_order);
      }
      run = next;
    }
  };
  sort_runs(sort_runs, begin, entries_, 0);
}

void ExternalSorter::RadixSortByPrefix(Entry* entries, size_t n, Entry* scratch) {
  // Byte b (0 = least significant) of every prefix, counted in one sweep.
  uint32_t counts[8][256] = {};
  for (size_t i = 0; i < n; ++i) {
    const uint64_t p = entries[i].prefix;
    for (int b = 0; b < 8; ++b) ++counts[b][(p >> (8 * b)) & 0xff];
  }
  Entry* from = entries;
  Entry* to = scratch;
  for (int b = 0; b < 8; ++b) {
    uint32_t* count = counts[b];
    const int shift = 8 * b;
    if (count[(from[0].prefix >> shift) & 0xff] == n) continue;  // a byte every entry shares
    uint32_t sum = 0;
    for (int v = 0; v < 256; ++v) {
      const uint32_t c = count[v];
      count[v] = sum;
      sum += c;
    }
    // Stable scatter by byte b: the passes before it stay in order within each of its values.
    for (size_t i = 0; i < n; ++i) to[count[(from[i].prefix >> shift) & 0xff]++] = from[i];
    std::swap(from, to);
  }
  if (from != entries) std::memcpy(static_cast<void*>(entries), from, n * sizeof(Entry));
}

Status ExternalSorter::EnsureTempFile() {
  if (fd_.valid()) return Status::OK();
  const std::string action = "creating a temporary sort file in " + Display();
  int fd;
  do {
    fd = ::open(temp_dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    if (err != EOPNOTSUPP && err != EISDIR && err != EINVAL) {
      return Fail(ErrnoToStatus(err, action));
    }
    // No O_TMPFILE on this file system: a named file, unlinked at once.
    std::string path = temp_dir_ + "/.cofre-sort-XXXXXX";
    fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd < 0) return Fail(ErrnoToStatus(errno, action));
    if (::unlink(path.c_str()) != 0) {
      const int unlink_err = errno;
      ::close(fd);
      return Fail(ErrnoToStatus(unlink_err, action));
    }
  }
  fd_ = ScopedFd(fd);
  return Status::OK();
}

Status ExternalSorter::FlushWrites() {
  if (write_len_ == 0) return Status::OK();
  Status s = WriteFully(fd_.get(), write_buf_.get(), write_len_,
                        "the temporary sort file in " + Display());
  if (!s.ok()) return Fail(s);
  file_size_ += write_len_;
  spilled_bytes_ += write_len_;
  write_len_ = 0;
  return Status::OK();
}

Status ExternalSorter::AppendRecord(std::string_view record) {
  if (!write_buf_) write_buf_.reset(new char[write_buffer_size_]);
  if (write_buffer_size_ - write_len_ < sqlite_varint::kMaxBytes + record.size()) {
    RETURN_IF_ERROR(FlushWrites());
  }
  write_len_ +=
      sqlite_varint::Put(record.size(), reinterpret_cast<uint8_t*>(write_buf_.get() + write_len_));
  if (record.size() > write_buffer_size_ - write_len_) {  // Larger than the buffer: direct.
    RETURN_IF_ERROR(FlushWrites());
    Status s = WriteFully(fd_.get(), record.data(), record.size(),
                          "the temporary sort file in " + Display());
    if (!s.ok()) return Fail(s);
    file_size_ += record.size();
    spilled_bytes_ += record.size();
    return Status::OK();
  }
  std::memcpy(write_buf_.get() + write_len_, record.data(), record.size());
  write_len_ += record.size();
  return Status::OK();
}

Status ExternalSorter::SpillBuffer() {
  RETURN_IF_ERROR(EnsureTempFile());
  SortEntries();
  Entry* begin = entries_begin();
  Entry* end = begin + entries_;
  const char* base = block_;
  const uint64_t start = file_size_;
  constexpr ptrdiff_t kPrefetchAhead = 8;  // Records sit in random order in the arena.
  for (Entry* e = begin; e != end; ++e) {
    if (end - e > kPrefetchAhead) __builtin_prefetch(base + e[kPrefetchAhead].offset);
    RETURN_IF_ERROR(AppendRecord(std::string_view(base + e->offset, e->size)));
  }
  RETURN_IF_ERROR(FlushWrites());
  runs_.push_back(Run{start, file_size_ - start});
  ++spilled_runs_;
  arena_used_ = 0;
  entries_ = 0;
  return Status::OK();
}

Status ExternalSorter::SpillSingle(std::string_view record) {
  RETURN_IF_ERROR(EnsureTempFile());
  const uint64_t start = file_size_;
  RETURN_IF_ERROR(AppendRecord(record));
  RETURN_IF_ERROR(FlushWrites());
  runs_.push_back(Run{start, file_size_ - start});
  ++spilled_runs_;
  return Status::OK();
}

Status ExternalSorter::MergeOldestRuns(size_t count) {
  std::vector<Run> inputs(runs_.begin(), runs_.begin() + count);
  Merger merger(order_, fd_.get(), Display());
  const size_t buffer = std::max<size_t>((budget_ - write_buffer_size_) / count, 4 << 10);
  Status s = merger.Open(inputs, buffer);
  if (!s.ok()) return Fail(s);
  const uint64_t start = file_size_;
  std::string_view record;
  while (true) {
    StatusOr<bool> more = merger.Next(&record);
    if (!more.ok()) return Fail(more.status());
    if (!*more) break;
    RETURN_IF_ERROR(AppendRecord(record));
  }
  RETURN_IF_ERROR(FlushWrites());
  // The inputs are consumed: give their blocks back to the file system (best effort).
  for (const Run& run : inputs) {
    (void)::fallocate(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      static_cast<off_t>(run.offset), static_cast<off_t>(run.bytes));
  }
  runs_.erase(runs_.begin(), runs_.begin() + count);
  runs_.push_back(Run{start, file_size_ - start});
  ++intermediate_merges_;
  return Status::OK();
}

Status ExternalSorter::Finish() {
  if (!status_.ok()) return status_;
  if (finished_) return FailedPreconditionError("ExternalSorter::Finish called twice");
  finished_ = true;
  if (runs_.empty()) {  // Everything fits in memory.
    SortEntries();
    scratch_.reset();
    scratch_capacity_ = 0;
    return Status::OK();
  }
  if (entries_ > 0) RETURN_IF_ERROR(SpillBuffer());
  scratch_.reset();
  scratch_capacity_ = 0;
  std::free(block_);
  block_ = nullptr;
  while (runs_.size() > max_fan_in_) {
    // Merge just enough of the oldest runs that the rest fit one final merge.
    RETURN_IF_ERROR(MergeOldestRuns(std::min(max_fan_in_, runs_.size() - max_fan_in_ + 1)));
  }
  write_buf_.reset();
  merger_ = std::make_unique<Merger>(order_, fd_.get(), Display());
  Status s = merger_->Open(runs_, std::max<size_t>(budget_ / runs_.size(), 4 << 10));
  if (!s.ok()) return Fail(s);
  return Status::OK();
}

StatusOr<bool> ExternalSorter::Next(std::string_view* record) {
  if (!status_.ok()) return status_;
  if (!finished_) return FailedPreconditionError("ExternalSorter::Next before Finish");
  if (merger_ == nullptr) {
    if (next_entry_ >= entries_) return false;
    const Entry& e = entries_begin()[next_entry_++];
    *record = std::string_view(block_ + e.offset, e.size);
    return true;
  }
  StatusOr<bool> more = merger_->Next(record);
  if (!more.ok()) return Fail(more.status());
  return more;
}

}  // namespace cofre
