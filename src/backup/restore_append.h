// AppendedTables: the tables of a table restore (backup/restore_tables.h) whose b-trees are
// written as pages appended to the target database's file, and their link into its schema
// (engine/pending_append.h, docs/architecture.md §3 item 5). Internal to the restore.
//
// A table qualifies when the page writer covers it whole: a rowid table of the plan
// (backup/bulk_load_plan.h) every index of which the plan writes too. Its sqlite_schema rows
// are SQLite's own, taken from a staging file in which the manifest's statements were run
// through a SchemaGuard (and that holds no rows); only their root pages change.
// Thread-safety: one object per restore, used on its thread.
#ifndef COFRE_BACKUP_RESTORE_APPEND_H_
#define COFRE_BACKUP_RESTORE_APPEND_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backup/restore.h"
#include "backup/restore_build.h"
#include "engine/pending_append.h"
#include "engine/sqlite.h"
#include "proto/backup_manifest.pb.h"
#include "util/status.h"

namespace cofre::restore_build {

class AppendedTables {
 public:
  // Writes past the end of the target's file at `path` the b-trees of the tables of `subset`
  // that qualify; `subset` holds the wanted tables and their indexes, in the target's page size.
  // Null, having changed nothing, when none qualifies or their rows cannot be written as pages
  // after all. REQUIRES: `db` is the only connection to the target, in rollback-journal mode, no
  // transaction open. On error the file is as it was.
  static StatusOr<std::unique_ptr<AppendedTables>> Write(const SqliteDb& db,
                                                         const std::string& path,
                                                         const proto::Database& subset,
                                                         const RestoreRequest& req,
                                                         RestoreProgress* progress);
  // Not linked, or linked in a transaction that did not commit: the file is put back.
  ~AppendedTables() = default;
  AppendedTables(const AppendedTables&) = delete;
  AppendedTables& operator=(const AppendedTables&) = delete;

  // The tables written.
  const std::set<std::string>& names() const { return names_; }
  uint64_t rows() const { return rows_; }
  uint64_t index_entries() const { return index_entries_; }

  // Inside the caller's transaction on `db` (BEGIN IMMEDIATE, no SchemaGuard installed yet):
  // makes sqlite_sequence when a table needs it and the target has none, inserts the tables'
  // and indexes' sqlite_schema rows with their new root pages, and bumps the schema version so
  // that SQLite reads the schema again. Their triggers and AUTOINCREMENT counters are the
  // caller's.
  Status Link(const SqliteDb& db);
  // The caller's transaction committed: the append is done (the marker goes).
  void Committed() { append_->Committed(); }

 private:
  // A row of sqlite_schema as the link inserts it.
  struct SchemaRow {
    std::string type, name, tbl_name;
    int64_t rootpage = 0;            // in the target
    std::optional<std::string> sql;  // none for the automatic index of a constraint
  };

  AppendedTables() = default;

  std::unique_ptr<PendingAppend> append_;
  std::set<std::string> names_;
  std::vector<SchemaRow> rows_schema_;
  bool autoincrement_ = false;  // some table needs sqlite_sequence
  uint64_t rows_ = 0;
  uint64_t index_entries_ = 0;
};

}  // namespace cofre::restore_build

#endif  // COFRE_BACKUP_RESTORE_APPEND_H_
