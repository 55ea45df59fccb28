// RunRestore: rebuilds databases or tables from one backup manifest (the newest layer wanted).
//
// Whole databases are built in private staging files (no journal: nothing is visible before it
// is complete and synced) and published into the catalog together at the end. Tables restored
// into an existing database are built the same way in a staging file of their own, then moved
// in inside one transaction on it (SQLite copies their records and index entries as they are).
// Either way a failed or killed restore leaves nothing half-restored. For each span, the base file
// and its deltas are applied in layer order (newest wins, tombstones delete): each file is read
// exactly once. Thread-safety: one call per thread.
#ifndef COFRE_BACKUP_RESTORE_H_
#define COFRE_BACKUP_RESTORE_H_

#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "backup/bulk_load_plan.h"
#include "backup/chain_storage.h"
#include "backup/live_counts.h"
#include "backup/stored_file.h"
#include "engine/data_dir.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

struct RestoreDatabaseSpec {
  std::string source;          // database name in the backup
  std::string target;          // name to publish it under
  bool replace_empty = false;  // cluster restore over an empty database of that name
};

struct RestoreTablesSpec {
  std::string source_database;
  std::vector<std::string> tables;
  std::string target_database;  // an existing database
};

struct RestoreRequest {
  ChainStorage storage;
  const proto::BackupManifest* manifest = nullptr;
  ChainCrypto crypto;
  DataDir* data_dir = nullptr;
  std::vector<RestoreDatabaseSpec> databases;
  std::vector<RestoreTablesSpec> tables;
  std::function<void(double)> progress;
  // Checked between backup files: once requested, the restore fails with Cancelled and
  // publishes nothing.
  std::stop_token stop;
  // Counts what is restored as it goes (may be null).
  LiveCounts* live = nullptr;
  // Create the schema (tables, indexes, views, triggers, AUTOINCREMENT counters) and no rows;
  // no data file is read.
  bool schema_only = false;
  // Write b-tree pages directly where the plan allows (backup/bulk_load_plan.h); false: every
  // row goes through SQLite's INSERT (for comparisons and tests).
  bool bulk_pages = true;
  // A table restore into a WAL database of cofre's own that no other connection has open moves
  // its rows in through a rollback journal (engine/journal_switch.h): written once, but
  // connections that open the database during the copy wait for it.
  bool tables_through_journal = false;
  // Tests only: called inside a table restore's copy transaction once its first table went in,
  // or inside the transaction that links appended tables in (the e2e tests kill the process
  // there).
  std::function<void()> test_after_first_table_copied;
};

struct RestoreResult {
  uint64_t rows = 0;
  uint64_t index_entries = 0;
  uint64_t bytes = 0;
  // Tables restored into an existing database whose records SQLite copied as they are from the
  // staging file (engine/table_transfer.h); the others went in row by row.
  uint64_t tables_copied_as_records = 0;
  // The target (a WAL database) took that copy through a rollback journal, writing its pages
  // once (engine/journal_switch.h); false when another connection had it open.
  bool copied_through_rollback_journal = false;
  // Tables restored into an existing database by appending their b-tree pages to its file
  // (engine/pending_append.h): all of them or none.
  uint64_t tables_written_as_pages = 0;
  // Restored databases (not RESTORE TABLE): their tables (virtual tables' shadow tables aside),
  // and those whose rows SQLite inserted one by one instead of the page writer writing their
  // b-trees (backup/bulk_loader.h).
  uint64_t database_tables = 0;
  uint64_t database_tables_row_by_row = 0;
};

StatusOr<RestoreResult> RunRestore(const RestoreRequest& request);

// The first step of restoring database `pdb` of a manifest: creates its tables (and, when
// `bulk`, its indexes) in the new SQLite file at `path` (":memory:" for a check that writes no
// file), each statement checked by a SchemaGuard (backup/schema_guard.h), and plans which tables
// and indexes RESTORE writes as pages directly (bulk_load_plan.h; an empty plan when `bulk` is
// false). When `bulk` and a table can be written directly, it also creates the manifest's
// indexes, views and triggers, in the manifest's order, up to the first trigger on a table SQLite
// will load (plan.objects_before_rows counts them; the caller creates the rest after the rows,
// and rebuilds the indexes the plan leaves out on tables the page writer fills).
// DataLoss naming the object for SQL the manifest cannot hold.
StatusOr<BulkLoadPlan> CreateRestoreSchema(const std::string& path, const proto::Database& pdb,
                                           bool bulk);

}  // namespace cofre

#endif  // COFRE_BACKUP_RESTORE_H_
