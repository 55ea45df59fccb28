// Execution of BACKUP, RESTORE, SHOW BACKUPS and SHOW BACKUP: resolves targets
// against the data directory, validates options, opens storage, unlocks keys,
// runs the backup layer inside a job record, and renders CockroachDB's result
// rows. Thread-safety: one thread at a time per context.
#ifndef COFRE_SQL_BACKUP_STATEMENTS_H_
#define COFRE_SQL_BACKUP_STATEMENTS_H_

#include <optional>
#include <stop_token>
#include <string>

#include "engine/data_dir.h"
#include "jobs/job_registry.h"
#include "sql/operation_settings.h"
#include "sql/statement.h"
#include "util/result_set.h"

namespace cofre::sql {

struct ExecContext {
  DataDir* data_dir = nullptr;
  JobRegistry* jobs = nullptr;
  std::string current_database;
  std::string user = "root";  // recorded on the job
  // Set when the server's JobRunner runs the statement as job `job_id` (already running): the
  // statement runs under that record, and leaves a stopped job's status to the runner.
  std::optional<int64_t> job_id;
  // Requested by Session::Interrupt (a cancelled statement) or by PAUSE/CANCEL JOB.
  std::stop_token stop;
  OperationSettings operations;
};

StatusOr<ResultSet> ExecuteBackup(const ExecContext& ctx, const Backup& stmt);
StatusOr<ResultSet> ExecuteRestore(const ExecContext& ctx, const Restore& stmt);
StatusOr<ResultSet> ExecuteShowBackups(const ExecContext& ctx, const ShowBackups& stmt);
StatusOr<ResultSet> ExecuteShowBackup(const ExecContext& ctx, const ShowBackup& stmt);

}  // namespace cofre::sql

#endif  // COFRE_SQL_BACKUP_STATEMENTS_H_
