// JobRunner: the server's job executor. A control thread claims pending jobs (JobRegistry) and
// runs each on a worker thread through the resumer of its type, renews the lease of every job
// it runs (heartbeat), and stops a job when PAUSE or CANCEL JOB asks (through the job's stop
// token, which long operations check between pieces of work). When a job's run returns, the
// runner settles its status: pause-requested becomes paused, cancel-requested canceled; a job
// still running whose resumer failed is failed; a job interrupted by Shutdown() goes back to
// pending, and the next server start runs it again (as it does a job whose lease expired after
// a kill -9, AdoptOrphans).
// Thread-safety: every method may be called from any thread.
#ifndef COFRE_JOBS_JOB_RUNNER_H_
#define COFRE_JOBS_JOB_RUNNER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "engine/data_dir.h"
#include "jobs/job_registry.h"

namespace cofre {

// One run of a job, as its resumer sees it.
struct JobExecution {
  int64_t id = 0;
  std::string type;  // "BACKUP", "RESTORE"
  std::string user;
  std::string spec;  // serialized JobSpec
  std::stop_token stop;
};

// Runs a job to its end: marks it succeeded itself, or returns its error (Cancelled once `stop`
// was requested and the work stopped).
using JobResumer = std::function<Status(const JobExecution&)>;

struct JobRunnerOptions {
  std::string data_dir;
  int workers = 2;                            // jobs running at once
  std::chrono::milliseconds lease{15000};     // how long a claim lasts unrenewed
  std::chrono::milliseconds heartbeat{1000};  // how often leases are renewed
  std::chrono::milliseconds poll{500};        // how often pending jobs are looked for
};

class JobRunner {
 public:
  // Opens the data directory, adopts the jobs a previous server left (AdoptOrphans) and starts
  // the control thread.
  static StatusOr<std::unique_ptr<JobRunner>> Start(JobRunnerOptions options, JobResumer resumer);
  ~JobRunner();  // Shutdown() and join.

  // A job became pending: look now rather than at the next poll.
  void Notify();
  // The job's status was set to pause- or cancel-requested: stop its run.
  void RequestStop(int64_t id);
  // Stops every run (their jobs go back to pending) and the control thread; waits for them.
  void Shutdown();

 private:
  JobRunner(JobRunnerOptions options, JobResumer resumer, std::unique_ptr<DataDir> dir);
  void ControlLoop();
  void StartPending();
  void RunJob(int64_t id, std::stop_token stop);
  void Settle(int64_t id, const Status& result);

  struct Running {
    std::stop_source stop;
    std::thread thread;
    bool done = false;
  };

  const JobRunnerOptions options_;
  const JobResumer resumer_;
  std::unique_ptr<DataDir> dir_;
  std::mutex registry_mu_;  // guards registry_ (one SQLite connection)
  JobRegistry registry_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;
  bool shutdown_ = false;
  std::map<int64_t, Running> running_;
  std::thread control_;
};

}  // namespace cofre

#endif  // COFRE_JOBS_JOB_RUNNER_H_
