#include "jobs/schedule_registry.h"

#include <sys/time.h>

#include <ctime>

#include "jobs/job_id.h"

namespace cofre {

namespace {

constexpr char kSchedulesSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS schedules (
  id INTEGER PRIMARY KEY,
  label TEXT NOT NULL,
  owner TEXT NOT NULL,
  created TEXT NOT NULL,
  backup_type INTEGER NOT NULL,
  dependent_id INTEGER NOT NULL DEFAULT 0,
  recurrence TEXT NOT NULL,
  next_run_us INTEGER,
  state TEXT NOT NULL DEFAULT '',
  on_execution_failure TEXT NOT NULL,
  on_previous_running TEXT NOT NULL,
  database TEXT NOT NULL,
  statement BLOB NOT NULL,
  description TEXT NOT NULL,
  unpause_on_success INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS schedule_jobs (
  job_id INTEGER PRIMARY KEY,
  schedule_id INTEGER NOT NULL,
  settled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS schedule_jobs_by_schedule ON schedule_jobs(schedule_id);
)sql";

constexpr char kColumns[] =
    "id, label, owner, created, backup_type, dependent_id, recurrence, next_run_us, state, "
    "on_execution_failure, on_previous_running, database, statement, description, "
    "unpause_on_success";

constexpr char kTerminal[] = "('succeeded', 'failed', 'canceled')";

ScheduleRecord ReadRecord(const SqliteStmt& st) {
  ScheduleRecord r;
  r.id = st.ColumnInt(0);
  r.label = st.ColumnText(1);
  r.owner = st.ColumnText(2);
  r.created = st.ColumnText(3);
  r.backup_type = static_cast<int>(st.ColumnInt(4));
  r.dependent_id = st.ColumnInt(5);
  r.recurrence = st.ColumnText(6);
  if (!st.ColumnIsNull(7)) r.next_run_us = st.ColumnInt(7);
  r.state = st.ColumnText(8);
  r.on_execution_failure = st.ColumnText(9);
  r.on_previous_running = st.ColumnText(10);
  r.database = st.ColumnText(11);
  r.sealed_statement = st.ColumnText(12);
  r.description = st.ColumnText(13);
  r.unpause_on_success = st.ColumnInt(14);
  return r;
}

StatusOr<std::vector<int64_t>> Ids(const SqliteDb& db, const std::string& sql, int64_t arg) {
  ASSIGN_OR_RETURN(SqliteStmt st, db.Prepare(sql));
  st.Bind(1, arg);
  std::vector<int64_t> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.ColumnInt(0));
  }
  return out;
}

}  // namespace

std::string FormatUnixMicros(int64_t us) {
  time_t secs = static_cast<time_t>(us / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[48];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  snprintf(buf + n, sizeof(buf) - n, ".%06d", static_cast<int>(us % 1000000));
  return buf;
}

int64_t NowUnixMicros() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
}

Status ScheduleRegistry::Init() { return dir_->system().Exec(kSchedulesSchema); }

Status ScheduleRegistry::InTransaction(const std::function<Status()>& body) {
  RETURN_IF_ERROR(dir_->system().BeginImmediate());
  Status st = body();
  if (st.ok()) st = dir_->system().Exec("COMMIT");
  if (!st.ok()) dir_->system().Exec("ROLLBACK").IgnoreError();
  return st;
}

Status ScheduleRegistry::Create(ScheduleRecord* r) {
  ASSIGN_OR_RETURN(SqliteStmt st,
                   dir_->system().Prepare(std::string("INSERT INTO schedules(") + kColumns +
                                          ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                          "?, ?, ?, ?, ?, ?)"));
  r->created = FormatUnixMicros(NowUnixMicros());
  for (int attempt = 0;; ++attempt) {
    r->id = NextJobId();
    st.Bind(1, r->id).Bind(2, r->label).Bind(3, r->owner).Bind(4, r->created);
    st.Bind(5, static_cast<int64_t>(r->backup_type)).Bind(6, r->dependent_id);
    st.Bind(7, r->recurrence);
    if (r->next_run_us) {
      st.Bind(8, *r->next_run_us);
    } else {
      st.BindNull(8);
    }
    st.Bind(9, r->state).Bind(10, r->on_execution_failure).Bind(11, r->on_previous_running);
    st.Bind(12, r->database).BindBlob(13, r->sealed_statement).Bind(14, r->description);
    st.Bind(15, r->unpause_on_success);
    Status s = st.Run();
    RETURN_IF_ERROR(st.Reset());
    if (s.ok()) return s;
    if (sqlite3_extended_errcode(dir_->system().get()) != SQLITE_CONSTRAINT_PRIMARYKEY ||
        attempt == 100) {
      return s;
    }
    JobIdGenerator::Default().AdvancePast(r->id);
  }
}

Status ScheduleRegistry::CreatePair(ScheduleRecord* full, ScheduleRecord* incremental) {
  return InTransaction([&]() -> Status {
    if (incremental) {
      RETURN_IF_ERROR(Create(incremental));
      full->dependent_id = incremental->id;
      if (!incremental->next_run_us) full->unpause_on_success = incremental->id;
    }
    RETURN_IF_ERROR(Create(full));
    if (incremental) {
      incremental->dependent_id = full->id;
      RETURN_IF_ERROR(Update(*incremental));
    }
    return Status::OK();
  });
}

StatusOr<ScheduleRecord> ScheduleRegistry::Get(int64_t id) {
  ASSIGN_OR_RETURN(SqliteStmt st, dir_->system().Prepare(std::string("SELECT ") + kColumns +
                                                         " FROM schedules WHERE id = ?"));
  st.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFoundError("schedule with ID " + std::to_string(id) + " does not exist");
  return ReadRecord(st);
}

StatusOr<std::vector<ScheduleRecord>> ScheduleRegistry::List() {
  ASSIGN_OR_RETURN(SqliteStmt st, dir_->system().Prepare(std::string("SELECT ") + kColumns +
                                                         " FROM schedules ORDER BY created, id"));
  std::vector<ScheduleRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadRecord(st));
  }
  return out;
}

Status ScheduleRegistry::Update(const ScheduleRecord& r) {
  ASSIGN_OR_RETURN(
      SqliteStmt st,
      dir_->system().Prepare(
          "UPDATE schedules SET label = ?, backup_type = ?, dependent_id = ?, recurrence = ?, "
          "next_run_us = ?, state = ?, on_execution_failure = ?, on_previous_running = ?, "
          "database = ?, statement = ?, description = ?, unpause_on_success = ? WHERE id = ?"));
  st.Bind(1, r.label).Bind(2, static_cast<int64_t>(r.backup_type)).Bind(3, r.dependent_id);
  st.Bind(4, r.recurrence);
  if (r.next_run_us) {
    st.Bind(5, *r.next_run_us);
  } else {
    st.BindNull(5);
  }
  st.Bind(6, r.state).Bind(7, r.on_execution_failure).Bind(8, r.on_previous_running);
  st.Bind(9, r.database).BindBlob(10, r.sealed_statement).Bind(11, r.description);
  st.Bind(12, r.unpause_on_success).Bind(13, r.id);
  return st.Run();
}

Status ScheduleRegistry::Drop(int64_t id) {
  RETURN_IF_ERROR(Get(id).status());
  ASSIGN_OR_RETURN(SqliteStmt st, dir_->system().Prepare("DELETE FROM schedules WHERE id = ?"));
  st.Bind(1, id);
  RETURN_IF_ERROR(st.Run());
  // The other schedule of a pair forgets this one.
  ASSIGN_OR_RETURN(SqliteStmt unlink,
                   dir_->system().Prepare(
                       "UPDATE schedules SET dependent_id = CASE WHEN dependent_id = ?1 THEN 0 "
                       "ELSE dependent_id END, unpause_on_success = CASE WHEN unpause_on_success "
                       "= ?1 THEN 0 ELSE unpause_on_success END WHERE dependent_id = ?1 OR "
                       "unpause_on_success = ?1"));
  unlink.Bind(1, id);
  return unlink.Run();
}

StatusOr<std::vector<int64_t>> ScheduleRegistry::Due(int64_t now_us) {
  return Ids(dir_->system(),
             "SELECT id FROM schedules WHERE next_run_us IS NOT NULL AND next_run_us <= ? "
             "ORDER BY next_run_us, id",
             now_us);
}

StatusOr<std::vector<int64_t>> ScheduleRegistry::ActiveJobs(int64_t schedule_id) {
  return Ids(dir_->system(),
             std::string("SELECT s.job_id FROM schedule_jobs s JOIN jobs j ON j.id = s.job_id "
                         "WHERE s.schedule_id = ? AND j.status NOT IN ") +
                 kTerminal + " ORDER BY s.job_id",
             schedule_id);
}

StatusOr<std::vector<int64_t>> ScheduleRegistry::Jobs(int64_t schedule_id) {
  return Ids(dir_->system(),
             "SELECT job_id FROM schedule_jobs WHERE schedule_id = ? ORDER BY job_id DESC",
             schedule_id);
}

Status ScheduleRegistry::RecordJob(int64_t schedule_id, int64_t job_id) {
  ASSIGN_OR_RETURN(
      SqliteStmt st,
      dir_->system().Prepare("INSERT INTO schedule_jobs(job_id, schedule_id) VALUES(?, ?)"));
  st.Bind(1, job_id).Bind(2, schedule_id);
  return st.Run();
}

StatusOr<std::vector<ScheduleRegistry::FinishedJob>> ScheduleRegistry::UnsettledFinishedJobs() {
  ASSIGN_OR_RETURN(
      SqliteStmt st,
      dir_->system().Prepare(std::string("SELECT s.job_id, s.schedule_id, j.status, j.error FROM "
                                         "schedule_jobs s JOIN jobs j ON j.id = s.job_id WHERE "
                                         "s.settled = 0 AND j.status IN ") +
                             kTerminal + " ORDER BY s.job_id"));
  std::vector<FinishedJob> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.ColumnInt(0), st.ColumnInt(1), st.ColumnText(2), st.ColumnText(3)});
  }
  return out;
}

Status ScheduleRegistry::MarkSettled(int64_t job_id) {
  ASSIGN_OR_RETURN(SqliteStmt st,
                   dir_->system().Prepare("UPDATE schedule_jobs SET settled = 1 WHERE job_id = ?"));
  st.Bind(1, job_id);
  return st.Run();
}

}  // namespace cofre
