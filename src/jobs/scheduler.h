// Scheduler: the server's schedule executor (docs/architecture.md §8). A thread wakes every
// `poll`, settles the outcome of the jobs its schedules started, then starts the schedules whose
// next_run has passed: for each, in one system-database transaction, it creates the BACKUP job
// (through the executor, which the SQL layer provides), links it to the schedule and moves
// next_run to the crontab's next time after now. A schedule whose time passed while the server
// was down therefore runs once at start, not once per missed time.
//
// Policies, as CockroachDB's:
//   on_previous_running: a due schedule with a job still unfinished waits (`wait`, the default,
//     and always for incremental schedules), moves to its next time (`skip`) or starts another
//     job anyway (`start`);
//   on_execution_failure: after a failed (or canceled) job, or a run that could not start, the
//     schedule runs again after `retry_delay` (`retry`), at its next time (`reschedule`, the
//     default) or is paused (`pause`); its `state` says why.
// A full schedule's first success resumes the incremental schedule of its pair, which waited
// paused for it.
// Thread-safety: every method may be called from any thread.
#ifndef COFRE_JOBS_SCHEDULER_H_
#define COFRE_JOBS_SCHEDULER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/data_dir.h"
#include "jobs/job_registry.h"
#include "jobs/schedule_registry.h"

namespace cofre {

// Creates the pending BACKUP job of one run of `schedule` through `jobs` (inside the
// scheduler's transaction) and returns its id; an error when the run cannot start (the
// on_execution_failure policy applies).
using ScheduleExecutor =
    std::function<StatusOr<int64_t>(const ScheduleRecord& schedule, JobRegistry* jobs)>;

struct SchedulerOptions {
  std::string data_dir;
  std::chrono::milliseconds poll{250};           // how often due schedules are looked for
  std::chrono::milliseconds retry_delay{60000};  // on_execution_failure = retry (CockroachDB: 1m)
  std::function<void()> job_created;             // called after a job was created (wake the runner)
};

class Scheduler {
 public:
  // Opens the data directory and starts the thread.
  static StatusOr<std::unique_ptr<Scheduler>> Start(SchedulerOptions options,
                                                    ScheduleExecutor executor);
  // Opens the data directory without a thread: Tick() is driven by the caller (tests).
  static StatusOr<std::unique_ptr<Scheduler>> Open(SchedulerOptions options,
                                                   ScheduleExecutor executor);
  ~Scheduler();  // Shutdown()

  // A schedule changed (created, resumed, EXECUTE IMMEDIATELY): look now.
  void Notify();
  // Stops the thread and waits for it.
  void Shutdown();

  // One pass at `now_us` (Unix microseconds): settles finished jobs, then starts due schedules.
  Status Tick(int64_t now_us);

 private:
  Scheduler(SchedulerOptions options, ScheduleExecutor executor, std::unique_ptr<DataDir> dir);
  void Loop();
  Status Settle(const ScheduleRegistry::FinishedJob& job, int64_t now_us);
  Status RunDue(int64_t id, int64_t now_us, bool* created);
  // Applies on_execution_failure to `s` (not yet written) for `error`.
  void ApplyFailure(ScheduleRecord* s, const std::string& error, int64_t now_us) const;

  const SchedulerOptions options_;
  const ScheduleExecutor executor_;
  std::unique_ptr<DataDir> dir_;
  std::mutex tick_mu_;  // one Tick at a time (dir_ is one SQLite connection)
  JobRegistry jobs_;
  ScheduleRegistry schedules_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;
  bool shutdown_ = false;
  std::thread thread_;
};

// The crontab's next time after `now_us`, in Unix microseconds (InvalidArgument / NotFound from
// CronSchedule).
StatusOr<int64_t> NextRunAfter(const std::string& recurrence, int64_t now_us);

}  // namespace cofre

#endif  // COFRE_JOBS_SCHEDULER_H_
