// Job statements: BACKUP/RESTORE ... WITH detached (submitted to the server's JobRunner), PAUSE,
// RESUME and CANCEL JOB, SHOW JOBS (filtered by privilege) and SHOW JOB WHEN COMPLETE; and the
// resumer with which the server's JobRunner runs a detached BACKUP or RESTORE job.
//
// Privileges (as CockroachDB): SHOW JOBS lists the user's own jobs, or every job for admin and
// holders of VIEWJOB (or CONTROLJOB); PAUSE/RESUME/CANCEL JOB need the job to be the user's own,
// or admin, or CONTROLJOB.
// Thread-safety: functions of one context are called by one thread at a time.
#ifndef COFRE_SQL_JOB_STATEMENTS_H_
#define COFRE_SQL_JOB_STATEMENTS_H_

#include <string>
#include <string_view>

#include "jobs/job_runner.h"
#include "sql/backup_statements.h"
#include "sql/privileges.h"
#include "sql/statement.h"

namespace cofre::sql {

// The spec of a detached job (proto/job_spec.proto) running `statement` (which may hold secrets:
// it is sealed under the node key of `data_dir`) in `database`.
StatusOr<std::string> MakeJobSpec(const std::string& data_dir, std::string_view statement,
                                  const std::string& database);

// Records `statement` (the text as typed, which may hold secrets: it is stored only sealed under
// the node key) as a pending job of `type` for `runner`, and returns CockroachDB's one-row
// result (job_id). FailedPrecondition without a runner (embedded cofre sql).
StatusOr<ResultSet> SubmitDetached(const ExecContext& ctx, JobRunner* runner,
                                   std::string_view statement, const std::string& type,
                                   const std::string& description);

StatusOr<ResultSet> ExecuteControlJob(const ExecContext& ctx, JobRunner* runner,
                                      const Privileges& actor, const ControlJob& stmt);
StatusOr<ResultSet> ExecuteShowJobs(const ExecContext& ctx, const Privileges& actor);
// SHOW JOB [WHEN COMPLETE]: waits (polling, until ctx.stop) for a terminal status when asked.
StatusOr<ResultSet> ExecuteShowJob(const ExecContext& ctx, const Privileges& actor,
                                   const ShowJob& stmt);

// The JobRunner's resumer for BACKUP and RESTORE jobs of the data directory `data_dir`: opens
// the sealed statement, checks the job's user still holds the privileges it needs, and runs the
// statement as the job, with `operations`.
Status RunStatementJob(const std::string& data_dir, const OperationSettings& operations,
                       const JobExecution& job);

}  // namespace cofre::sql

#endif  // COFRE_SQL_JOB_STATEMENTS_H_
