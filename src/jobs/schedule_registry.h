// ScheduleRegistry: the backup schedules of a data directory (system database, tables
// `schedules` and `schedule_jobs`; docs/format.md §8).
//
// A schedule is one recurring BACKUP: its label, owner, crontab (`recurrence`), the time it runs
// next (`next_run`; none while paused), its last message (`state`), its policies
// (on_execution_failure, on_previous_running) and the BACKUP statement it runs, stored only
// sealed under the node key (jobs/node_key.h) because it may hold a passphrase or KMS
// credentials, with a redacted copy for display. CREATE SCHEDULE makes a full schedule and, in
// most cases, an incremental one (backup_type 1) as a pair: each names the other
// (dependent_id), and the full one names the incremental it resumes after its first success
// (unpause_on_success). `schedule_jobs` links every job a schedule started to it and records
// whether the scheduler has settled the job's outcome (docs/architecture.md §8).
// Thread-safety: one thread at a time per registry; several connections may share a directory.
#ifndef COFRE_JOBS_SCHEDULE_REGISTRY_H_
#define COFRE_JOBS_SCHEDULE_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/data_dir.h"

namespace cofre {

struct ScheduleRecord {
  int64_t id = 0;
  std::string label;
  std::string owner;
  std::string created;       // "YYYY-MM-DD HH:MM:SS.ffffff" UTC; set by Create
  int backup_type = 0;       // 0: full (BACKUP INTO), 1: incremental (BACKUP INTO LATEST IN)
  int64_t dependent_id = 0;  // the other schedule of the pair; 0: none
  std::string recurrence;    // the crontab as written
  std::optional<int64_t> next_run_us;  // Unix microseconds; nullopt: paused
  std::string state;                   // last message (SHOW SCHEDULES `state`); "" = none
  std::string on_execution_failure = "reschedule";  // retry | reschedule | pause
  std::string on_previous_running = "wait";         // start | skip | wait
  std::string database;                             // the current database of the statement's names
  std::string sealed_statement;    // the BACKUP statement, sealed under the node key
  std::string description;         // the same statement with its secrets redacted
  int64_t unpause_on_success = 0;  // full: the incremental to resume once this one succeeds
};

class ScheduleRegistry {
 public:
  explicit ScheduleRegistry(DataDir* dir) : dir_(dir) {}

  // Creates the tables when missing. REQUIRES: called once before the methods below.
  Status Init();

  // Stores `full` and, when set, `incremental` as one pair in one transaction: assigns their
  // ids and creation time and links them (dependent_id both ways; full.unpause_on_success =
  // incremental's id when the incremental is created paused).
  Status CreatePair(ScheduleRecord* full, ScheduleRecord* incremental);
  // Stores one more schedule (ALTER ... SET FULL BACKUP on a full-only schedule); assigns id.
  Status Create(ScheduleRecord* record);
  // NotFound ("schedule with ID n does not exist") when absent.
  StatusOr<ScheduleRecord> Get(int64_t id);
  // Every schedule, oldest first.
  StatusOr<std::vector<ScheduleRecord>> List();
  // Writes every field but id, owner and created.
  Status Update(const ScheduleRecord& record);
  // Removes the schedule (its jobs stay, unlinked from it). NotFound when absent.
  Status Drop(int64_t id);

  // Active schedules whose next_run is at or before `now_us`, soonest first.
  StatusOr<std::vector<int64_t>> Due(int64_t now_us);
  // The schedule's jobs not yet succeeded, failed or canceled.
  StatusOr<std::vector<int64_t>> ActiveJobs(int64_t schedule_id);
  // Every job the schedule started, newest first.
  StatusOr<std::vector<int64_t>> Jobs(int64_t schedule_id);
  // Links job `job_id` to the schedule that started it.
  Status RecordJob(int64_t schedule_id, int64_t job_id);

  // A finished job whose outcome the scheduler has not applied to its schedule yet.
  struct FinishedJob {
    int64_t job_id = 0;
    int64_t schedule_id = 0;
    std::string status;  // succeeded, failed or canceled
    std::string error;
  };
  StatusOr<std::vector<FinishedJob>> UnsettledFinishedJobs();
  Status MarkSettled(int64_t job_id);

  // Runs `body` in one BEGIN IMMEDIATE transaction of the system database (the jobs table is
  // there too, so a job and its schedule's next run change together): committed when `body`
  // returns OK, rolled back otherwise.
  Status InTransaction(const std::function<Status()>& body);

 private:
  DataDir* dir_;
};

// Unix microseconds <-> the "YYYY-MM-DD HH:MM:SS.ffffff" UTC text the system database keeps and
// SHOW SCHEDULES prints (with "+00:00").
std::string FormatUnixMicros(int64_t us);
int64_t NowUnixMicros();

}  // namespace cofre

#endif  // COFRE_JOBS_SCHEDULE_REGISTRY_H_
