// StatementOptions: validation of the WITH options of BACKUP, RESTORE and SHOW
// BACKUP.
//
// Each statement accepts a fixed set of options; unknown or repeated options,
// values of the wrong shape, and options of features cofre does not offer are
// refused with an error naming the option (and never echoing its value, which
// may be a secret). Thread-safety: plain values.
#ifndef COFRE_SQL_STATEMENT_OPTIONS_H_
#define COFRE_SQL_STATEMENT_OPTIONS_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "backup/chain_keys.h"
#include "sql/statement.h"

namespace cofre::sql {

struct StatementOptions {
  KeyOptions keys;
  std::optional<std::string> new_db_name;
  std::optional<std::string> into_db;
  std::optional<std::string> incremental_location;
  // RESTORE, SHOW BACKUP: read a chain older than one this data directory saw (its newest
  // layers gone, or LATEST naming an older full backup), with a warning. Default: refuse.
  bool allow_older = false;
  // SHOW BACKUP: check that every file the chain names is present with its recorded size.
  bool check_files = false;
  // RESTORE: create the schema only (tables, indexes, views, triggers; no rows), as CockroachDB.
  bool schema_only = false;
  // RESTORE, with schema_only: read, authenticate and decode every data file the restore would
  // use and check it against the manifest, writing no database (the schema is not created).
  bool verify_backup_table_data = false;
  // BACKUP: how long the snapshot may wait for busy database files (default 30 s).
  std::optional<std::chrono::milliseconds> snapshot_timeout;
  // BACKUP, RESTORE: return the job id at once and let the server's job runner run the job
  // (refused by an embedded session, which has no runner).
  bool detached = false;
  // SHOW BACKUP: one row per layer with its manifest as JSON (column `manifest`).
  bool as_json = false;
};

enum class OptionContext { kBackup, kRestore, kShowBackup };

StatusOr<StatementOptions> ValidateOptions(const std::vector<Option>& options,
                                           OptionContext context);

}  // namespace cofre::sql

#endif  // COFRE_SQL_STATEMENT_OPTIONS_H_
