// The index side of a restore's bulk load (bulk_loader.h): the threads that make a table's
// index entries from its rows, sort them and write the index b-trees.
//
// The loading threads hand each sorting thread batches of rows (RowBatch: each row's rowid and
// the projected SQLite record of the columns that thread's indexes read, SortThreadColumns in
// bulk_row_encoder.h). The thread makes each row's entry in each of its indexes (a
// byte-comparable sort key, engine/index_sort_key.h, then the index's SQLite record, then the
// key's length) and adds it to the index's bounded-memory ExternalSorter. Once the table's rows
// are in, WriteIndex, posted to the same thread, sorts the entries and writes the index b-tree,
// checking UNIQUE.
// Thread-safety: SortingThreads' methods may be called from any thread; an IndexBuild's sorter
// is used on its sorting thread only.
#ifndef COFRE_BACKUP_BULK_INDEX_SORT_H_
#define COFRE_BACKUP_BULK_INDEX_SORT_H_

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backup/bulk_load_plan.h"
#include "engine/bulk_btree.h"
#include "engine/external_sorter.h"
#include "engine/index_record_order.h"
#include "engine/sort_order.h"
#include "util/status.h"
#include "util/task_thread.h"

namespace cofre::bulk_sort {

// Rows handed to the sorting threads at a time (bytes of a batch).
constexpr size_t kEntryBatchBytes = 1 << 20;

// One index of the table being loaded: its order, its sorter, then its pages. Its sorter sorts
// entries made of the sort key (index_sort_key.h: byte order is the index's order), the SQLite
// record, then the key's length (4 bytes, native order).
struct IndexBuild {
  const BulkIndexPlan* plan;
  IndexRecordOrder order;  // for UNIQUE checks on the records
  BytewiseOrder bytewise;
  std::unique_ptr<ExternalSorter> sorter;  // used on its sorting thread only
  size_t thread = 0;                       // which sorting thread
  // For each key field before the trailing rowid: its value's position in the projected records
  // its thread receives (SortThreadColumns), or -1 for the rowid.
  std::vector<int> batch_sources;

  // `budget`: the sorter's memory; its runs go to `temp_dir`.
  IndexBuild(const BulkIndexPlan* p, size_t budget, const std::string& temp_dir);
};
using IndexBuilds = std::vector<std::unique_ptr<IndexBuild>>;

// Sorts one index's entries and writes its b-tree into `writer`, checking UNIQUE (DataLoss
// naming the index and `table` on a duplicate key). Frees the sorter's memory and runs.
Status WriteIndex(BulkFileWriter& writer, const std::string& table, IndexBuild& build);

// Rows handed to one sorting thread: each its rowid (8 bytes, native order), the length of its
// projected SQLite record (varint, SortThreadColumns), the record. The thread makes the entries
// of its indexes from them.
struct RowBatch {
  std::vector<IndexBuild*> indexes;  // of the table, on that thread
  std::string rows;
};

// The threads that sort index entries and write index pages: each index is given to one of
// them, so the indexes of a table sort in parallel with each other and with the loading of the
// next table.
class SortingThreads {
 public:
  // `n` threads (at least one), each with one pending task besides the one it runs: the batch
  // being sorted and the next one.
  explicit SortingThreads(size_t n);
  size_t size() const { return threads_.size(); }
  TaskThread& at(size_t i) { return *threads_[i]; }
  // Assigns the next index to a thread, round robin across tables.
  size_t Assign() { return next_++ % threads_.size(); }
  // True once a task of any thread failed.
  bool failed();
  // An empty batch buffer for a loading thread: one the sorting threads gave back when there
  // is one, so that batches reuse their memory instead of allocating (and page-faulting in)
  // fresh buffers all along the restore.
  std::string TakeBatch();
  // Makes the entries of the batch's rows in its indexes and feeds them to their sorters, then
  // gives the batch's buffer back. FailedPrecondition when a value has no byte-comparable sort
  // key (the caller then loads through SQLite).
  Status SortRows(RowBatch& batch, const std::string& table);
  // The first failure of a thread so far, or OK; does not wait.
  Status FirstFailure();
  // Waits for every thread; the first failure.
  Status Wait();

 private:
  // Gives a consumed batch's buffer back (kept when fewer than kSpareBatches are).
  void ReturnBatch(std::string&& batch);

  // Batch buffers in flight: per thread the batches being sorted and the next ones (one per
  // index), plus the ones being filled.
  static constexpr size_t kSpareBatches = 16;

  std::vector<std::unique_ptr<TaskThread>> threads_;
  size_t next_ = 0;
  std::mutex spare_mu_;
  std::vector<std::string> spare_;
};

}  // namespace cofre::bulk_sort

#endif  // COFRE_BACKUP_BULK_INDEX_SORT_H_
