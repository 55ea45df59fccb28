#include "backup/bulk_loader.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <thread>

#include "backup/bulk_row_encoder.h"
#include "backup/data_file_format.h"
#include "backup/file_read_ahead.h"
#include "backup/key_order.h"
#include "backup/row_codec.h"
#include "backup/short_rows.h"
#include "backup/span_prefetcher.h"
#include "backup/span_reader.h"
#include "engine/bulk_btree.h"
#include "engine/external_sorter.h"
#include "engine/index_sort_key.h"
#include "engine/sort_order.h"
#include "engine/sqlite_record.h"
#include "util/task_thread.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {

// Sorter memory for the indexes of the table being loaded; the table before it may still hold
// as much while its indexes are written.
constexpr size_t kTableSortBudget = 6 << 20;
// Index entries handed to the sorting threads at a time.
constexpr size_t kEntryBatchBytes = 1 << 20;
// Spans read ahead of the one being loaded, and each prefetcher's queue of row blocks.
constexpr size_t kSpansAhead = 1;
constexpr size_t kPrefetchBlockBytes = 1 << 20;
constexpr size_t kPrefetchBlocks = 3;

sqlite_record::Value IntegerValue(int64_t i) {
  sqlite_record::Value out;
  out.type = sqlite_record::Type::kInteger;
  out.i = i;
  return out;
}

// One index of the table being loaded: its order, its sorter, then its pages.
// Its sorter sorts entries made of the sort key (index_sort_key.h: byte order is the index's
// order), the SQLite record, then the key's length (4 bytes, native order).
struct IndexBuild {
  const BulkIndexPlan* plan;
  IndexRecordOrder order;  // for UNIQUE checks on the records
  BytewiseOrder bytewise;
  std::unique_ptr<ExternalSorter> sorter;  // used on its sorting thread only
  size_t thread = 0;                       // which sorting thread
  // For each key field before the trailing rowid: its value's position in the projected records
  // its thread receives (SortThreadColumns), or -1 for the rowid.
  std::vector<int> batch_sources;

  IndexBuild(const BulkIndexPlan* p, size_t budget, const std::string& temp_dir)
      : plan(p), order(p->order) {
    sorter = std::make_unique<ExternalSorter>(&bytewise, budget, temp_dir);
  }
};

// Appends to `*out` the sorter entry of the row (`values`, the values of its projected record,
// and `rowid`) in index `build`. `entry_values` is scratch. FailedPrecondition when a value has no
// byte-comparable sort key (the caller then loads through SQLite).
Status AppendIndexEntry(const IndexBuild& build, const std::string& table,
                        std::span<const sqlite_record::Value> values, int64_t rowid,
                        std::vector<sqlite_record::Value>* entry_values, std::string* out) {
  entry_values->clear();
  for (int source : build.batch_sources) {
    entry_values->push_back(source < 0 ? IntegerValue(rowid) : values[source]);
  }
  entry_values->push_back(IntegerValue(rowid));
  out->clear();
  if (!index_sort_key::Append(*entry_values, build.plan->order, out)) {
    return FailedPreconditionError("index " + build.plan->name + " of table " + table +
                                   " has a value only SQLite can order");
  }
  const uint32_t key_size = static_cast<uint32_t>(out->size());
  sqlite_record::Append(*entry_values, out);
  out->append(reinterpret_cast<const char*>(&key_size), 4);
  return Status::OK();
}

// Sorts one index's entries and writes its b-tree, checking UNIQUE.
Status WriteIndex(BulkFileWriter& writer, const std::string& table, IndexBuild& build) {
  auto annotate = [&](Status st) {
    return st.Annotate("building index " + build.plan->name + " of table " + table);
  };
  if (Status st = build.sorter->Finish(); !st.ok()) return annotate(st);
  StatusOr<std::unique_ptr<IndexBtreeBuilder>> index = writer.BuildIndex(build.plan->root_page);
  if (!index.ok()) return annotate(index.status());
  const size_t key_fields = build.plan->sources.size();
  std::string previous;
  bool have_previous = false;
  std::string_view entry;
  while (true) {
    StatusOr<bool> more = build.sorter->Next(&entry);
    if (!more.ok()) return annotate(more.status());
    if (!*more) break;
    uint32_t key_size = 0;
    if (entry.size() >= 4) std::memcpy(&key_size, entry.data() + entry.size() - 4, 4);
    if (entry.size() < 4 || key_size > entry.size() - 4) {
      return annotate(InternalError("corrupt sorted index entry"));
    }
    entry = entry.substr(key_size, entry.size() - 4 - key_size);
    if (build.plan->unique) {
      bool has_null = false;
      for (size_t i = 0; i < key_fields && !has_null; ++i) {
        has_null = IndexRecordOrder::FieldIsNull(entry, i);
      }
      if (!has_null && have_previous &&
          build.order.ComparePrefix(previous, entry, key_fields) == 0) {
        return DataLossError("the backup holds two rows of table " + table +
                             " with the same key of UNIQUE index " + build.plan->name);
      }
      previous.assign(entry);
      have_previous = true;
    }
    if (Status st = (*index)->Add(entry); !st.ok()) return annotate(st);
  }
  if (Status st = (*index)->Finish(); !st.ok()) return annotate(st);
  build.sorter.reset();  // frees its buffers and spilled runs now
  return Status::OK();
}

using IndexBuilds = std::vector<std::unique_ptr<IndexBuild>>;
// Rows handed to one sorting thread: each its rowid (8 bytes, native order), the length of its
// projected SQLite record (varint, SortThreadColumns), the record. The thread makes the entries of
// its indexes from them.
struct RowBatch {
  std::vector<IndexBuild*> indexes;  // of the table, on that thread
  std::string rows;
};

// The threads that sort index entries and write index pages, one per core: each index is
// given to one of them, so the indexes of a table sort in parallel with each other and with
// the loading of the next table.
class SortingThreads {
 public:
  explicit SortingThreads(size_t n) {
    for (size_t i = 0; i < std::max<size_t>(1, n); ++i) {
      // Two pending tasks per thread: the batch being sorted and the next one.
      threads_.push_back(std::make_unique<TaskThread>(2, "cofre-sort"));
    }
  }
  size_t size() const { return threads_.size(); }
  TaskThread& at(size_t i) { return *threads_[i]; }
  // Assigns the next index to a thread, round robin across tables.
  size_t Assign() { return next_++ % threads_.size(); }
  bool failed() {
    for (auto& t : threads_) {
      if (t->failed()) return true;
    }
    return false;
  }
  // An empty batch buffer for the loading thread: one the sorting threads gave back when there
  // is one, so that batches reuse their memory instead of allocating (and page-faulting in)
  // fresh buffers all along the restore.
  std::string TakeBatch() {
    std::lock_guard<std::mutex> lock(spare_mu_);
    if (spare_.empty()) return std::string();
    std::string batch = std::move(spare_.back());
    spare_.pop_back();
    return batch;
  }
  // Gives a consumed batch's buffer back (kept when fewer than kSpareBatches are).
  void ReturnBatch(std::string&& batch) {
    batch.clear();
    std::lock_guard<std::mutex> lock(spare_mu_);
    if (spare_.size() < kSpareBatches && batch.capacity() <= kEntryBatchBytes * 2) {
      spare_.push_back(std::move(batch));
    }
  }
  // Makes the entries of the batch's rows in its indexes and feeds them to their sorters, then
  // gives the batch's buffer back.
  Status SortRows(RowBatch& batch, const std::string& table) {
    Status st;
    std::vector<sqlite_record::Value> values, entry_values;
    std::string entry;
    std::string_view in = batch.rows;
    size_t pos = 0;
    while (st.ok() && pos < in.size()) {
      int64_t rowid;
      uint64_t size;
      if (in.size() - pos < 8) {
        st = InternalError("corrupt row batch");
        break;
      }
      std::memcpy(&rowid, in.data() + pos, 8);
      pos += 8;
      if (!rowcodec::GetVarint(in, &pos, &size) || size > in.size() - pos) {
        st = InternalError("corrupt row batch");
        break;
      }
      st = sqlite_record::Parse(in.substr(pos, size), &values);
      pos += size;
      for (IndexBuild* index : batch.indexes) {
        if (!st.ok()) break;
        st = AppendIndexEntry(*index, table, values, rowid, &entry_values, &entry);
        if (st.ok()) st = index->sorter->Add(entry);
      }
    }
    ReturnBatch(std::move(batch.rows));
    return st;
  }
  // The first failure of a thread so far, or OK; does not wait.
  Status FirstFailure() {
    for (auto& t : threads_) {
      if (Status st = t->first_failure(); !st.ok()) return st;
    }
    return Status::OK();
  }
  // Waits for every thread; the first failure.
  Status Wait() {
    Status first;
    for (auto& t : threads_) {
      Status st = t->Wait();
      if (first.ok() && !st.ok()) first = st;
    }
    return first;
  }

 private:
  // Batch buffers in flight: per thread the batches being sorted and the next ones (one per
  // index), plus the ones being filled.
  static constexpr size_t kSpareBatches = 16;

  std::vector<std::unique_ptr<TaskThread>> threads_;
  size_t next_ = 0;
  std::mutex spare_mu_;
  std::vector<std::string> spare_;
};

// The logical bytes of a span's files (its base file and deltas): what loading it reads.
uint64_t SpanFileBytes(const proto::Span& span) {
  uint64_t bytes = 0;
  for (const auto& file : span.files()) bytes += file.logical_bytes();
  return bytes;
}

// The bytes of a span's files on storage.
uint64_t SpanStoredBytes(const proto::Span& span) {
  uint64_t bytes = 0;
  for (const auto& file : span.files()) bytes += file.file_bytes();
  return bytes;
}

// What the loading threads of one table share, read-only while they run: the request, the
// plan, the sorting threads, the table's indexes and the columns each sorting thread receives.
struct TableShared {
  const BulkLoadRequest& req;
  const BulkTablePlan& plan;
  SortingThreads& sorting;
  std::shared_ptr<IndexBuilds> indexes;
  std::vector<std::vector<IndexBuild*>> thread_indexes;  // per sorting thread
  std::vector<SortThreadColumns> thread_columns;         // per sorting thread
  ShortRowDefaults short_rows;     // completes rows stored before an ADD COLUMN
  std::mutex* progress_mu;         // serializes req.progress
  FileReadAhead* read_ahead;       // told of each span read; may be null
  std::atomic<bool> abort{false};  // a loading thread of the table failed: the others stop
};

// One loading thread's share of a table: the rows of spans [begin, end) into `builder`, their
// projected records batched to the sorting threads.
class SpanGroupLoad {
 public:
  // `spans_ahead`: spans whose rows are read ahead of the one being loaded.
  SpanGroupLoad(TableShared& shared, int begin, int end, size_t spans_ahead)
      : shared_(shared),
        begin_(begin),
        end_(end),
        spans_ahead_(spans_ahead),
        batches_(shared.sorting.size()) {}

  Status Run(TableBtreeBuilder& builder, uint64_t* rows) {
    const proto::Table& table = *shared_.plan.table;
    std::deque<std::unique_ptr<SpanPrefetcher>> ahead;
    // Emptied prefetch blocks, refilled by the prefetchers of this group's spans: enough for the
    // steady state (the consumer gives one back as the producer takes one) and a span's end.
    auto pool = std::make_shared<SpanPrefetcher::BlockPool>(kPrefetchBlocks + 1);
    int next_span = begin_;
    auto start_next = [&] {
      const proto::Span* span = &table.spans(next_span++);
      auto encoder = std::make_shared<BulkRowEncoder>(shared_.plan, shared_.short_rows,
                                                      shared_.thread_columns);
      ahead.push_back(std::make_unique<SpanPrefetcher>(
          [this, span] {
            return SpanReader::Open(*shared_.req.storage, *span, *shared_.req.crypto, KeyOrder());
          },
          kPrefetchBlockBytes, kPrefetchBlocks, pool,
          [encoder](std::string_view, std::string_view body, ByteBuffer* out) {
            return encoder->Encode(body, out);
          }));
    };
    for (int s = begin_; s < end_; ++s) {
      while (ahead.size() <= spans_ahead_ && next_span < end_) start_next();
      std::unique_ptr<SpanPrefetcher> span_rows = std::move(ahead.front());
      ahead.pop_front();
      std::string_view key, body;
      while (true) {
        StatusOr<bool> more = span_rows->Next(&key, &body);
        if (!more.ok()) {
          if (span_rows->out_of_order()) return NotInRowidOrder();
          return more.status();
        }
        if (!*more) break;
        RETURN_IF_ERROR(AddRow(body, builder));
        ++*rows;
        if (shared_.abort.load(std::memory_order_relaxed)) {
          stopped_by_sibling_ = true;
          return CancelledError("another loading thread of table " + table.name() + " failed");
        }
      }
      if (shared_.read_ahead != nullptr) {
        shared_.read_ahead->Consumed(SpanStoredBytes(table.spans(s)));
      }
      if (shared_.req.progress) {
        std::lock_guard<std::mutex> lock(*shared_.progress_mu);
        shared_.req.progress(SpanFileBytes(table.spans(s)));
      }
      if (shared_.req.stop.stop_requested()) {
        return CancelledError("the job was stopped (PAUSE, CANCEL or a server shutdown)");
      }
    }
    return Status::OK();
  }

  // Hands the batched rows to the sorting threads of the table's indexes.
  void HandOver() {
    batched_ = 0;
    SortingThreads& sorting = shared_.sorting;
    for (size_t t = 0; t < batches_.size(); ++t) {
      if (batches_[t].empty()) continue;
      RowBatch batch{shared_.thread_indexes[t], std::move(batches_[t])};
      batches_[t] = sorting.TakeBatch();
      sorting.at(t).Post([indexes = shared_.indexes, batch = std::move(batch), &sorting,
                          table = shared_.plan.table->name()]() mutable {
        return sorting.SortRows(batch, table);
      });
    }
  }

  // Run stopped because the table's other loading thread failed (whose error is the one to tell).
  bool stopped_by_sibling() const { return stopped_by_sibling_; }

  Status NotInRowidOrder() const {
    return FailedPreconditionError("rows of table " + shared_.plan.table->name() +
                                   " are not in rowid order in the backup");
  }

 private:
  // Adds a row as its BulkRowEncoder made it.
  Status AddRow(std::string_view row, TableBtreeBuilder& builder) {
    auto corrupt = [] { return InternalError("corrupt encoded row"); };
    int64_t rowid;
    uint64_t size;
    if (row.size() < 16) return corrupt();
    std::memcpy(&rowid, row.data(), 8);
    std::memcpy(&size, row.data() + 8, 8);
    size_t pos = 16;
    if (size > row.size() - pos) return corrupt();
    const std::string_view record = row.substr(pos, size);
    pos += size;
    Status st = builder.Add(rowid, record);
    if (!st.ok()) {
      if (st.code() == StatusCode::kInvalidArgument) return NotInRowidOrder();
      return st;
    }
    // The index entries are made on the sorting threads, from the record: the loading thread
    // (the restore's critical path) only copies it, and writes nothing the sorting threads read.
    for (size_t t = 0; t < batches_.size(); ++t) {
      if (!shared_.thread_columns[t].used) continue;
      const size_t start = pos;
      if (!rowcodec::GetVarint(row, &pos, &size) || size > row.size() - pos) return corrupt();
      pos += size;
      std::string& batch = batches_[t];
      batch.append(reinterpret_cast<const char*>(&rowid), 8);
      batch.append(row.substr(start, pos - start));
      batched_ += pos - start + 8;
    }
    if (batched_ >= kEntryBatchBytes) {
      RETURN_IF_ERROR(shared_.sorting.FirstFailure());
      HandOver();
    }
    return Status::OK();
  }

  TableShared& shared_;
  const int begin_;
  const int end_;
  const size_t spans_ahead_;
  bool stopped_by_sibling_ = false;
  std::vector<std::string> batches_;  // per sorting thread: rows not handed over
  size_t batched_ = 0;
};

// The first span of the second half of `table`'s spans by logical bytes: where a second loading
// thread starts. 0 when the table has one span or none.
int SplitSpans(const proto::Table& table) {
  uint64_t total = 0;
  for (const proto::Span& span : table.spans()) total += SpanFileBytes(span);
  // The cut that leaves the two halves closest to each other; at least one span each.
  int best = 0;
  uint64_t before = 0, best_gap = 0;
  for (int k = 1; k < table.spans_size(); ++k) {
    before += SpanFileBytes(table.spans(k - 1));
    const uint64_t after = total - before;
    const uint64_t gap = before > after ? before - after : after - before;
    if (best == 0 || gap < best_gap) {
      best_gap = gap;
      best = k;
    }
  }
  return best;
}

// Loads one table's rows while `sorting` sorts its index entries and then writes its indexes.
// The rows load on the calling thread, and when the table has two spans or more and `second` is
// given, the later half of its spans on `second`, into a part of the table's b-tree (bulk_btree.h)
// that the calling thread appends at the end.
class TableLoad {
 public:
  TableLoad(const BulkLoadRequest& req, const BulkTablePlan& plan, SortingThreads& sorting,
            std::mutex* progress_mu, FileReadAhead* read_ahead)
      : shared_{req, plan, sorting, nullptr, {}, {}, {}, progress_mu, read_ahead} {}

  Status Run(BulkFileWriter& writer, TaskThread* second, uint64_t* rows, uint64_t* index_entries) {
    const proto::Table& table = *shared_.plan.table;
    const auto& plan_indexes = shared_.plan.indexes;
    SortingThreads& sorting = shared_.sorting;
    const size_t budget = kTableSortBudget / std::max<size_t>(1, plan_indexes.size());
    shared_.indexes = std::make_shared<IndexBuilds>();
    shared_.thread_indexes.assign(sorting.size(), {});
    for (const auto& index : plan_indexes) {
      auto& builds = *shared_.indexes;
      builds.push_back(std::make_unique<IndexBuild>(&index, budget, shared_.req.temp_dir));
      builds.back()->thread = sorting.Assign();
      shared_.thread_indexes[builds.back()->thread].push_back(builds.back().get());
    }
    ProjectColumns();
    ASSIGN_OR_RETURN(shared_.short_rows, ShortRowDefaults::ForTable(table));
    ASSIGN_OR_RETURN(std::unique_ptr<TableBtreeBuilder> builder,
                     writer.BuildTable(shared_.plan.root_page));

    const int split = second != nullptr ? SplitSpans(table) : 0;
    const int first_end = split > 0 ? split : table.spans_size();
    // Two loading threads keep both cores busy while one of them moves to its next span, without
    // a span read ahead (the memory of two more spans' reading).
    const size_t ahead = split > 0 ? 0 : kSpansAhead;
    SpanGroupLoad first(shared_, 0, first_end, ahead);
    SpanGroupLoad later(shared_, first_end, table.spans_size(), ahead);
    uint64_t first_rows = 0;
    uint64_t later_rows = 0;
    std::unique_ptr<TableBtreeBuilder> part;
    if (split > 0) {
      part = builder->NewPart();
      second->Post([this, &later, &later_rows, part = part.get()] {
        Status st = later.Run(*part, &later_rows);
        if (st.ok()) st = part->Finish();
        if (!st.ok()) shared_.abort = true;
        return st;
      });
    }
    Status loaded = first.Run(*builder, &first_rows);
    if (!loaded.ok()) shared_.abort = true;
    // The error to tell is the one that stopped the other thread, not its stopping.
    if (split > 0) {
      Status st = second->Wait();
      if (loaded.ok() || (first.stopped_by_sibling() && !st.ok())) loaded = st;
    }
    *rows += first_rows + later_rows;
    RETURN_IF_ERROR(loaded);
    if (part != nullptr) {
      Status st = builder->AppendPart(*part);
      if (st.code() == StatusCode::kInvalidArgument) return first.NotInRowidOrder();
      RETURN_IF_ERROR(st);
    }
    RETURN_IF_ERROR(builder->Finish());
    first.HandOver();
    later.HandOver();
    // Every row has one entry in each index of its table.
    *index_entries += (first_rows + later_rows) * shared_.indexes->size();
    const std::string name = table.name();
    for (auto& index : *shared_.indexes) {
      sorting.at(index->thread)
          .Post([&writer, indexes = shared_.indexes, index = index.get(), name] {
            return WriteIndex(writer, name, *index);
          });
    }
    return Status::OK();
  }

 private:
  // Chooses the columns each sorting thread receives: those its indexes of the table read.
  void ProjectColumns() {
    auto& thread_columns = shared_.thread_columns;
    thread_columns.assign(shared_.sorting.size(), {});
    for (size_t t = 0; t < shared_.thread_indexes.size(); ++t) {
      SortThreadColumns& thread = thread_columns[t];
      thread.used = !shared_.thread_indexes[t].empty();
      for (const IndexBuild* index : shared_.thread_indexes[t]) {
        for (int source : index->plan->sources) {
          if (source >= 0) thread.columns.push_back(source);
        }
      }
      std::sort(thread.columns.begin(), thread.columns.end());
      thread.columns.erase(std::unique(thread.columns.begin(), thread.columns.end()),
                           thread.columns.end());
      for (IndexBuild* index : shared_.thread_indexes[t]) {
        index->batch_sources.clear();
        for (int source : index->plan->sources) {
          index->batch_sources.push_back(
              source < 0 ? -1
                         : static_cast<int>(std::lower_bound(thread.columns.begin(),
                                                             thread.columns.end(), source) -
                                            thread.columns.begin()));
        }
      }
    }
  }

  TableShared shared_;
};

// The files of the tables in `order`, in the order the loading threads read them: per table,
// the spans of its two halves (SplitSpans) alternately, as the two threads take them at once.
std::vector<FileReadAhead::File> FilesInLoadOrder(const BulkLoadRequest& req,
                                                  const std::vector<const BulkTablePlan*>& order) {
  std::vector<FileReadAhead::File> files;
  for (const BulkTablePlan* plan : order) {
    const proto::Table& table = *plan->table;
    const int n = table.spans_size();
    const int split = req.loading_threads >= 2 ? SplitSpans(table) : 0;
    const int first_end = split > 0 ? split : n;
    auto add_span = [&](int k) {
      for (const auto& file : table.spans(k).files()) {
        files.push_back({&req.storage->For(file), file.path()});
      }
    };
    for (int i = 0, j = first_end; i < first_end || j < n; ++i, ++j) {
      if (i < first_end) add_span(i);
      if (j < n) add_span(j);
    }
  }
  return files;
}

}  // namespace

StatusOr<BulkLoadResult> BulkLoad(const BulkLoadRequest& req) {
  BulkFileWriter::Options options;
  options.durable = req.durable;
  options.append = req.append;
  ASSIGN_OR_RETURN(std::unique_ptr<BulkFileWriter> writer, BulkFileWriter::Open(req.path, options));
  BulkLoadResult result;
  // Appending, the trees are built at new root pages, side by side past the end of the file.
  BulkLoadPlan appended;
  const BulkLoadPlan* load_plan = req.plan;
  if (req.append) {
    appended = *req.plan;
    auto new_root = [&](uint32_t* root, BtreePageType type) -> Status {
      ASSIGN_OR_RETURN(uint32_t page, writer->NewRoot(type));
      result.roots[*root] = page;
      *root = page;
      return Status::OK();
    };
    for (BulkTablePlan& t : appended.tables) {
      RETURN_IF_ERROR(new_root(&t.root_page, BtreePageType::kTableLeaf));
      for (BulkIndexPlan& index : t.indexes) {
        RETURN_IF_ERROR(new_root(&index.root_page, BtreePageType::kIndexLeaf));
      }
    }
    load_plan = &appended;
  }
  {
    // Index entries are sorted and index pages written on these threads while tables load on
    // the calling one.
    SortingThreads sorting(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
    // Largest tables first: their index sorts then overlap with loading the smaller ones,
    // instead of running alone at the end.
    std::vector<const BulkTablePlan*> order;
    for (const BulkTablePlan& table_plan : load_plan->tables) order.push_back(&table_plan);
    std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
      return a->table->logical_bytes() > b->table->logical_bytes();
    });
    // The later half of a table's spans loads on this thread (bulk_loader.h).
    std::unique_ptr<TaskThread> second;
    if (req.loading_threads >= 2) second = std::make_unique<TaskThread>(1, "cofre-load");
    std::mutex progress_mu;
    std::unique_ptr<FileReadAhead> read_ahead;
    if (req.read_ahead_bytes > 0) {
      FileReadAhead::Options options;
      options.distance = req.read_ahead_bytes;
      read_ahead = std::make_unique<FileReadAhead>(FilesInLoadOrder(req, order), options);
    }
    for (const BulkTablePlan* table_plan : order) {
      const BulkTablePlan& plan = *table_plan;
      if (sorting.failed()) break;
      TableLoad load(req, plan, sorting, &progress_mu, read_ahead.get());
      Status st = load.Run(*writer, second.get(), &result.rows, &result.index_entries);
      if (!st.ok()) {
        sorting.Wait().IgnoreError();
        return st.Annotate("restoring table " + plan.table->name());
      }
    }
    RETURN_IF_ERROR(sorting.Wait());
  }
  RETURN_IF_ERROR(writer->Finish());
  return result;
}

}  // namespace cofre
