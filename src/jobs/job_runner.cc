#include "jobs/job_runner.h"

#include <vector>

namespace cofre {

StatusOr<std::unique_ptr<JobRunner>> JobRunner::Start(JobRunnerOptions options,
                                                      JobResumer resumer) {
  ASSIGN_OR_RETURN(auto dir, DataDir::Open(options.data_dir));
  std::unique_ptr<JobRunner> runner(
      new JobRunner(std::move(options), std::move(resumer), std::move(dir)));
  RETURN_IF_ERROR(runner->registry_.Init());
  RETURN_IF_ERROR(runner->registry_.AdoptOrphans().status());
  // The jobs a previous server left start now, not after the first poll.
  runner->wake_ = true;
  runner->control_ = std::thread([r = runner.get()] { r->ControlLoop(); });
  return runner;
}

JobRunner::JobRunner(JobRunnerOptions options, JobResumer resumer, std::unique_ptr<DataDir> dir)
    : options_(std::move(options)),
      resumer_(std::move(resumer)),
      dir_(std::move(dir)),
      registry_(dir_.get()) {}

JobRunner::~JobRunner() { Shutdown(); }

void JobRunner::Notify() {
  std::lock_guard<std::mutex> l(mu_);
  wake_ = true;
  cv_.notify_all();
}

void JobRunner::RequestStop(int64_t id) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = running_.find(id);
  if (it != running_.end()) it->second.stop.request_stop();
}

void JobRunner::Shutdown() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (shutdown_ && !control_.joinable()) return;
    shutdown_ = true;
    for (auto& [id, run] : running_) run.stop.request_stop();
    cv_.notify_all();
  }
  if (control_.joinable()) control_.join();
  std::map<int64_t, Running> left;
  {
    std::lock_guard<std::mutex> l(mu_);
    left.swap(running_);
  }
  for (auto& [id, run] : left) {
    if (run.thread.joinable()) run.thread.join();
  }
}

void JobRunner::ControlLoop() {
  auto last_heartbeat = std::chrono::steady_clock::time_point{};
  while (true) {
    std::vector<std::thread> finished;
    std::vector<int64_t> live;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait_for(l, options_.poll, [this] { return wake_ || shutdown_; });
      wake_ = false;
      if (shutdown_) return;
      for (auto it = running_.begin(); it != running_.end();) {
        if (it->second.done) {
          finished.push_back(std::move(it->second.thread));
          it = running_.erase(it);
        } else {
          live.push_back(it->first);
          ++it;
        }
      }
    }
    for (auto& t : finished) t.join();
    auto now = std::chrono::steady_clock::now();
    if (now - last_heartbeat >= options_.heartbeat) {
      last_heartbeat = now;
      std::lock_guard<std::mutex> rl(registry_mu_);
      for (int64_t id : live) registry_.Heartbeat(id, options_.lease.count()).IgnoreError();
    }
    StartPending();
  }
}

void JobRunner::StartPending() {
  std::vector<int64_t> pending;
  {
    std::lock_guard<std::mutex> rl(registry_mu_);
    auto p = registry_.Pending();
    if (!p.ok()) return;
    pending = std::move(*p);
  }
  for (int64_t id : pending) {
    std::lock_guard<std::mutex> l(mu_);
    if (shutdown_ || static_cast<int>(running_.size()) >= options_.workers) return;
    if (running_.count(id)) continue;
    {
      std::lock_guard<std::mutex> rl(registry_mu_);
      auto claimed = registry_.Claim(id, options_.lease.count());
      if (!claimed.ok() || !*claimed) continue;
    }
    Running& run = running_[id];
    run.thread = std::thread([this, id, token = run.stop.get_token()] { RunJob(id, token); });
  }
}

void JobRunner::RunJob(int64_t id, std::stop_token stop) {
  Status result;
  StatusOr<JobRegistry::JobRecord> job = [&] {
    std::lock_guard<std::mutex> rl(registry_mu_);
    return registry_.Get(id);
  }();
  if (!job.ok()) {
    result = job.status();
  } else {
    result = resumer_(JobExecution{id, job->type, job->user, job->spec, stop});
  }
  Settle(id, result);
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = running_.find(id); it != running_.end()) it->second.done = true;
  wake_ = true;
  cv_.notify_all();
}

void JobRunner::Settle(int64_t id, const Status& result) {
  // Lock order: mu_ before registry_mu_ (StartPending), so mu_ is not taken under registry_mu_.
  bool shutting_down;
  {
    std::lock_guard<std::mutex> l(mu_);
    shutting_down = shutdown_;
  }
  std::lock_guard<std::mutex> rl(registry_mu_);
  registry_.Transition(id, {"pause-requested"}, "paused").status().IgnoreError();
  registry_.Transition(id, {"cancel-requested"}, "canceled").status().IgnoreError();
  if (result.ok()) return;
  if (shutting_down && result.code() == StatusCode::kCancelled) {
    // Interrupted by the server's shutdown: the next start runs it again.
    registry_.Transition(id, {"running"}, "pending").status().IgnoreError();
    return;
  }
  auto still = registry_.Get(id);
  if (still.ok() && still->status == "running") registry_.Fail(id, result.message()).IgnoreError();
}

}  // namespace cofre
