// Execution of BACKUP, RESTORE, SHOW BACKUPS and SHOW BACKUP: resolves targets
// against the data directory, validates options, opens storage, unlocks keys,
// runs the backup layer inside a job record, and renders CockroachDB's result
// rows. Thread-safety: one thread at a time per context.
#ifndef COFRE_SQL_BACKUP_STATEMENTS_H_
#define COFRE_SQL_BACKUP_STATEMENTS_H_

#include <string>

#include "engine/data_dir.h"
#include "jobs/job_registry.h"
#include "sql/statement.h"
#include "util/result_set.h"

namespace cofre::sql {

struct ExecContext {
  DataDir* data_dir = nullptr;
  JobRegistry* jobs = nullptr;
  std::string current_database;
};

StatusOr<ResultSet> ExecuteBackup(const ExecContext& ctx, const Backup& stmt);
StatusOr<ResultSet> ExecuteRestore(const ExecContext& ctx, const Restore& stmt);
StatusOr<ResultSet> ExecuteShowBackups(const ExecContext& ctx,
                                       const ShowBackups& stmt);
StatusOr<ResultSet> ExecuteShowBackup(const ExecContext& ctx,
                                      const ShowBackup& stmt);

}  // namespace cofre::sql

#endif  // COFRE_SQL_BACKUP_STATEMENTS_H_
