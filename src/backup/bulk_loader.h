// BulkLoad: fills the planned tables and indexes of a restore staging database (see
// bulk_load_plan.h) by writing SQLite b-tree pages directly, instead of INSERT and CREATE INDEX.
//
// Tables load one after the other, largest first: every span's rows as of the restored layer
// (base file and deltas merged by SpanReader, read and decrypted on a prefetch thread) are
// encoded as SQLite records and appended to the table's b-tree in rowid order. The calling thread
// and a second loading thread take a table's spans in turn, each its next span as it finishes
// one, so that both stay busy to the table's last span; the spans from the first one the
// second thread takes on go each into a part of the b-tree, appended as soon as the spans
// before it are in (engine/bulk_btree.h, TableBtreeBuilder::NewPart). Each row's SQLite record
// goes in batches to the sorting threads of the table's indexes (bulk_index_sort.h: one thread
// per core, indexes assigned round robin), which make the row's index entries from it, so that
// the loading thread, the restore's critical path, does not; each index's bounded-memory
// ExternalSorter sorts them and, once the table's rows are in, its thread writes the index
// b-tree while the next table loads. UNIQUE indexes are checked as they are written (a
// duplicate is DataLoss naming the index).
//
// The staging file must be closed by SQLite while this runs; it is complete (and header
// updated) only when BulkLoad returns OK. On error the file is garbage: the caller deletes it.
// Returns FailedPrecondition when the rows cannot be written directly after all (a table's rows
// not in rowid order, NOCASE text holding a NUL byte in an index): the caller then loads
// through SQLite instead. Memory: one span's prefetch buffers per loading thread, and the reader
// of the next span when it is opened ahead (with one loading thread, or from object storage,
// where each file's first byte is a round trip away), 6 MiB of sorter buffers per table being
// sorted (a thread that finds no span of a table left waits for the other to finish the table, so
// that at most two tables' sorters are full at once), the batches in flight and a few pages per
// b-tree being written, whatever the database's size; and each part's list of leaves (2-4 bytes
// a leaf; a part is one span) and last leaf until it is appended.
// Thread-safety: one call per staging file.
#ifndef COFRE_BACKUP_BULK_LOADER_H_
#define COFRE_BACKUP_BULK_LOADER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <stop_token>
#include <string>

#include "backup/bulk_load_plan.h"
#include "backup/chain_storage.h"
#include "backup/stored_file.h"

namespace cofre {

struct BulkLoadRequest {
  std::string path;      // the staging database file
  std::string temp_dir;  // for the sorters' spilled runs (same file system as `path`)
  const BulkLoadPlan* plan = nullptr;
  const ChainStorage* storage = nullptr;
  const ChainCrypto* crypto = nullptr;
  // After each span; called by one thread at a time, from any loading thread.
  std::function<void(uint64_t logical_bytes)> progress;
  // Checked after each span: once requested, the load fails with Cancelled.
  std::stop_token stop;
  // The file becomes a database that must survive a crash (synced as it is written and at the
  // end, engine/bulk_btree.h); false for a scratch file read once and deleted.
  bool durable = true;
  // `path` is a live database that the plan's b-trees are appended to (engine/bulk_btree.h,
  // Options::append; the caller keeps engine/pending_append.h's invariants): each tree gets a
  // new root page past the end of the file instead of the plan's, in plan order.
  bool append = false;
  // Threads that load a table's rows: with 2, the calling thread and a second one take the
  // table's spans in turn, so that two spans' rows are read, decrypted and encoded at once; 1
  // loads on the calling thread alone.
  int loading_threads = 2;
  // How far a thread reads the backup's files ahead of the loading threads, through the page
  // cache, for storages whose reads are cached (backup/file_read_ahead.h); 0: no read-ahead.
  uint64_t read_ahead_bytes = 256 << 20;
};

struct BulkLoadResult {
  uint64_t rows = 0;
  uint64_t index_entries = 0;
  // Appending: the root page each tree got, by the plan's root page.
  std::map<uint32_t, uint32_t> roots;
};

StatusOr<BulkLoadResult> BulkLoad(const BulkLoadRequest& request);

}  // namespace cofre

#endif  // COFRE_BACKUP_BULK_LOADER_H_
