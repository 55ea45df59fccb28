// Running a BACKUP or RESTORE statement under a job record (jobs/job_registry.h): the record is
// created (or, for the server's runner, already exists), follows the body's progress (at most
// five updates a second, and the last fraction reached when the body stops on request, so that
// a paused job shows how far it got), and ends succeeded, failed or canceled; the statement's
// result is CockroachDB's job row. Shared by
// sql/backup_statements.cc and sql/restore_statements.cc.
// Thread-safety: one thread at a time per context.
#ifndef COFRE_SQL_STATEMENT_JOB_H_
#define COFRE_SQL_STATEMENT_JOB_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "backup/live_counts.h"
#include "sql/backup_statements.h"
#include "util/result_set.h"

namespace cofre::sql {

// The result row of a finished BACKUP or RESTORE: job_id, status, fraction_completed, rows,
// index_entries, bytes.
ResultSet JobResult(int64_t job_id, uint64_t rows, uint64_t index_entries, uint64_t bytes);

// Runs `body(job id, progress, ...)` as a job: records it, tracks progress, and marks the outcome.
template <typename Fn>
StatusOr<ResultSet> RunJob(const ExecContext& ctx, const std::string& type,
                           const std::string& description, Fn body,
                           const LiveCounts* live = nullptr) {
  int64_t id = 0;
  if (ctx.job_id) {
    id = *ctx.job_id;
  } else {
    ASSIGN_OR_RETURN(id, ctx.jobs->Start(type, description, ctx.user));
  }
  auto last = std::chrono::steady_clock::now();
  double reached = 0;
  auto record = [&](double f) {
    if (live) {
      ctx.jobs->Progress(id, f, live->rows.load(), live->bytes.load()).IgnoreError();
    } else {
      ctx.jobs->Progress(id, f).IgnoreError();
    }
  };
  std::function<void(double)> progress = [&](double f) {
    reached = f;
    auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(200)) return;
    last = now;
    record(f);
  };
  uint64_t rows = 0, entries = 0, bytes = 0;
  Status st = body(id, progress, &rows, &entries, &bytes);
  if (!st.ok() && st.code() == StatusCode::kCancelled &&
      (ctx.stop.stop_requested() || ctx.job_id)) {
    record(reached);
    // Stopped on request: a runner job's status is settled by the runner (paused, canceled, or
    // pending again at shutdown); a statement's job was canceled with its statement.
    if (!ctx.job_id) ctx.jobs->Transition(id, {"running"}, "canceled").status().IgnoreError();
    return st;
  }
  if (!st.ok()) {
    ctx.jobs->Fail(id, st.message()).IgnoreError();
    return st;
  }
  RETURN_IF_ERROR(ctx.jobs->Succeed(id, rows, entries, bytes));
  return JobResult(id, rows, entries, bytes);
}

// Unimplemented for CockroachDB's system tables (RESTORE system.users ...): they have no
// counterpart in a cofre backup. `verb` names the statement.
Status RefuseSystemTargets(const Targets& targets, std::string_view verb);

}  // namespace cofre::sql

#endif  // COFRE_SQL_STATEMENT_JOB_H_
