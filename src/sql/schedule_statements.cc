#include "sql/schedule_statements.h"

#include <algorithm>
#include <set>

#include "jobs/node_key.h"
#include "sql/as_of_time.h"
#include "sql/describe.h"
#include "sql/job_statements.h"
#include "sql/parser.h"
#include "sql/statement_options.h"
#include "sql/statement_privileges.h"
#include "util/json.h"
#include "util/uri.h"
#include "util/wipe.h"

namespace cofre::sql {

namespace {

constexpr char kSchedulePurpose[] = "cofre schedule statement";
constexpr char kWaitingForFull[] = "Waiting for initial backup to complete";
constexpr int64_t kHourUs = 3600LL * 1000000;

struct SecretText {
  std::string text;
  ~SecretText() { WipeString(&text); }
};

std::string Timestamp(int64_t us) { return FormatUnixMicros(us) + "+00:00"; }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The statement a schedule of `type` runs: BACKUP INTO (full) or BACKUP INTO LATEST IN
// (incremental), always detached (as CockroachDB shows it).
Backup StatementOf(Backup b, int type) {
  if (type == 1) {
    b.incremental_on = BackupRef{true, ""};
  } else {
    b.incremental_on.reset();
  }
  bool detached = std::any_of(b.options.begin(), b.options.end(),
                              [](const Option& o) { return o.name == "detached"; });
  if (!detached) b.options.push_back(Option{"detached", Option::Kind::kFlag, {}});
  return b;
}

// Seals `b` (rendered with its secrets) into `r`, with the redacted rendering beside it.
Status SetStatement(const std::string& data_dir, const Backup& b, ScheduleRecord* r) {
  ASSIGN_OR_RETURN(NodeKey key, NodeKey::LoadOrCreate(data_dir));
  SecretText text{RenderWithSecrets(Statement(b))};
  ASSIGN_OR_RETURN(r->sealed_statement, key.Seal(text.text, kSchedulePurpose));
  r->description = DescribeStatement(Statement(b));
  return Status::OK();
}

StatusOr<Backup> OpenStatement(const std::string& data_dir, const ScheduleRecord& r) {
  ASSIGN_OR_RETURN(NodeKey key, NodeKey::LoadOrCreate(data_dir));
  SecretText text;
  ASSIGN_OR_RETURN(text.text, key.Open(r.sealed_statement, kSchedulePurpose));
  ASSIGN_OR_RETURN(Statement stmt, ParseStatement(text.text));
  if (auto* b = std::get_if<Backup>(&stmt)) return std::move(*b);
  return DataLossError("schedule " + std::to_string(r.id) + " holds no BACKUP statement");
}

bool Visible(const Privileges& actor, const ScheduleRecord& r) {
  return actor.admin || r.owner == actor.user;
}

StatusOr<ScheduleRecord> GetVisible(const ScheduleContext& ctx, const Privileges& actor,
                                    int64_t id) {
  ASSIGN_OR_RETURN(ScheduleRecord r, ctx.schedules->Get(id));
  if (!Visible(actor, r)) {
    return NotFoundError("schedule with ID " + std::to_string(id) + " does not exist");
  }
  return r;
}

// CREATE and ALTER's result: one row per schedule (the incremental first, as CockroachDB).
ResultSet ScheduleRows(const std::vector<ScheduleRecord>& records) {
  ResultSet rs;
  rs.columns = {{"schedule_id", ResultSet::Kind::kNumber},
                {"label"},
                {"status"},
                {"first_run"},
                {"schedule"},
                {"backup_stmt"}};
  for (const ScheduleRecord& r : records) {
    std::string status = r.next_run_us ? "ACTIVE" : "PAUSED";
    if (!r.next_run_us && !r.state.empty()) status += ": " + r.state;
    rs.rows.push_back(
        {std::to_string(r.id), r.label, status,
         r.next_run_us ? std::optional<std::string>(Timestamp(*r.next_run_us)) : std::nullopt,
         r.recurrence, r.description});
  }
  return rs;
}

struct ScheduleOptions {
  std::optional<int64_t> first_run;
  std::optional<std::string> on_execution_failure;
  std::optional<std::string> on_previous_running;
  bool ignore_existing_backups = false;
};

StatusOr<ScheduleOptions> ParseScheduleOptions(const std::vector<Option>& options, int64_t now_us) {
  ScheduleOptions out;
  for (const Option& o : options) {
    std::string value;
    if (o.kind == Option::Kind::kString || o.kind == Option::Kind::kWord) {
      value = Lower(o.values.empty() ? "" : o.values[0]);
    }
    if (o.name == "first_run") {
      if (value == "now") {
        out.first_run = now_us;
      } else {
        StatusOr<int64_t> t = ParseUtcTimestampMicros(value);
        if (!t.ok()) {
          return InvalidArgumentError(
              "first_run must be 'now' or a UTC timestamp such as "
              "'2026-12-31 23:00:00'");
        }
        out.first_run = *t;
      }
    } else if (o.name == "on_execution_failure") {
      if (value != "retry" && value != "reschedule" && value != "pause") {
        return InvalidArgumentError(
            "on_execution_failure must be 'retry', 'reschedule' or 'pause'");
      }
      out.on_execution_failure = value;
    } else if (o.name == "on_previous_running") {
      if (value != "start" && value != "skip" && value != "wait") {
        return InvalidArgumentError("on_previous_running must be 'start', 'skip' or 'wait'");
      }
      out.on_previous_running = value;
    } else if (o.name == "ignore_existing_backups" && o.kind == Option::Kind::kFlag) {
      out.ignore_existing_backups = true;
    } else if (o.name == "updates_cluster_last_backup_time_metric" &&
               o.kind == Option::Kind::kFlag) {
      // cofre's schedules_BACKUP_last_completed_time always covers every schedule.
    } else {
      return InvalidArgumentError("unknown schedule option \"" + o.name +
                                  "\"; schedule options are first_run, on_execution_failure, "
                                  "on_previous_running and ignore_existing_backups");
    }
  }
  return out;
}

Status CheckCrontab(const std::string& what, const std::string& crontab, int64_t now_us) {
  StatusOr<int64_t> next = NextRunAfter(crontab, now_us);
  if (!next.ok()) return InvalidArgumentError(what + ": " + next.status().message());
  return Status::OK();
}

// CockroachDB's full-backup cadence when FULL BACKUP is omitted: '@daily' for a recurrence of
// at most an hour, '@weekly' for at most a day, else full backups always (nullopt).
StatusOr<std::optional<std::string>> DefaultFullBackup(const std::string& recurring,
                                                       int64_t now_us) {
  ASSIGN_OR_RETURN(int64_t first, NextRunAfter(recurring, now_us));
  ASSIGN_OR_RETURN(int64_t second, NextRunAfter(recurring, first));
  if (second - first <= kHourUs) return std::optional<std::string>("@daily");
  if (second - first <= 24 * kHourUs) return std::optional<std::string>("@weekly");
  return std::optional<std::string>();
}

// Refuses a collection that already holds backups, as CockroachDB does without
// ignore_existing_backups (the new schedule may back up other objects into the same chains).
Status CheckNoExistingBackups(const ExecContext& ctx, const Backup& b) {
  ShowBackups show;
  show.in = b.destinations;
  ASSIGN_OR_RETURN(ResultSet existing, ExecuteShowBackups(ctx, show));
  if (existing.rows.empty()) return Status::OK();
  return FailedPreconditionError(
      "backups already exist in " + RedactUri(b.destinations[0]) +
      "; to ignore existing backups, create the schedule WITH SCHEDULE OPTIONS "
      "ignore_existing_backups");
}

void AppendCommand(const ScheduleRecord& r, std::string* out) {
  *out += "{\"backup_statement\": ";
  AppendJsonString(r.description, out);
  if (r.backup_type == 1) *out += ", \"backup_type\": 1";
  if (r.dependent_id != 0) *out += ", \"dependent_schedule_id\": " + std::to_string(r.dependent_id);
  *out += "}";
}

// Replaces the option named like `o` in `options`, or appends it.
void SetOption(std::vector<Option>* options, const Option& o) {
  for (Option& existing : *options) {
    if (existing.name == o.name) {
      existing = o;
      return;
    }
  }
  options->push_back(o);
}

}  // namespace

StatusOr<ResultSet> ExecuteCreateSchedule(const ScheduleContext& ctx, const Privileges& actor,
                                          const CreateSchedule& stmt, const Backup& resolved) {
  RETURN_IF_ERROR(CheckPrivileges(actor, resolved, ctx.exec.current_database));
  ASSIGN_OR_RETURN(StatementOptions backup_options,
                   ValidateOptions(stmt.backup.options, OptionContext::kBackup));
  (void)backup_options;
  const int64_t now = NowUnixMicros();
  ASSIGN_OR_RETURN(ScheduleOptions so, ParseScheduleOptions(stmt.schedule_options, now));
  const std::string label = stmt.label.value_or("BACKUP");
  if (stmt.if_not_exists) {
    ASSIGN_OR_RETURN(std::vector<ScheduleRecord> all, ctx.schedules->List());
    for (const ScheduleRecord& r : all) {
      if (r.label == label) return ScheduleRows({});
    }
  }
  RETURN_IF_ERROR(CheckCrontab("RECURRING", stmt.recurring, now));
  std::optional<std::string> full_cron;
  if (stmt.full_backup) {
    RETURN_IF_ERROR(CheckCrontab("FULL BACKUP", *stmt.full_backup, now));
    full_cron = stmt.full_backup;
  } else if (!stmt.full_backup_always) {
    ASSIGN_OR_RETURN(full_cron, DefaultFullBackup(stmt.recurring, now));
  }
  if (!so.ignore_existing_backups) RETURN_IF_ERROR(CheckNoExistingBackups(ctx.exec, resolved));

  ScheduleRecord full, inc;
  for (ScheduleRecord* r : {&full, &inc}) {
    r->label = label;
    r->owner = ctx.exec.user;
    r->database = ctx.exec.current_database;
    r->on_execution_failure = so.on_execution_failure.value_or("reschedule");
  }
  full.on_previous_running = so.on_previous_running.value_or("wait");
  const std::string& dir = ctx.exec.data_dir->path();
  RETURN_IF_ERROR(SetStatement(dir, StatementOf(stmt.backup, 0), &full));
  if (full_cron) {
    full.recurrence = *full_cron;
    full.next_run_us = so.first_run.value_or(now);
    inc.backup_type = 1;
    inc.recurrence = stmt.recurring;
    inc.on_previous_running = "wait";
    inc.state = kWaitingForFull;
    RETURN_IF_ERROR(SetStatement(dir, StatementOf(stmt.backup, 1), &inc));
    RETURN_IF_ERROR(ctx.schedules->CreatePair(&full, &inc));
  } else {
    full.recurrence = stmt.recurring;
    if (so.first_run) {
      full.next_run_us = *so.first_run;
    } else {
      ASSIGN_OR_RETURN(full.next_run_us, NextRunAfter(stmt.recurring, now));
    }
    RETURN_IF_ERROR(ctx.schedules->CreatePair(&full, nullptr));
  }
  if (ctx.scheduler) ctx.scheduler->Notify();
  if (full_cron) return ScheduleRows({inc, full});
  return ScheduleRows({full});
}

StatusOr<ResultSet> ExecuteShowSchedules(const ScheduleContext& ctx, const Privileges& actor,
                                         const ShowSchedules& stmt) {
  std::vector<ScheduleRecord> records;
  if (stmt.id) {
    ASSIGN_OR_RETURN(ScheduleRecord r, GetVisible(ctx, actor, *stmt.id));
    records.push_back(std::move(r));
  } else {
    ASSIGN_OR_RETURN(records, ctx.schedules->List());
  }
  using K = ResultSet::Kind;
  ResultSet rs;
  rs.columns = {
      {"id", K::kNumber}, {"label"},      {"schedule_status"},         {"next_run"},
      {"state"},          {"recurrence"}, {"jobsrunning", K::kNumber}, {"owner"},
      {"created"},        {"command"},    {"on_previous_running"},     {"on_execution_failure"}};
  for (const ScheduleRecord& r : records) {
    if (!Visible(actor, r)) continue;
    const bool active = r.next_run_us.has_value();
    if (stmt.filter == ShowSchedules::Filter::kRunning && !active) continue;
    if (stmt.filter == ShowSchedules::Filter::kPaused && active) continue;
    ASSIGN_OR_RETURN(std::vector<int64_t> running, ctx.schedules->ActiveJobs(r.id));
    std::string command;
    AppendCommand(r, &command);
    rs.rows.push_back(
        {std::to_string(r.id), r.label, std::string(active ? "ACTIVE" : "PAUSED"),
         active ? std::optional<std::string>(Timestamp(*r.next_run_us)) : std::nullopt,
         r.state.empty() ? std::nullopt : std::optional<std::string>(r.state), r.recurrence,
         std::to_string(running.size()), r.owner, r.created + "+00:00", command,
         r.backup_type == 1 ? std::string("wait") : r.on_previous_running, r.on_execution_failure});
  }
  return rs;
}

StatusOr<ResultSet> ExecuteControlSchedules(const ScheduleContext& ctx, const Privileges& actor,
                                            const ControlSchedules& stmt) {
  const int64_t now = NowUnixMicros();
  std::set<int64_t> dropped_with_full;  // DROP of a full schedule drops its incremental
  Status st = ctx.schedules->InTransaction([&]() -> Status {
    for (int64_t id : stmt.ids) {
      StatusOr<ScheduleRecord> r = GetVisible(ctx, actor, id);
      if (!r.ok()) {
        // DROP of a pair's full schedule dropped its incremental already.
        if (dropped_with_full.count(id)) continue;
        return r.status();
      }
      switch (stmt.action) {
        case ControlSchedules::Action::kPause:
          r->next_run_us.reset();
          RETURN_IF_ERROR(ctx.schedules->Update(*r));
          break;
        case ControlSchedules::Action::kResume:
          if (!r->next_run_us) {
            ASSIGN_OR_RETURN(r->next_run_us, NextRunAfter(r->recurrence, now));
            r->state.clear();
            RETURN_IF_ERROR(ctx.schedules->Update(*r));
          }
          break;
        case ControlSchedules::Action::kDrop:
          RETURN_IF_ERROR(ctx.schedules->Drop(id));
          // An incremental schedule does not outlive the full schedule its chains start from.
          if (r->backup_type == 0 && r->dependent_id != 0) {
            Status st = ctx.schedules->Drop(r->dependent_id);
            if (!st.ok() && !IsNotFound(st)) return st;
            dropped_with_full.insert(r->dependent_id);
          }
          break;
      }
    }
    return Status::OK();
  });
  RETURN_IF_ERROR(st);
  if (ctx.scheduler) ctx.scheduler->Notify();
  ResultSet rs;
  rs.tag = std::string(StatementTag(Statement(stmt)));
  return rs;
}

StatusOr<ResultSet> ExecuteAlterBackupSchedule(const ScheduleContext& ctx, const Privileges& actor,
                                               const AlterBackupSchedule& stmt) {
  const int64_t now = NowUnixMicros();
  const std::string& dir = ctx.exec.data_dir->path();
  std::vector<ScheduleRecord> result;
  Status st = ctx.schedules->InTransaction([&]() -> Status {
    ASSIGN_OR_RETURN(ScheduleRecord named, GetVisible(ctx, actor, stmt.id));
    std::optional<ScheduleRecord> full, inc;
    (named.backup_type == 1 ? inc : full) = named;
    if (named.dependent_id != 0) {
      ASSIGN_OR_RETURN(ScheduleRecord other, ctx.schedules->Get(named.dependent_id));
      (other.backup_type == 1 ? inc : full) = std::move(other);
    }
    if (!full) {
      return FailedPreconditionError("schedule " + std::to_string(stmt.id) +
                                     " has lost its full backup schedule: drop it and create a "
                                     "new schedule");
    }
    ASSIGN_OR_RETURN(Backup backup, OpenStatement(dir, *full));
    bool statement_changed = false, drop_inc = false, new_inc = false;
    // Resets next_run to the crontab's next time when the schedule is active.
    auto reschedule = [&](ScheduleRecord* r) -> Status {
      if (!r->next_run_us) return Status::OK();
      ASSIGN_OR_RETURN(r->next_run_us, NextRunAfter(r->recurrence, now));
      return Status::OK();
    };
    // Makes the incremental wait for the next full backup.
    auto wait_for_full = [&]() {
      inc->next_run_us.reset();
      inc->state = kWaitingForFull;
      full->unpause_on_success = inc->id;
    };
    using K = AlterScheduleCommand::Kind;
    for (const AlterScheduleCommand& c : stmt.commands) {
      switch (c.kind) {
        case K::kSetLabel:
          full->label = c.value;
          if (inc) inc->label = c.value;
          break;
        case K::kSetInto:
          backup.destinations = {c.value};
          statement_changed = true;
          if (inc) wait_for_full();
          break;
        case K::kSetWith:
          SetOption(&backup.options, c.options[0]);
          statement_changed = true;
          break;
        case K::kSetRecurring:
          RETURN_IF_ERROR(CheckCrontab("RECURRING", c.value, now));
          (inc ? inc : full)->recurrence = c.value;
          RETURN_IF_ERROR(reschedule(inc ? &*inc : &*full));
          break;
        case K::kSetFullBackup:
          if (c.always) {
            if (inc) {
              full->recurrence = inc->recurrence;
              RETURN_IF_ERROR(reschedule(&*full));
              drop_inc = true;
            }
            break;
          }
          RETURN_IF_ERROR(CheckCrontab("FULL BACKUP", c.value, now));
          if (!inc) {
            // A full-only schedule gets an incremental at its old cadence.
            inc = *full;
            inc->backup_type = 1;
            inc->on_previous_running = "wait";
            inc->unpause_on_success = 0;
            inc->state.clear();
            inc->next_run_us = now;
            RETURN_IF_ERROR(reschedule(&*inc));
            ASSIGN_OR_RETURN(std::vector<int64_t> jobs, ctx.schedules->Jobs(full->id));
            if (jobs.empty()) wait_for_full();
            new_inc = true;
          }
          full->recurrence = c.value;
          RETURN_IF_ERROR(reschedule(&*full));
          break;
        case K::kSetScheduleOption: {
          ASSIGN_OR_RETURN(ScheduleOptions so, ParseScheduleOptions(c.options, now));
          if (so.first_run || so.ignore_existing_backups) {
            return InvalidArgumentError(
                "ALTER BACKUP SCHEDULE sets on_execution_failure or on_previous_running");
          }
          if (so.on_execution_failure) {
            full->on_execution_failure = *so.on_execution_failure;
            if (inc) inc->on_execution_failure = *so.on_execution_failure;
          }
          if (so.on_previous_running) full->on_previous_running = *so.on_previous_running;
          break;
        }
        case K::kExecuteImmediately:
          (named.backup_type == 1 && inc ? inc : full)->next_run_us = now;
          break;
        case K::kExecuteFullImmediately:
          full->next_run_us = now;
          break;
      }
    }
    RETURN_IF_ERROR(ValidateOptions(backup.options, OptionContext::kBackup).status());
    if (statement_changed || new_inc) {
      RETURN_IF_ERROR(SetStatement(dir, StatementOf(backup, 0), &*full));
      if (inc) RETURN_IF_ERROR(SetStatement(dir, StatementOf(backup, 1), &*inc));
    }
    if (drop_inc) {
      RETURN_IF_ERROR(ctx.schedules->Drop(inc->id));
      full->dependent_id = 0;
      full->unpause_on_success = 0;
      inc.reset();
    } else if (new_inc) {
      inc->dependent_id = full->id;
      RETURN_IF_ERROR(ctx.schedules->Create(&*inc));
      full->dependent_id = inc->id;
      if (!inc->next_run_us) full->unpause_on_success = inc->id;
    } else if (inc) {
      RETURN_IF_ERROR(ctx.schedules->Update(*inc));
    }
    RETURN_IF_ERROR(ctx.schedules->Update(*full));
    if (inc) result.push_back(*inc);
    result.push_back(*full);
    return Status::OK();
  });
  RETURN_IF_ERROR(st);
  if (ctx.scheduler) ctx.scheduler->Notify();
  return ScheduleRows(result);
}

StatusOr<ResultSet> ExecuteShowJobsForSchedule(const ScheduleContext& ctx, const Privileges& actor,
                                               const std::vector<int64_t>& schedule_ids) {
  // The columns of SHOW JOBS, with no rows: the jobs of a user that cannot exist.
  ASSIGN_OR_RETURN(ResultSet rs, ctx.exec.jobs->ShowJobs(std::string()));
  for (int64_t schedule_id : schedule_ids) {
    RETURN_IF_ERROR(GetVisible(ctx, actor, schedule_id).status());
    ASSIGN_OR_RETURN(std::vector<int64_t> ids, ctx.schedules->Jobs(schedule_id));
    for (int64_t id : ids) {
      StatusOr<ResultSet> job = ctx.exec.jobs->ShowJob(id);
      if (!job.ok()) continue;
      for (auto& row : job->rows) rs.rows.push_back(std::move(row));
    }
  }
  return rs;
}

StatusOr<std::vector<int64_t>> UnfinishedJobsOfSchedules(const ScheduleContext& ctx,
                                                         const Privileges& actor,
                                                         const std::vector<int64_t>& schedule_ids) {
  std::vector<int64_t> out;
  for (int64_t schedule_id : schedule_ids) {
    RETURN_IF_ERROR(GetVisible(ctx, actor, schedule_id).status());
    ASSIGN_OR_RETURN(std::vector<int64_t> ids, ctx.schedules->ActiveJobs(schedule_id));
    out.insert(out.end(), ids.begin(), ids.end());
  }
  return out;
}

StatusOr<int64_t> StartScheduledBackup(const std::string& data_dir, const ScheduleRecord& schedule,
                                       JobRegistry* jobs) {
  ASSIGN_OR_RETURN(NodeKey key, NodeKey::LoadOrCreate(data_dir));
  SecretText text;
  ASSIGN_OR_RETURN(text.text, key.Open(schedule.sealed_statement, kSchedulePurpose));
  ASSIGN_OR_RETURN(Statement stmt, ParseStatement(text.text));
  if (!std::holds_alternative<Backup>(stmt)) {
    return DataLossError("schedule " + std::to_string(schedule.id) + " holds no BACKUP statement");
  }
  ASSIGN_OR_RETURN(std::string spec, MakeJobSpec(data_dir, text.text, schedule.database));
  return jobs->CreatePending("BACKUP", schedule.description, schedule.owner, spec);
}

}  // namespace cofre::sql
