#include "jobs/scheduler.h"

#include <vector>

#include "jobs/cron.h"

namespace cofre {

StatusOr<int64_t> NextRunAfter(const std::string& recurrence, int64_t now_us) {
  ASSIGN_OR_RETURN(CronSchedule cron, CronSchedule::Parse(recurrence));
  ASSIGN_OR_RETURN(int64_t next, cron.Next(now_us / 1000000));
  return next * 1000000;
}

StatusOr<std::unique_ptr<Scheduler>> Scheduler::Open(SchedulerOptions options,
                                                     ScheduleExecutor executor) {
  ASSIGN_OR_RETURN(auto dir, DataDir::Open(options.data_dir));
  std::unique_ptr<Scheduler> s(
      new Scheduler(std::move(options), std::move(executor), std::move(dir)));
  RETURN_IF_ERROR(s->jobs_.Init());
  RETURN_IF_ERROR(s->schedules_.Init());
  return s;
}

StatusOr<std::unique_ptr<Scheduler>> Scheduler::Start(SchedulerOptions options,
                                                      ScheduleExecutor executor) {
  ASSIGN_OR_RETURN(auto s, Open(std::move(options), std::move(executor)));
  s->thread_ = std::thread([p = s.get()] { p->Loop(); });
  return s;
}

Scheduler::Scheduler(SchedulerOptions options, ScheduleExecutor executor,
                     std::unique_ptr<DataDir> dir)
    : options_(std::move(options)),
      executor_(std::move(executor)),
      dir_(std::move(dir)),
      jobs_(dir_.get()),
      schedules_(dir_.get()) {}

Scheduler::~Scheduler() { Shutdown(); }

void Scheduler::Notify() {
  std::lock_guard<std::mutex> l(mu_);
  wake_ = true;
  cv_.notify_all();
}

void Scheduler::Shutdown() {
  {
    std::lock_guard<std::mutex> l(mu_);
    shutdown_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Loop() {
  while (true) {
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait_for(l, options_.poll, [this] { return wake_ || shutdown_; });
      wake_ = false;
      if (shutdown_) return;
    }
    // A failed pass (the system database busy, say) is retried at the next poll.
    Tick(NowUnixMicros()).IgnoreError();
  }
}

Status Scheduler::Tick(int64_t now_us) {
  std::lock_guard<std::mutex> l(tick_mu_);
  ASSIGN_OR_RETURN(auto finished, schedules_.UnsettledFinishedJobs());
  for (const auto& job : finished) RETURN_IF_ERROR(Settle(job, now_us));
  ASSIGN_OR_RETURN(std::vector<int64_t> due, schedules_.Due(now_us));
  bool created = false;
  for (int64_t id : due) RETURN_IF_ERROR(RunDue(id, now_us, &created));
  if (created && options_.job_created) options_.job_created();
  return Status::OK();
}

void Scheduler::ApplyFailure(ScheduleRecord* s, const std::string& error, int64_t now_us) const {
  if (s->on_execution_failure == "retry") {
    if (s->next_run_us) s->next_run_us = now_us + options_.retry_delay.count() * 1000;
    s->state = "retrying: " + error;
  } else if (s->on_execution_failure == "pause") {
    s->next_run_us.reset();
    s->state = "paused: " + error;
  } else {
    s->state = "reschedule: " + error;
  }
}

Status Scheduler::Settle(const ScheduleRegistry::FinishedJob& job, int64_t now_us) {
  return schedules_.InTransaction([&]() -> Status {
    RETURN_IF_ERROR(schedules_.MarkSettled(job.job_id));
    StatusOr<ScheduleRecord> s = schedules_.Get(job.schedule_id);
    if (!s.ok()) return IsNotFound(s.status()) ? Status::OK() : s.status();  // dropped
    if (job.status == "succeeded") {
      s->state.clear();
      if (s->unpause_on_success != 0) {
        StatusOr<ScheduleRecord> inc = schedules_.Get(s->unpause_on_success);
        if (inc.ok() && !inc->next_run_us) {
          StatusOr<int64_t> next = NextRunAfter(inc->recurrence, now_us);
          if (next.ok()) {
            inc->next_run_us = *next;
            inc->state.clear();
          } else {
            inc->state = "paused: " + next.status().message();
          }
          RETURN_IF_ERROR(schedules_.Update(*inc));
        }
        s->unpause_on_success = 0;
      }
    } else {
      ApplyFailure(&*s,
                   "job " + std::to_string(job.job_id) + " " + job.status +
                       (job.error.empty() ? "" : ": " + job.error),
                   now_us);
    }
    RETURN_IF_ERROR(schedules_.Update(*s));
    return Status::OK();
  });
}

Status Scheduler::RunDue(int64_t id, int64_t now_us, bool* created) {
  return schedules_.InTransaction([&]() -> Status {
    StatusOr<ScheduleRecord> s = schedules_.Get(id);
    if (!s.ok()) return IsNotFound(s.status()) ? Status::OK() : s.status();
    // Paused, dropped or altered since Due() looked: nothing to do.
    if (!s->next_run_us || *s->next_run_us > now_us) return Status::OK();
    StatusOr<int64_t> next = NextRunAfter(s->recurrence, now_us);
    ASSIGN_OR_RETURN(std::vector<int64_t> active, schedules_.ActiveJobs(id));
    const std::string policy = s->backup_type == 1 ? "wait" : s->on_previous_running;
    if (!active.empty() && policy != "start") {
      std::string why =
          "job " + std::to_string(active.back()) + " started by this schedule has not finished";
      if (policy == "skip") {
        s->next_run_us = next.ok() ? std::optional<int64_t>(*next) : std::nullopt;
        s->state = "skipped: " + why;
      } else if (s->state != "waiting: " + why) {
        s->state = "waiting: " + why;
      } else {
        return Status::OK();
      }
      RETURN_IF_ERROR(schedules_.Update(*s));
      return Status::OK();
    }
    StatusOr<int64_t> job = executor_(*s, &jobs_);
    if (job.ok()) {
      RETURN_IF_ERROR(schedules_.RecordJob(id, *job));
      s->state.clear();
      *created = true;
    } else {
      ApplyFailure(&*s, job.status().message(), now_us);
    }
    // Whatever happened, the time that was due is used up (missed times do not pile up).
    if (s->next_run_us && *s->next_run_us <= now_us) {
      if (next.ok()) {
        s->next_run_us = *next;
      } else {
        s->next_run_us.reset();
        s->state = "paused: " + next.status().message();
      }
    }
    RETURN_IF_ERROR(schedules_.Update(*s));
    return Status::OK();
  });
}

}  // namespace cofre
