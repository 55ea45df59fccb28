// JobRegistry: the status machine of runner jobs (claims, leases, pause/resume/cancel requests).
// See job_registry.h.
#include <chrono>

#include "jobs/job_registry.h"

namespace cofre {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Terminal(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "canceled";
}

}  // namespace

StatusOr<JobRegistry::JobRecord> JobRegistry::Get(int64_t id) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare("SELECT job_type, status, user_name, spec, "
                                          "pid IS NOT NULL FROM jobs WHERE id = ?"));
  stmt.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFoundError("job with ID " + std::to_string(id) + " does not exist");
  JobRecord r;
  r.id = id;
  r.type = stmt.ColumnText(0);
  r.status = stmt.ColumnText(1);
  r.user = stmt.ColumnText(2);
  if (!stmt.ColumnIsNull(3)) r.spec = stmt.ColumnText(3);
  r.in_process = stmt.ColumnInt(4) != 0;
  return r;
}

StatusOr<std::vector<int64_t>> JobRegistry::Pending() {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare("SELECT id FROM jobs WHERE status IN ('pending', "
                                          "'cancel-requested') AND pid IS NULL ORDER BY id"));
  std::vector<int64_t> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(stmt.ColumnInt(0));
  }
  return out;
}

StatusOr<bool> JobRegistry::Claim(int64_t id, int64_t lease_ms) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare(
                       std::string("UPDATE jobs SET lease_expires = ?, num_runs = num_runs + "
                                   "(status = 'pending'), status = CASE status WHEN 'pending' "
                                   "THEN 'running' ELSE status END, error = '', started = "
                                   "coalesce(started, ") +
                       kSqlNow + "), modified = " + kSqlNow +
                       " WHERE id = ? AND status IN ('pending', 'cancel-requested')"));
  stmt.Bind(1, NowMs() + lease_ms).Bind(2, id);
  RETURN_IF_ERROR(stmt.Run());
  return sqlite3_changes(dir_->system().get()) > 0;
}

Status JobRegistry::Heartbeat(int64_t id, int64_t lease_ms) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare("UPDATE jobs SET lease_expires = ? WHERE id = ?"));
  stmt.Bind(1, NowMs() + lease_ms).Bind(2, id);
  return stmt.Run();
}

StatusOr<bool> JobRegistry::Transition(int64_t id, const std::vector<std::string>& from,
                                       const std::string& to) {
  std::string sql =
      std::string("UPDATE jobs SET status = ?2, modified = ") + kSqlNow +
      (Terminal(to) ? std::string(", checkpoint = NULL, finished = ") + kSqlNow : std::string()) +
      " WHERE id = ?1";
  if (!from.empty()) {
    sql += " AND status IN (";
    for (size_t i = 0; i < from.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 3);
    sql += ")";
  }
  ASSIGN_OR_RETURN(SqliteStmt stmt, dir_->system().Prepare(sql));
  stmt.Bind(1, id).Bind(2, to);
  for (size_t i = 0; i < from.size(); ++i) stmt.Bind(static_cast<int>(i + 3), from[i]);
  RETURN_IF_ERROR(stmt.Run());
  return sqlite3_changes(dir_->system().get()) > 0;
}

StatusOr<int> JobRegistry::AdoptOrphans() {
  int adopted = 0;
  for (auto [from, to] :
       {std::pair<const char*, const char*>{"running", "pending"}, {"pause-requested", "paused"}}) {
    ASSIGN_OR_RETURN(SqliteStmt stmt,
                     dir_->system().Prepare(
                         std::string("UPDATE jobs SET status = ?, modified = ") + kSqlNow +
                         (Terminal(to) ? std::string(", finished = ") + kSqlNow : std::string()) +
                         " WHERE status = ? AND pid IS NULL"));
    stmt.Bind(1, to).Bind(2, from);
    RETURN_IF_ERROR(stmt.Run());
    adopted += sqlite3_changes(dir_->system().get());
  }
  return adopted;
}

StatusOr<std::string> JobRegistry::RequestControl(int64_t id, Control action) {
  ASSIGN_OR_RETURN(JobRecord job, Get(id));
  auto refuse = [&](const std::string& what) {
    return FailedPreconditionError("job " + std::to_string(id) + " with status " + job.status +
                                   " cannot be " + what);
  };
  if (job.in_process && !Terminal(job.status)) {
    return FailedPreconditionError(
        "job " + std::to_string(id) +
        " runs inside a statement, not in the server: cancel that statement instead (Ctrl-C, or "
        "pg_cancel_backend); run BACKUP/RESTORE ... WITH detached on a server for jobs that can be "
        "paused, resumed and canceled");
  }
  // Each request is one conditional update: a concurrent change of status makes it retry.
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::string to;
    switch (action) {
      case Control::kPause:
        if (job.status == "paused" || job.status == "pause-requested") return job.status;
        if (job.status == "pending")
          to = "paused";
        else if (job.status == "running")
          to = "pause-requested";
        else
          return refuse("paused");
        break;
      case Control::kResume:
        if (job.status == "running" || job.status == "pending") return job.status;
        // A job still pausing stops at its next piece of work and then runs again (from its
        // checkpoint): its runner leaves a pending job pending.
        if (job.status == "paused" || job.status == "pause-requested") {
          to = "pending";
        } else {
          return refuse("resumed");
        }
        break;
      case Control::kCancel:
        if (job.status == "cancel-requested" || job.status == "canceled") return job.status;
        // A runner job's run removes what it wrote before the job reads canceled.
        if (job.status == "pending" || job.status == "paused" || job.status == "running" ||
            job.status == "pause-requested") {
          to = "cancel-requested";
        } else {
          return refuse("canceled");
        }
        break;
    }
    ASSIGN_OR_RETURN(bool changed, Transition(id, {job.status}, to));
    if (changed) return to;
    ASSIGN_OR_RETURN(job, Get(id));
  }
  return UnavailableError("job " + std::to_string(id) + " changes status too often; retry");
}

}  // namespace cofre
