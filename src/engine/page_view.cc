#include "engine/page_view.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "engine/big_endian.h"
#include "util/resize_for_overwrite.h"

namespace cofre {

namespace {

// The wal-index (-shm) starts with two copies of a 48-byte header in native byte order, then the
// checkpoint information (nBackfill first) at byte 96 (SQLite's walformat.html).
constexpr size_t kWalIndexHeaderBytes = 48;
constexpr size_t kBackfillOffset = 96;
constexpr size_t kWalHeaderBytes = 32;
constexpr size_t kFrameHeaderBytes = 24;

uint32_t Native32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// SQLite's WAL checksum over `n` bytes (a multiple of 8) read as native 32-bit words.
void Checksum(const char* p, size_t n, uint32_t* s1, uint32_t* s2) {
  for (size_t i = 0; i + 8 <= n; i += 8) {
    *s1 += Native32(p + i) + *s2;
    *s2 += Native32(p + i + 4) + *s1;
  }
}

Status Corrupt(const std::string& path, const std::string& what) {
  return DataLossError("cannot read the pages of " + path + " as the snapshot sees them: " + what);
}

}  // namespace

StatusOr<std::unique_ptr<VfsFile>> VfsFile::Open(const std::string& path, int flags) {
  sqlite3_vfs* vfs = sqlite3_vfs_find(nullptr);
  if (!vfs) return InternalError("no SQLite VFS");
  std::unique_ptr<VfsFile> f(new VfsFile());
  f->path_ = path;
  f->storage_ = std::make_unique<char[]>(static_cast<size_t>(vfs->szOsFile));
  std::memset(f->storage_.get(), 0, static_cast<size_t>(vfs->szOsFile));
  auto* file = reinterpret_cast<sqlite3_file*>(f->storage_.get());
  int out = 0;
  int rc = vfs->xOpen(vfs, f->path_.c_str(), file, flags | SQLITE_OPEN_READONLY, &out);
  if (rc != SQLITE_OK) {
    if (file->pMethods) file->pMethods->xClose(file);
    return UnavailableError("cannot open " + path + " (SQLite error " + std::to_string(rc) + ")");
  }
  f->open_ = true;
  return f;
}

VfsFile::~VfsFile() {
  auto* file = reinterpret_cast<sqlite3_file*>(storage_.get());
  if (open_ && file->pMethods) file->pMethods->xClose(file);
}

Status VfsFile::Read(uint64_t offset, char* buf, size_t n) const {
  auto* file = reinterpret_cast<sqlite3_file*>(storage_.get());
  int rc =
      file->pMethods->xRead(file, buf, static_cast<int>(n), static_cast<sqlite3_int64>(offset));
  if (rc == SQLITE_IOERR_SHORT_READ) return Corrupt(path_, "short read");
  if (rc != SQLITE_OK) return Corrupt(path_, "read error " + std::to_string(rc));
  return Status::OK();
}

StatusOr<uint64_t> VfsFile::Size() const {
  auto* file = reinterpret_cast<sqlite3_file*>(storage_.get());
  sqlite3_int64 size = 0;
  if (file->pMethods->xFileSize(file, &size) != SQLITE_OK) return Corrupt(path_, "no size");
  return static_cast<uint64_t>(size);
}

bool FileHeaderSaysWal(const std::string& path) {
  auto f = VfsFile::Open(path, SQLITE_OPEN_MAIN_DB);
  char header[20];
  if (!f.ok() || !(*f)->Read(0, header, sizeof(header)).ok()) return false;
  return header[18] == 2 && header[19] == 2;
}

std::optional<WalSnapshotHeader> ReadWalSnapshotHeader(sqlite3* db) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
      !file->pMethods || file->pMethods->iVersion < 2 || !file->pMethods->xShmMap) {
    return std::nullopt;
  }
  void volatile* region = nullptr;
  if (file->pMethods->xShmMap(file, 0, 32768, 0, &region) != SQLITE_OK || !region) {
    return std::nullopt;
  }
  char buf[kBackfillOffset + 4];
  std::memcpy(buf, const_cast<const void*>(region), sizeof(buf));
  if (std::memcmp(buf, buf + kWalIndexHeaderBytes, kWalIndexHeaderBytes) != 0) return std::nullopt;
  if (buf[12] != 1) return std::nullopt;  // isInit
  uint32_t s1 = 0, s2 = 0;
  Checksum(buf, 40, &s1, &s2);
  if (s1 != Native32(buf + 40) || s2 != Native32(buf + 44)) return std::nullopt;
  WalSnapshotHeader h;
  uint16_t sz;
  std::memcpy(&sz, buf + 14, 2);
  h.page_size = sz == 1 ? 65536 : sz;
  h.max_frame = Native32(buf + 16);
  h.page_count = Native32(buf + 20);
  h.salt.assign(buf + 32, 8);
  h.backfilled = Native32(buf + kBackfillOffset);
  return h;
}

Status PageView::ReadHeader() {
  char header[100];
  RETURN_IF_ERROR(db_->Read(0, header, sizeof(header)));
  if (std::memcmp(header, "SQLite format 3", 16) != 0) {
    return Corrupt(path_, "not an SQLite database header");
  }
  const uint32_t size = big_endian::Get16(header + 16);
  page_size_ = size == 1 ? 65536 : size;
  if (page_size_ < 512 || (page_size_ & (page_size_ - 1)) != 0) {
    return Corrupt(path_, "bad page size");
  }
  usable_size_ = page_size_ - static_cast<uint8_t>(header[20]);
  if (usable_size_ < 480) return Corrupt(path_, "bad reserved bytes");
  ASSIGN_OR_RETURN(uint64_t bytes, db_->Size());
  page_count_ = static_cast<uint32_t>(bytes / page_size_);
  // The in-header size is valid when written by the same change as the change counter.
  const uint32_t in_header = big_endian::Get32(header + 28);
  if (in_header != 0 && big_endian::Get32(header + 92) == big_endian::Get32(header + 24)) {
    page_count_ = std::min(page_count_, in_header);
  }
  return Status::OK();
}

StatusOr<std::unique_ptr<PageView>> PageView::OpenFrozen(const std::string& path) {
  std::unique_ptr<PageView> v(new PageView());
  v->path_ = path;
  ASSIGN_OR_RETURN(v->db_, VfsFile::Open(path, SQLITE_OPEN_MAIN_DB));
  RETURN_IF_ERROR(v->ReadHeader());
  return v;
}

StatusOr<std::unique_ptr<PageView>> PageView::OpenWal(const std::string& path,
                                                      const WalSnapshotHeader& header) {
  std::unique_ptr<PageView> v(new PageView());
  v->path_ = path;
  ASSIGN_OR_RETURN(v->db_, VfsFile::Open(path, SQLITE_OPEN_MAIN_DB));
  RETURN_IF_ERROR(v->ReadHeader());
  // (An empty WAL's index may not know the page size yet.)
  if (header.max_frame > 0 && header.page_size != v->page_size_) {
    return Corrupt(path, "WAL page size differs");
  }
  if (header.page_count != 0) v->page_count_ = header.page_count;
  // Everything up to the snapshot is in the database file: the WAL is not needed.
  if (header.backfilled >= header.max_frame) return v;
  ASSIGN_OR_RETURN(v->wal_, VfsFile::Open(path + "-wal", SQLITE_OPEN_WAL));
  RETURN_IF_ERROR(v->IndexWal(header));
  return v;
}

Status PageView::IndexWal(const WalSnapshotHeader& header) {
  salt_ = header.salt;
  RETURN_IF_ERROR(Verify());
  const uint64_t frame_bytes = kFrameHeaderBytes + page_size_;
  // Frame headers are read in batches to keep the system calls few.
  constexpr uint32_t kBatch = 256;
  std::string buf;
  for (uint32_t first = 1; first <= header.max_frame; first += kBatch) {
    const uint32_t count = std::min(kBatch, header.max_frame - first + 1);
    buf.resize(count * frame_bytes);
    const uint64_t offset = kWalHeaderBytes + (first - 1) * frame_bytes;
    RETURN_IF_ERROR(wal_->Read(offset, buf.data(), buf.size()));
    for (uint32_t i = 0; i < count; ++i) {
      const char* frame = buf.data() + i * frame_bytes;
      if (std::memcmp(frame + 8, salt_.data(), 8) != 0) {
        return Corrupt(path_, "a WAL frame of another generation");
      }
      const uint32_t pgno = big_endian::Get32(frame);
      if (pgno == 0) return Corrupt(path_, "a WAL frame without a page number");
      frame_of_page_[pgno] = first + i;
    }
  }
  return Status::OK();
}

Status PageView::Locate(uint32_t pgno, bool* wal, uint64_t* offset) const {
  if (pgno == 0 || pgno > page_count_) {
    return Corrupt(path_, "page " + std::to_string(pgno) + " is out of range");
  }
  auto it = frame_of_page_.end();
  if (!frame_of_page_.empty()) it = frame_of_page_.find(pgno);
  *wal = it != frame_of_page_.end();
  *offset = *wal ? kWalHeaderBytes + (it->second - 1) * (uint64_t{kFrameHeaderBytes} + page_size_) +
                       kFrameHeaderBytes
                 : uint64_t{pgno - 1} * page_size_;
  return Status::OK();
}

Status PageView::Read(uint32_t pgno, std::string* out) const {
  bool from_wal = false;
  uint64_t offset = 0;
  RETURN_IF_ERROR(Locate(pgno, &from_wal, &offset));
  out->resize(page_size_);
  return (from_wal ? wal_ : db_)->Read(offset, out->data(), page_size_);
}

Status PageView::Verify() const {
  if (salt_.empty()) return Status::OK();
  char header[kWalHeaderBytes];
  RETURN_IF_ERROR(wal_->Read(0, header, sizeof(header)));
  if (std::memcmp(header + 16, salt_.data(), 8) != 0) {
    return Corrupt(path_, "the WAL was restarted while it was read");
  }
  return Status::OK();
}

PageReader::PageReader(const PageView& view) : view_(view) {
  auto file = VfsFile::Open(view.path_, SQLITE_OPEN_MAIN_DB);
  if (!file.ok()) return;  // every page through PageView::Read
  auto size = (*file)->Size();
  if (!size.ok()) return;
  db_ = std::move(*file);
  file_pages_ =
      static_cast<uint32_t>(std::min<uint64_t>(*size / view.page_size_, view.page_count_));
}

PageReader::~PageReader() = default;

StatusOr<std::string_view> PageReader::Read(uint32_t pgno, int slot_index) {
  Slot& slot = slots_[slot_index];
  const size_t page_size = view_.page_size_;
  bool from_wal = false;
  uint64_t offset = 0;
  RETURN_IF_ERROR(view_.Locate(pgno, &from_wal, &offset));
  if (from_wal || !db_) {
    ++reads_;
    RETURN_IF_ERROR(view_.Read(pgno, &slot.wal_page));
    return std::string_view(slot.wal_page);
  }
  if (!batch_index_.empty()) {
    auto it = std::lower_bound(batch_index_.begin(), batch_index_.end(),
                               std::pair<uint32_t, size_t>{pgno, 0});
    if (it != batch_index_.end() && it->first == pgno) {
      return std::string_view(batch_.data() + it->second, page_size);
    }
  }
  if (pgno >= slot.first && pgno - slot.first < slot.count) {
    return std::string_view(slot.buffer.data() + (pgno - slot.first) * page_size, page_size);
  }
  // Right after the last run: a longer one; anywhere else: this page alone.
  const uint32_t max_run = static_cast<uint32_t>(std::max<size_t>(1, kRunBytes / page_size));
  slot.run =
      slot.count > 0 && pgno == slot.first + slot.count ? std::min(slot.run * 2, max_run) : 1;
  // Never past the pages the file held (a page past them is read alone, and fails).
  uint32_t count = 1;
  if (pgno <= file_pages_) count = std::min(slot.run, file_pages_ - pgno + 1);
  // The buffer only grows (to a whole run at most): resizing it down and up again would zero
  // the run's bytes each time before they are read over.
  if (slot.buffer.size() < size_t{count} * page_size) {
    ResizeForOverwrite(&slot.buffer, size_t{max_run} * page_size);
  }
  ++reads_;
  Status st = db_->Read(offset, slot.buffer.data(), size_t{count} * page_size);
  if (!st.ok() && count > 1) {  // the file shrank under the reader: this page alone decides
    count = 1;
    ++reads_;
    st = db_->Read(offset, slot.buffer.data(), page_size);
  }
  if (!st.ok()) {
    slot.count = 0;
    return st;
  }
  slot.first = pgno;
  slot.count = count;
  return std::string_view(slot.buffer.data(), page_size);
}

uint32_t PageReader::batch_pages() const {
  return static_cast<uint32_t>(std::max<size_t>(1, kBatchBytes / view_.page_size_));
}

void PageReader::Prefetch(const std::vector<uint32_t>& pgnos) {
  batch_index_.clear();
  if (!db_) return;
  std::vector<uint32_t> pages;
  pages.reserve(std::min<size_t>(pgnos.size(), batch_pages()));
  for (uint32_t pgno : pgnos) {
    if (pages.size() == batch_pages()) break;
    bool from_wal = false;
    uint64_t offset = 0;
    if (pgno == 0 || pgno > file_pages_ || !view_.Locate(pgno, &from_wal, &offset).ok() ||
        from_wal) {
      continue;
    }
    pages.push_back(pgno);
  }
  std::sort(pages.begin(), pages.end());
  pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
  // Groups of pages at most kBatchGap apart, each one read: [first, last] and where it goes.
  struct Group {
    uint32_t first, last;
    size_t at;
  };
  std::vector<Group> groups;
  const size_t page_size = view_.page_size_;
  size_t bytes = 0;
  for (size_t i = 0; i < pages.size(); ++i) {
    if (!groups.empty() && pages[i] - groups.back().last <= kBatchGap) {
      bytes += size_t{pages[i] - groups.back().last} * page_size;
      groups.back().last = pages[i];
    } else {
      groups.push_back({pages[i], pages[i], bytes});
      bytes += page_size;
    }
  }
  if (batch_.size() < bytes) ResizeForOverwrite(&batch_, bytes);
  size_t p = 0;
  for (const Group& g : groups) {
    ++reads_;
    const size_t n = size_t{g.last - g.first + 1} * page_size;
    const bool ok = db_->Read(uint64_t{g.first - 1} * page_size, batch_.data() + g.at, n).ok();
    for (; p < pages.size() && pages[p] <= g.last; ++p) {
      if (ok) batch_index_.emplace_back(pages[p], g.at + size_t{pages[p] - g.first} * page_size);
    }
  }
}

}  // namespace cofre
