// Parallel export: the scan of a full backup, spread over several threads.
//
// The tables are cut into key ranges ("pieces"): a rowid table with many rows is split into
// equal rowid ranges, any other table is one piece. Worker threads take pieces off one shared
// queue (largest tables first, so the last pieces are small ones) and export each with
// ExportRange on their own reader connection of the snapshot, which all see the same state. Each
// worker scans, encodes, compresses and encrypts into its own data files, so nothing is handed
// between threads, every core does the whole pipeline, and memory is a few MiB per worker
// whatever the database size. When every piece is done, each table's spans are put back in key
// order and numbered from 1: the manifest is what one thread would have written, except that
// spans also end at piece boundaries.
// The first error stops the workers (after their current piece) and is returned, annotated with
// the table; the data files already written stay unpublished in the unfinished backup directory.
// Thread-safety: one call at a time per snapshot; the storage must be thread-safe.
#ifndef COFRE_BACKUP_PARALLEL_EXPORT_H_
#define COFRE_BACKUP_PARALLEL_EXPORT_H_

#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "backup/chain_storage.h"
#include "backup/live_counts.h"
#include "backup/table_exporter.h"
#include "engine/snapshot.h"

namespace cofre {

class BackupCheckpointer;

struct TableToExport {
  std::string database;                 // the table's database, as named in the snapshot
  const TableSchema* schema = nullptr;  // must outlive the call
  proto::Table* out = nullptr;          // receives description, spans, rows, bytes, index entries
};

struct ParallelExportOptions {
  int threads = 1;  // workers; at most snapshot.readers_per_database()
  // A rowid table is split into at most threads * pieces_per_thread ranges of at least
  // min_piece_rows rowids each (tests lower it to split small tables).
  int pieces_per_thread = 4;
  uint64_t min_piece_rows = 1 << 16;
  // Once stop is requested, workers take no further piece and the export fails with Cancelled.
  std::stop_token stop;
  // Records finished spans, and, when it resumes an interrupted run, brings that run's finished
  // spans to this snapshot instead of exporting their ranges (backup/backup_checkpoint.h). May be
  // null. The chain storage is what finished spans are read from.
  BackupCheckpointer* checkpoint = nullptr;
  const ChainStorage* chain = nullptr;
  // Counts the rows and bytes of finished pieces (may be null).
  LiveCounts* live = nullptr;
  // Records the digests of every row exported (backup/row_cache.h); may be null.
  RowCacheWriter* row_cache = nullptr;
};

// A key range of one table to export.
struct ExportPiece {
  size_t table = 0;                // index into the tables given
  std::string start_key, end_key;  // encoded keys; empty: unbounded
  uint64_t weight = 1;             // rowids covered (1 for unsplit tables): the size estimate
  // Set on a resume: a span an interrupted run finished, to bring to this snapshot.
  const proto::Span* finished = nullptr;
};

// The pieces of table number `index` of `schema`: rowid ranges when the table is large enough,
// otherwise the whole table; in key order.
StatusOr<std::vector<ExportPiece>> PlanPieces(const SqliteDb& db, const TableSchema& schema,
                                              size_t index, const ParallelExportOptions& options);

// Exports every table of `tables` (see above); reports the fraction of pieces done through
// `progress` (may be empty), always from the calling thread.
Status ExportTablesInParallel(const Snapshot& snapshot, const std::vector<TableToExport>& tables,
                              ExternalStorage& storage, const ChainCrypto& crypto,
                              const ExportOptions& options, const ParallelExportOptions& parallel,
                              const std::function<void(double)>& progress);

// The default number of export threads: the cores of this machine, at most 8.
int DefaultExportThreads();

// The worker pool under ExportTablesInParallel, for any backup work cut into items: runs
// `work(worker, item)` for every item in [0, items) on up to `threads` threads, which take items
// in increasing order off one shared queue; `worker` (0 <= worker < threads) numbers the thread,
// e.g. the snapshot reader it alone uses. Reports the fraction of items done, times 0.99, through
// `progress` (may be empty) from the calling thread. The first error stops the workers after
// their current item and is returned; ResourceExhausted when no thread can be started. Once
// `stop` is requested, no further item starts and the call returns Cancelled.
Status RunInParallel(int threads, size_t items,
                     const std::function<Status(int worker, size_t item)>& work,
                     const std::function<void(double)>& progress, std::stop_token stop = {});

}  // namespace cofre

#endif  // COFRE_BACKUP_PARALLEL_EXPORT_H_
