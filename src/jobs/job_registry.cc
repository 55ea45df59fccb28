#include "jobs/job_registry.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "jobs/job_id.h"

namespace cofre {

namespace {

constexpr char kJobsSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY,
  job_type TEXT NOT NULL,
  description TEXT NOT NULL,
  status TEXT NOT NULL,
  created TEXT NOT NULL,
  started TEXT,
  finished TEXT,
  modified TEXT NOT NULL,
  fraction_completed REAL NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  result_rows INTEGER,
  result_index_entries INTEGER,
  result_bytes INTEGER,
  pid INTEGER,
  running_status TEXT,
  user_name TEXT NOT NULL DEFAULT 'root',
  spec BLOB,
  lease_expires INTEGER,
  num_runs INTEGER NOT NULL DEFAULT 0,
  checkpoint BLOB
);
CREATE TABLE IF NOT EXISTS backup_dirs (
  job_id INTEGER NOT NULL,
  storage TEXT NOT NULL,
  kind INTEGER NOT NULL,
  dir TEXT NOT NULL,
  PRIMARY KEY (job_id, dir)
);
)sql";

}  // namespace

Status JobRegistry::Init() {
  RETURN_IF_ERROR(dir_->system().Exec(kJobsSchema));
  // Data directories made before these columns existed get them.
  for (const char* column :
       {"running_status TEXT", "user_name TEXT NOT NULL DEFAULT 'root'", "spec BLOB",
        "lease_expires INTEGER", "num_runs INTEGER NOT NULL DEFAULT 0", "checkpoint BLOB"}) {
    std::string name(column, std::string_view(column).find(' '));
    ASSIGN_OR_RETURN(std::optional<int64_t> has,
                     dir_->system().QueryInt("SELECT count(*) FROM pragma_table_info('jobs') "
                                             "WHERE name = '" +
                                             name + "'"));
    if (has.value_or(0) == 0) {
      RETURN_IF_ERROR(dir_->system().Exec(std::string("ALTER TABLE jobs ADD COLUMN ") + column));
    }
  }
  return Status::OK();
}

StatusOr<int64_t> JobRegistry::Start(const std::string& type, const std::string& description,
                                     const std::string& user) {
  return Insert(type, description, user, std::nullopt);
}

StatusOr<int64_t> JobRegistry::CreatePending(const std::string& type,
                                             const std::string& description,
                                             const std::string& user, const std::string& spec) {
  return Insert(type, description, user, spec);
}

StatusOr<int64_t> JobRegistry::Insert(const std::string& type, const std::string& description,
                                      const std::string& user,
                                      const std::optional<std::string>& spec) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare(
                       std::string("INSERT INTO jobs(id, job_type, description, status, created, "
                                   "started, modified, pid, user_name, spec) VALUES(?, ?, ?, ?, ") +
                       kSqlNow + ", CASE WHEN ?4 = 'running' THEN " + kSqlNow + " END, " + kSqlNow +
                       ", ?, ?, ?)"));
  // Two processes on one node can draw the same id: skip past a taken one and retry.
  for (int attempt = 0;; ++attempt) {
    int64_t id = NextJobId();
    stmt.Bind(1, id).Bind(2, type).Bind(3, description).Bind(4, spec ? "pending" : "running");
    if (spec) {
      stmt.BindNull(5).Bind(6, user).BindBlob(7, *spec);
    } else {
      stmt.Bind(5, static_cast<int64_t>(::getpid())).Bind(6, user).BindNull(7);
    }
    Status st = stmt.Run();
    RETURN_IF_ERROR(stmt.Reset());
    if (st.ok()) return id;
    if (sqlite3_extended_errcode(dir_->system().get()) != SQLITE_CONSTRAINT_PRIMARYKEY ||
        attempt == 100) {
      return st;
    }
    JobIdGenerator::Default().AdvancePast(id);
  }
}

Status JobRegistry::Progress(int64_t id, double fraction, std::optional<uint64_t> rows,
                             std::optional<uint64_t> bytes) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare(std::string("UPDATE jobs SET fraction_completed = ?1, "
                                                      "result_rows = coalesce(?3, result_rows), "
                                                      "result_bytes = coalesce(?4, result_bytes), "
                                                      "modified = ") +
                                          kSqlNow + " WHERE id = ?2"));
  stmt.Bind(1, fraction).Bind(2, id);
  if (rows) stmt.Bind(3, static_cast<int64_t>(*rows));
  if (bytes) stmt.Bind(4, static_cast<int64_t>(*bytes));
  return stmt.Run();
}

Status JobRegistry::SetRunningStatus(int64_t id, const std::string& text) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare(std::string("UPDATE jobs SET running_status = ?, "
                                                      "modified = ") +
                                          kSqlNow + " WHERE id = ?"));
  stmt.Bind(1, text).Bind(2, id);
  return stmt.Run();
}

Status JobRegistry::Succeed(int64_t id, uint64_t rows, uint64_t index_entries, uint64_t bytes) {
  ASSIGN_OR_RETURN(
      SqliteStmt stmt,
      dir_->system().Prepare(
          std::string(
              "UPDATE jobs SET status = 'succeeded', fraction_completed = 1, "
              "checkpoint = NULL, result_rows = ?, result_index_entries = ?, result_bytes = ?, "
              "finished = ") +
          kSqlNow + ", modified = " + kSqlNow + " WHERE id = ?"));
  stmt.Bind(1, static_cast<int64_t>(rows))
      .Bind(2, static_cast<int64_t>(index_entries))
      .Bind(3, static_cast<int64_t>(bytes))
      .Bind(4, id);
  return stmt.Run();
}

Status JobRegistry::Fail(int64_t id, const std::string& error) {
  ASSIGN_OR_RETURN(SqliteStmt stmt, dir_->system().Prepare(
                                        std::string("UPDATE jobs SET status = 'failed', error = ?, "
                                                    "checkpoint = NULL, finished = ") +
                                        kSqlNow + ", modified = " + kSqlNow + " WHERE id = ?"));
  stmt.Bind(1, error).Bind(2, id);
  return stmt.Run();
}

Status JobRegistry::SaveCheckpoint(int64_t id, const std::string& checkpoint) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare("UPDATE jobs SET checkpoint = ? WHERE id = ?"));
  stmt.BindBlob(1, checkpoint).Bind(2, id);
  return stmt.Run();
}

StatusOr<std::string> JobRegistry::Checkpoint(int64_t id) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare("SELECT checkpoint FROM jobs WHERE id = ?"));
  stmt.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row || stmt.ColumnIsNull(0)) return std::string();
  return stmt.ColumnText(0);
}

Status JobRegistry::RecordBackupDir(int64_t id, const std::string& storage_uri, int kind,
                                    const std::string& dir) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare("INSERT OR REPLACE INTO backup_dirs(job_id, storage, "
                                          "kind, dir) VALUES(?, ?, ?, ?)"));
  stmt.Bind(1, id).Bind(2, storage_uri).Bind(3, static_cast<int64_t>(kind)).Bind(4, dir);
  return stmt.Run();
}

StatusOr<std::vector<JobRegistry::BackupDir>> JobRegistry::FinishedBackupDirs(
    const std::vector<std::string>& storage_uris, int64_t starting) {
  std::vector<BackupDir> out;
  if (storage_uris.empty()) return out;
  RETURN_IF_ERROR(ReapDeadJobs());
  std::string in = "?";
  for (size_t i = 1; i < storage_uris.size(); ++i) in += ", ?";
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare(
                       "SELECT b.job_id, b.storage, b.kind, b.dir FROM backup_dirs b LEFT JOIN "
                       "jobs j ON j.id = b.job_id WHERE (j.status IS NULL OR j.status != "
                       "'running' OR b.job_id = ?1) AND b.storage IN (" +
                       in + ") ORDER BY b.job_id, b.dir"));
  stmt.Bind(1, starting);
  for (size_t i = 0; i < storage_uris.size(); ++i) {
    stmt.Bind(static_cast<int>(i + 2), storage_uris[i]);
  }
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back({stmt.ColumnInt(0), stmt.ColumnText(1), static_cast<int>(stmt.ColumnInt(2)),
                   stmt.ColumnText(3)});
  }
  return out;
}

Status JobRegistry::ForgetBackupDir(int64_t id, const std::string& dir) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare("DELETE FROM backup_dirs WHERE job_id = ? AND dir = ?"));
  stmt.Bind(1, id).Bind(2, dir);
  return stmt.Run();
}

Status JobRegistry::ReapDeadJobs() {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   dir_->system().Prepare("SELECT id, pid FROM jobs WHERE status = 'running' "
                                          "AND pid IS NOT NULL"));
  std::vector<int64_t> dead;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    pid_t pid = static_cast<pid_t>(stmt.ColumnInt(1));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) dead.push_back(stmt.ColumnInt(0));
  }
  for (int64_t id : dead) {
    RETURN_IF_ERROR(Fail(id, "the cofre process running this job exited before it finished"));
  }
  return Status::OK();
}

StatusOr<ResultSet> JobRegistry::Query(const std::string& where, int64_t id,
                                       const std::string& user) {
  RETURN_IF_ERROR(ReapDeadJobs());
  ASSIGN_OR_RETURN(
      SqliteStmt stmt,
      dir_->system().Prepare("SELECT id, job_type, description, user_name, status, running_status, "
                             "created, started, finished, modified, fraction_completed, error, 1, "
                             "num_runs, result_rows, result_bytes FROM jobs WHERE " +
                             where + " ORDER BY id DESC"));
  stmt.Bind(1, id).Bind(2, user);
  using K = ResultSet::Kind;
  ResultSet rs;
  rs.columns = {{"job_id", K::kNumber},
                {"job_type"},
                {"description"},
                {"user_name"},
                {"status"},
                {"running_status"},
                {"created"},
                {"started"},
                {"finished"},
                {"modified"},
                {"fraction_completed", K::kNumber},
                {"error"},
                {"coordinator_id", K::kNumber},
                {"num_runs", K::kNumber},
                {"rows", K::kNumber},
                {"bytes", K::kNumber}};
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ResultSet::Row r;
    for (int i = 0; i < stmt.ColumnCount(); ++i) {
      if (stmt.ColumnIsNull(i)) {
        r.push_back(std::nullopt);
      } else if (i == 10) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%.6g", stmt.ColumnDouble(i));
        r.push_back(std::string(buf));
      } else {
        r.push_back(stmt.ColumnText(i));
      }
    }
    rs.rows.push_back(std::move(r));
  }
  return rs;
}

StatusOr<ResultSet> JobRegistry::ShowJobs(const std::optional<std::string>& user) {
  return Query(user ? "user_name = ?2" : "?1 = ?1 AND ?2 = ?2", 0, user.value_or(""));
}

StatusOr<ResultSet> JobRegistry::ShowJob(int64_t id) {
  ASSIGN_OR_RETURN(ResultSet rs, Query("id = ?1 AND ?2 = ?2", id, ""));
  if (rs.rows.empty())
    return NotFoundError("job with ID " + std::to_string(id) + " does not exist");
  return rs;
}

}  // namespace cofre
