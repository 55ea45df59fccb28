#include "backup/bulk_loader.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "backup/bulk_index_sort.h"
#include "backup/bulk_row_encoder.h"
#include "backup/data_file_format.h"
#include "backup/file_read_ahead.h"
#include "backup/key_order.h"
#include "backup/row_codec.h"
#include "backup/short_rows.h"
#include "backup/span_prefetcher.h"
#include "backup/span_reader.h"
#include "engine/bulk_btree.h"
#include "util/task_thread.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {

using bulk_sort::IndexBuild;
using bulk_sort::IndexBuilds;
using bulk_sort::kEntryBatchBytes;
using bulk_sort::RowBatch;
using bulk_sort::SortingThreads;
using bulk_sort::WriteIndex;

// Sorter memory for the indexes of the table being loaded; the table before it may still hold
// as much while its indexes are written, which its sorting threads of their own (below) make the
// common case: 5 MiB keeps the peak RSS where 6 MiB put it with one sorting thread per core.
constexpr size_t kTableSortBudget = 5 << 20;
// Sorting threads: two per core, at least two and at most four. Indexes are given to them round
// robin across tables, so a table's index writes (which run for tens of milliseconds at its end)
// and the sorting of the next table's entries are on different threads: with one thread per
// core the loading threads waited behind the index writes for a free slot of the same threads,
// and a core idled at each table's end.
unsigned SortingThreadCount() {
  return std::clamp(2 * std::thread::hardware_concurrency(), 2u, 4u);
}
// Spans opened ahead of the one being loaded (each holding, its reader open, until it is the one
// loading), and each prefetcher's queue of row blocks.
constexpr size_t kSpansAhead = 1;
constexpr size_t kPrefetchBlockBytes = 1 << 20;
constexpr size_t kPrefetchBlocks = 3;

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

// What the loading threads share, read-only while they run but for the atomics: the request,
// the sorting threads, the read-ahead and whether a loading thread failed.
struct LoadShared {
  const BulkLoadRequest& req;
  SortingThreads& sorting;
  FileReadAhead* read_ahead;       // told of each span read; may be null
  std::mutex progress_mu;          // serializes req.progress
  std::atomic<bool> abort{false};  // a loading thread failed: the others stop
  std::atomic<uint64_t> rows{0};
  std::atomic<uint64_t> index_entries{0};
};

// What the loading threads of one table share, read-only once the table is prepared: the plan,
// the table's indexes and the columns each sorting thread receives.
struct TableShared {
  LoadShared& load;
  const BulkTablePlan& plan;
  std::shared_ptr<IndexBuilds> indexes;
  std::vector<std::vector<IndexBuild*>> thread_indexes;  // per sorting thread
  std::vector<SortThreadColumns> thread_columns;         // per sorting thread
  ShortRowDefaults short_rows;  // completes rows stored before an ADD COLUMN
};

// One table's load, shared by the loading threads.
// - Each thread takes the table's next span (TakeSpan) as it finishes one, so that both stay
//   busy to the table's last span whatever each span costs.
// - A span goes into the table's b-tree itself when the same thread put the span before it there
//   (span 0 always does); otherwise into a part of the b-tree (bulk_btree.h), appended as soon
//   as every span before it is in, so that few finished parts wait (each with its leaf list and
//   last leaf).
// - The first thread to reach the table prepares it; the last to leave it finishes the b-tree
//   and hands its indexes to the sorting threads to write.
// - A thread with no span left waits until the b-tree is finished (at most one span's load),
//   then goes on to the next table. Going on earlier would let that table's index entries fill
//   their sorters while this table's are still full: one sorting budget more at the peak (up to
//   9 MiB of RSS at 1 GiB). The next table's first row batches may still reach a sorting thread
//   before this table's index writes; a sorting thread keeps each index's entries apart.
class TableLoad {
 public:
  // A span to load, and the b-tree its rows go into: the table's or a part of it.
  struct TakenSpan {
    int span = -1;  // -1: no span of the table is left
    TableBtreeBuilder* target = nullptr;
    bool part = false;
  };

  TableLoad(LoadShared& load, const BulkTablePlan& plan, int loaders)
      : shared_{load, plan, nullptr, {}, {}, {}},
        loaders_(loaders),
        parts_(plan.table->spans_size()),
        loaded_(plan.table->spans_size(), false) {}

  const TableShared& shared() const { return shared_; }
  const std::string& name() const { return shared_.plan.table->name(); }

  // Assigns the indexes to sorting threads, chooses the columns each receives and begins the
  // b-tree; once, by the first thread to call it. Later calls return the first call's status.
  Status Prepare(BulkFileWriter& writer) {
    std::lock_guard<std::mutex> lock(mu_);
    if (prepared_) return prepare_status_;
    prepared_ = true;
    prepare_status_ = PrepareLocked(writer);
    return prepare_status_;
  }

  // The next span for thread `loader` (0 to loaders - 1).
  TakenSpan TakeSpan(int loader) {
    std::lock_guard<std::mutex> lock(mu_);
    TakenSpan taken;
    if (next_span_ >= static_cast<int>(parts_.size())) return taken;
    taken.span = next_span_++;
    if (taken.span == 0 || (builder_loader_ == loader && builder_span_ == taken.span - 1)) {
      builder_loader_ = loader;
      builder_span_ = taken.span;
      taken.target = builder_.get();
    } else {
      parts_[taken.span] = builder_->NewPart();
      taken.target = parts_[taken.span].get();
      taken.part = true;
    }
    return taken;
  }

  // Span `span`'s rows are all in its target (finished when a part): appends the parts every
  // span before which is in. FailedPrecondition when the rows are not in rowid order.
  Status SpanLoaded(int span) {
    std::lock_guard<std::mutex> lock(mu_);
    loaded_[span] = true;
    while (next_append_ < static_cast<int>(parts_.size()) && loaded_[next_append_]) {
      if (parts_[next_append_] != nullptr) {
        Status st = builder_->AppendPart(*parts_[next_append_]);
        if (st.code() == StatusCode::kInvalidArgument) return NotInRowidOrder(name());
        RETURN_IF_ERROR(st);
        parts_[next_append_].reset();  // and the list of its leaves
      }
      ++next_append_;
    }
    return Status::OK();
  }

  // A thread has no span of the table left and loaded `rows` of it, its index entries handed
  // over. The last thread to leave finishes the b-tree and posts the index writes; the others
  // wait until it has finished the b-tree (or End was called).
  Status Leave(uint64_t rows, BulkFileWriter& writer) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      rows_ += rows;
      if (++left_ < loaders_) {
        left_cv_.wait(lock, [this] { return finished_; });
        return Status::OK();
      }
    }
    // Every span was loaded before its thread left, so every part is appended.
    Status st = builder_->Finish();
    builder_.reset();
    if (!st.ok()) shared_.load.abort = true;
    End();  // wakes the threads waiting in Leave
    RETURN_IF_ERROR(st);
    LoadShared& load = shared_.load;
    load.rows += rows_;
    // Every row has one entry in each index of its table.
    load.index_entries += rows_ * shared_.indexes->size();
    for (auto& index : *shared_.indexes) {
      load.sorting.at(index->thread)
          .Post([&writer, indexes = shared_.indexes, index = index.get(), table = name()] {
            return WriteIndex(writer, table, *index);
          });
    }
    return Status::OK();
  }

  // The table's load ends here (its b-tree finished, or a thread failed): threads waiting in
  // Leave go on.
  void End() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_ = true;
    }
    left_cv_.notify_all();
  }

  static Status NotInRowidOrder(const std::string& table) {
    return FailedPreconditionError("rows of table " + table +
                                   " are not in rowid order in the backup");
  }

 private:
  Status PrepareLocked(BulkFileWriter& writer) {
    const proto::Table& table = *shared_.plan.table;
    SortingThreads& sorting = shared_.load.sorting;
    const auto& plan_indexes = shared_.plan.indexes;
    const size_t budget = kTableSortBudget / std::max<size_t>(1, plan_indexes.size());
    shared_.indexes = std::make_shared<IndexBuilds>();
    shared_.thread_indexes.assign(sorting.size(), {});
    for (const auto& index : plan_indexes) {
      auto& builds = *shared_.indexes;
      builds.push_back(std::make_unique<IndexBuild>(&index, budget, shared_.load.req.temp_dir));
      builds.back()->thread = sorting.Assign();
      shared_.thread_indexes[builds.back()->thread].push_back(builds.back().get());
    }
    ProjectColumns();
    ASSIGN_OR_RETURN(shared_.short_rows, ShortRowDefaults::ForTable(table));
    ASSIGN_OR_RETURN(builder_, writer.BuildTable(shared_.plan.root_page));
    return Status::OK();
  }

  // Chooses the columns each sorting thread receives: those its indexes of the table read.
  void ProjectColumns() {
    auto& thread_columns = shared_.thread_columns;
    thread_columns.assign(shared_.load.sorting.size(), {});
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
  const int loaders_;
  std::mutex mu_;
  bool prepared_ = false;
  Status prepare_status_;
  std::unique_ptr<TableBtreeBuilder> builder_;
  int next_span_ = 0;
  int builder_loader_ = -1;  // the thread that put span builder_span_ into builder_ itself
  int builder_span_ = -1;
  std::vector<std::unique_ptr<TableBtreeBuilder>> parts_;  // per span: its part until appended
  std::vector<bool> loaded_;                               // per span
  int next_append_ = 0;                                    // the first span not yet in builder_
  int left_ = 0;                                           // threads that left the table
  uint64_t rows_ = 0;
  bool finished_ = false;  // End was called: no thread waits in Leave any longer
  std::condition_variable left_cv_;
};

// One loading thread's share of a table: the spans it takes, their rows into their b-trees and
// their projected records batched to the sorting threads.
class SpanGroupLoad {
 public:
  // `spans_ahead`: spans whose rows are read ahead of the one being loaded.
  SpanGroupLoad(TableLoad& table, int loader, size_t spans_ahead)
      : table_(table),
        shared_(table.shared()),
        loader_(loader),
        spans_ahead_(spans_ahead),
        batches_(shared_.load.sorting.size()) {}

  Status Run(uint64_t* rows) {
    const proto::Table& table = *shared_.plan.table;
    const BulkLoadRequest& req = shared_.load.req;
    struct Ahead {
      TableLoad::TakenSpan taken;
      std::unique_ptr<SpanPrefetcher> rows;
    };
    std::deque<Ahead> ahead;
    // Emptied prefetch blocks, refilled by the prefetchers of this thread's spans: enough for
    // the steady state (the consumer gives one back as the producer takes one) and a span's end.
    auto pool = std::make_shared<SpanPrefetcher::BlockPool>(kPrefetchBlocks + 1);
    auto take_next = [&] {
      TableLoad::TakenSpan taken = table_.TakeSpan(loader_);
      if (taken.span < 0) return false;
      const proto::Span* span = &table.spans(taken.span);
      auto encoder = std::make_shared<BulkRowEncoder>(shared_.plan, shared_.short_rows,
                                                      shared_.thread_columns);
      ahead.push_back(
          {taken, std::make_unique<SpanPrefetcher>(
                      [&req, span] {
                        return SpanReader::Open(*req.storage, *span, *req.crypto, KeyOrder());
                      },
                      // A span opened ahead of the one loading holds once its reader is open.
                      kPrefetchBlockBytes, ahead.empty() ? kPrefetchBlocks : 0, pool,
                      [encoder](std::string_view, std::string_view body, ByteBuffer* out) {
                        return encoder->Encode(body, out);
                      })});
      return true;
    };
    while (true) {
      while (ahead.size() <= spans_ahead_ && take_next()) {
      }
      if (ahead.empty()) return Status::OK();
      Ahead span = std::move(ahead.front());
      ahead.pop_front();
      span.rows->SetMaxBlocks(kPrefetchBlocks);
      std::string_view key, body;
      while (true) {
        StatusOr<bool> more = span.rows->Next(&key, &body);
        if (!more.ok()) {
          if (span.rows->out_of_order()) return TableLoad::NotInRowidOrder(table.name());
          return more.status();
        }
        if (!*more) break;
        RETURN_IF_ERROR(AddRow(body, *span.taken.target));
        ++*rows;
        if (shared_.load.abort.load(std::memory_order_relaxed)) {
          stopped_by_sibling_ = true;
          return CancelledError("another loading thread failed");
        }
      }
      if (span.taken.part) RETURN_IF_ERROR(span.taken.target->Finish());
      RETURN_IF_ERROR(table_.SpanLoaded(span.taken.span));
      const proto::Span& done = table.spans(span.taken.span);
      if (shared_.load.read_ahead != nullptr) {
        shared_.load.read_ahead->Consumed(SpanStoredBytes(done));
      }
      if (req.progress) {
        std::lock_guard<std::mutex> lock(shared_.load.progress_mu);
        req.progress(SpanFileBytes(done));
      }
      if (req.stop.stop_requested()) {
        return CancelledError("the job was stopped (PAUSE, CANCEL or a server shutdown)");
      }
    }
  }

  // Hands the batched rows to the sorting threads of the table's indexes.
  void HandOver() {
    batched_ = 0;
    SortingThreads& sorting = shared_.load.sorting;
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

  // Run stopped because another loading thread failed (whose error is the one to tell).
  bool stopped_by_sibling() const { return stopped_by_sibling_; }

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
      if (st.code() == StatusCode::kInvalidArgument) {
        return TableLoad::NotInRowidOrder(shared_.plan.table->name());
      }
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
      RETURN_IF_ERROR(shared_.load.sorting.FirstFailure());
      HandOver();
    }
    return Status::OK();
  }

  TableLoad& table_;
  const TableShared& shared_;
  const int loader_;
  const size_t spans_ahead_;
  bool stopped_by_sibling_ = false;
  std::vector<std::string> batches_;  // per sorting thread: rows not handed over
  size_t batched_ = 0;
};

// One loading thread (number `loader`): takes spans of each table in turn, in the tables'
// order. On failure sets `load.abort` and ends its table (the other threads stop, and none
// waits for this one in TableLoad::Leave), and `*stopped` when it stopped because another thread
// failed.
Status RunLoader(LoadShared& load, std::vector<std::unique_ptr<TableLoad>>& tables, int loader,
                 size_t spans_ahead, BulkFileWriter& writer, bool* stopped) {
  *stopped = false;
  for (auto& table : tables) {
    if (load.sorting.failed() || load.abort.load()) {
      load.abort = true;
      table->End();
      *stopped = true;
      return CancelledError("another thread of the restore failed");
    }
    SpanGroupLoad mine(*table, loader, spans_ahead);
    uint64_t rows = 0;
    Status st = table->Prepare(writer);
    if (st.ok()) st = mine.Run(&rows);
    if (st.ok()) mine.HandOver();
    if (st.ok()) st = table->Leave(rows, writer);
    if (!st.ok()) {
      load.abort = true;
      table->End();
      *stopped = mine.stopped_by_sibling();
      return st.Annotate("restoring table " + table->name());
    }
  }
  return Status::OK();
}

// Whether any file of the tables in `order` is on a storage whose reads are not cached (object
// storage, where each file's first byte is a round trip away).
bool RemoteFiles(const BulkLoadRequest& req, const std::vector<const BulkTablePlan*>& order) {
  for (const BulkTablePlan* plan : order) {
    for (const auto& span : plan->table->spans()) {
      for (const auto& file : span.files()) {
        if (!req.storage->For(file).ReadsAreCached()) return true;
      }
    }
  }
  return false;
}

// The files of the tables in `order`, in the order the loading threads take them.
std::vector<FileReadAhead::File> FilesInLoadOrder(const BulkLoadRequest& req,
                                                  const std::vector<const BulkTablePlan*>& order) {
  std::vector<FileReadAhead::File> files;
  for (const BulkTablePlan* plan : order) {
    for (const auto& span : plan->table->spans()) {
      for (const auto& file : span.files()) {
        files.push_back({&req.storage->For(file), file.path()});
      }
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
    // the loading ones.
    SortingThreads sorting(SortingThreadCount());
    // Largest tables first: their index sorts then overlap with loading the smaller ones,
    // instead of running alone at the end.
    std::vector<const BulkTablePlan*> order;
    for (const BulkTablePlan& table_plan : load_plan->tables) order.push_back(&table_plan);
    std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
      return a->table->logical_bytes() > b->table->logical_bytes();
    });
    std::unique_ptr<FileReadAhead> read_ahead;
    if (req.read_ahead_bytes > 0) {
      FileReadAhead::Options options;
      options.distance = req.read_ahead_bytes;
      read_ahead = std::make_unique<FileReadAhead>(FilesInLoadOrder(req, order), options);
    }
    LoadShared load{req, sorting, read_ahead.get()};
    const int loaders = std::max(1, std::min(req.loading_threads, 2));
    std::vector<std::unique_ptr<TableLoad>> tables;
    for (const BulkTablePlan* plan : order) {
      tables.push_back(std::make_unique<TableLoad>(load, *plan, loaders));
    }
    // With two loading threads no span is read ahead from a local disk: both cores are busy
    // without the memory of two more spans' reading. From object storage each span's files are
    // opened one span ahead, so that their GETs wait for their first bytes while the span
    // before loads, not on the restore's critical path; each thread's prefetchers share its
    // pool of blocks, so this costs the next span's reader, not more blocks.
    const size_t spans_ahead = loaders == 1 || RemoteFiles(req, order) ? kSpansAhead : 0;
    bool second_stopped = false;  // set by the second loading thread, read after its Wait
    std::unique_ptr<TaskThread> second;
    if (loaders > 1) {
      second = std::make_unique<TaskThread>(1, "cofre-load");
      second->Post(
          [&] { return RunLoader(load, tables, 1, spans_ahead, *writer, &second_stopped); });
    }
    bool stopped = false;
    Status loaded = RunLoader(load, tables, 0, spans_ahead, *writer, &stopped);
    Status later = second != nullptr ? second->Wait() : Status::OK();
    if (!loaded.ok() || !later.ok()) {
      Status sorted = sorting.Wait();
      // The error to tell is the one that stopped the other threads, not their stopping.
      if (!loaded.ok() && !stopped) return loaded;
      if (!later.ok() && !second_stopped) return later;
      if (!sorted.ok()) return sorted;
      return loaded.ok() ? later : loaded;
    }
    RETURN_IF_ERROR(sorting.Wait());
    result.rows = load.rows;
    result.index_entries = load.index_entries;
  }
  RETURN_IF_ERROR(writer->Finish());
  return result;
}

}  // namespace cofre
