// Schedule statements: CREATE SCHEDULE ... FOR BACKUP, SHOW SCHEDULES / SHOW SCHEDULE, PAUSE /
// RESUME / DROP SCHEDULE(S), ALTER BACKUP SCHEDULE, SHOW JOBS FOR SCHEDULE; and the executor
// with which the server's scheduler (jobs/scheduler.h) starts a schedule's BACKUP job.
//
// CREATE SCHEDULE stores the full BACKUP statement it will run (BACKUP INTO) and, unless FULL
// BACKUP ALWAYS (or a recurrence longer than a day) says otherwise, an incremental one (BACKUP
// INTO LATEST IN) as a pair (jobs/schedule_registry.h). Each statement is rendered with its
// secrets and sealed under the node key; only the redacted rendering is ever shown.
//
// Privileges (CockroachDB's): CREATE SCHEDULE needs what its BACKUP needs; SHOW lists a user's
// own schedules (every schedule for admin); PAUSE, RESUME, DROP and ALTER need the schedule's
// owner or admin (others' schedules read "does not exist").
// Thread-safety: functions of one context are called by one thread at a time.
#ifndef COFRE_SQL_SCHEDULE_STATEMENTS_H_
#define COFRE_SQL_SCHEDULE_STATEMENTS_H_

#include "jobs/schedule_registry.h"
#include "jobs/scheduler.h"
#include "sql/backup_statements.h"
#include "sql/privileges.h"
#include "sql/statement.h"

namespace cofre::sql {

// `scheduler` (null when embedded: schedules then run once a server runs on the directory) is
// told when a schedule may have become due.
struct ScheduleContext {
  ExecContext exec;
  ScheduleRegistry* schedules = nullptr;
  Scheduler* scheduler = nullptr;
};

// `resolved` is stmt.backup with its external:// URIs resolved (what the checks look at); the
// schedule keeps stmt.backup.
StatusOr<ResultSet> ExecuteCreateSchedule(const ScheduleContext& ctx, const Privileges& actor,
                                          const CreateSchedule& stmt, const Backup& resolved);
StatusOr<ResultSet> ExecuteShowSchedules(const ScheduleContext& ctx, const Privileges& actor,
                                         const ShowSchedules& stmt);
StatusOr<ResultSet> ExecuteControlSchedules(const ScheduleContext& ctx, const Privileges& actor,
                                            const ControlSchedules& stmt);
StatusOr<ResultSet> ExecuteAlterBackupSchedule(const ScheduleContext& ctx, const Privileges& actor,
                                               const AlterBackupSchedule& stmt);
// The jobs of every schedule in `schedule_ids`, newest first per schedule.
StatusOr<ResultSet> ExecuteShowJobsForSchedule(const ScheduleContext& ctx, const Privileges& actor,
                                               const std::vector<int64_t>& schedule_ids);

// The unfinished jobs (pending, running, paused, pausing, canceling) of `schedule_ids`, for
// PAUSE / RESUME / CANCEL JOBS FOR SCHEDULE(S); NotFound for a schedule `actor` may not see.
StatusOr<std::vector<int64_t>> UnfinishedJobsOfSchedules(const ScheduleContext& ctx,
                                                         const Privileges& actor,
                                                         const std::vector<int64_t>& schedule_ids);

// The scheduler's executor for the data directory `data_dir`: opens the schedule's sealed
// statement and records it as a pending detached BACKUP job of the schedule's owner.
StatusOr<int64_t> StartScheduledBackup(const std::string& data_dir, const ScheduleRecord& schedule,
                                       JobRegistry* jobs);

}  // namespace cofre::sql

#endif  // COFRE_SQL_SCHEDULE_STATEMENTS_H_
