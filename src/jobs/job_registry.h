// JobRegistry: the job records of a data directory (system database, table `jobs`).
//
// Every BACKUP and RESTORE is a job: a 64-bit time-ordered id, its type, a description with
// secrets redacted (the caller redacts), the user who started it, status (CockroachDB's: pending,
// running, pause-requested, paused, cancel-requested, canceled, succeeded, failed), times,
// progress, error and result. Records never hold secrets in plaintext: a detached job's spec
// (proto/job_spec.proto) holds its statement sealed under the node key (jobs/node_key.h).
//
// Two kinds of liveness: a job run inside a statement (embedded `cofre sql`, or a foreground
// statement of a server connection) records its process id, and is reported failed once that
// process is gone (kill -9). A job run by the server's JobRunner (jobs/job_runner.h) holds a
// lease that the runner renews (heartbeat); a job whose lease expired is adopted by the next
// server start and runs again.
//
// A BACKUP job also records the layer directory it writes (table `backup_dirs`: the redacted URI
// of the storage and the directory), before writing anything there, so that the directories of
// its jobs that died or failed unfinished can be found and removed later without scanning the
// collection (backup/unfinished_layers.h); the record goes once the directory is dealt with.
// Thread-safety: one thread at a time per registry; several processes may share a directory.
#ifndef COFRE_JOBS_JOB_REGISTRY_H_
#define COFRE_JOBS_JOB_REGISTRY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/data_dir.h"
#include "util/result_set.h"

namespace cofre {

// The SQL expression of "now" as job records store times (UTC, milliseconds).
inline constexpr char kSqlNow[] = "strftime('%Y-%m-%d %H:%M:%f', 'now')";

class JobRegistry {
 public:
  explicit JobRegistry(DataDir* dir) : dir_(dir) {}

  // Creates the jobs table when missing. REQUIRES: called once before the methods below.
  Status Init();
  // Records a new running job of `user`, owned by this process, and returns its id.
  StatusOr<int64_t> Start(const std::string& type, const std::string& description,
                          const std::string& user);
  // Records a new pending job for the JobRunner, with its serialized JobSpec.
  StatusOr<int64_t> CreatePending(const std::string& type, const std::string& description,
                                  const std::string& user, const std::string& spec);

  // What the runner and the control statements need of one job.
  struct JobRecord {
    int64_t id = 0;
    std::string type;
    std::string status;
    std::string user;
    std::string spec;         // serialized JobSpec; empty for jobs run inside a statement
    bool in_process = false;  // run inside a statement (has a pid), not by the runner
  };
  // NotFound when there is no job `id`.
  StatusOr<JobRecord> Get(int64_t id);
  // The pending jobs, oldest first.
  StatusOr<std::vector<int64_t>> Pending();
  // Moves pending job `id` to running under a lease of `lease_ms`; false when it is no longer
  // pending (paused or canceled meanwhile).
  StatusOr<bool> Claim(int64_t id, int64_t lease_ms);
  // Renews the lease of running job `id`.
  Status Heartbeat(int64_t id, int64_t lease_ms);
  // Sets the status of job `id` (and `finished`, for canceled, succeeded and failed), when its
  // status is one of `from` (empty: any). Returns whether it changed.
  StatusOr<bool> Transition(int64_t id, const std::vector<std::string>& from,
                            const std::string& to);
  // At server start: runner jobs left by a previous server go back to pending (running), to
  // paused (pause-requested) or to canceled (cancel-requested); the server's exclusive lock on
  // the data directory proves that no runner holds their leases any more. Returns how many.
  StatusOr<int> AdoptOrphans();

  // PAUSE / RESUME / CANCEL JOB: the status change the request makes (see docs/operations.md),
  // returned as the new status; FailedPrecondition when the job's status does not allow it.
  enum class Control { kPause, kResume, kCancel };
  StatusOr<std::string> RequestControl(int64_t id, Control action);
  // Updates the fraction completed (at most a few times per second is plenty) and, when given,
  // the rows and bytes done so far (result_rows, result_bytes: the result once it succeeds).
  Status Progress(int64_t id, double fraction, std::optional<uint64_t> rows = std::nullopt,
                  std::optional<uint64_t> bytes = std::nullopt);
  // Sets the job's running_status (SHOW JOBS): what it works on, e.g. which backup a RESTORE
  // reads. Kept after the job ends. `text` must hold no secret.
  Status SetRunningStatus(int64_t id, const std::string& text);
  // Marks the job succeeded with its result counts.
  Status Succeed(int64_t id, uint64_t rows, uint64_t index_entries, uint64_t bytes);
  // Marks the job failed with a (secret-free) error message.
  Status Fail(int64_t id, const std::string& error);

  // A running BACKUP job's checkpoint (a serialized cofre.proto.BackupCheckpoint: what it has
  // finished, backup/backup_checkpoint.h), saved as it goes and read by its next run; dropped
  // when the job ends (succeeded, failed, canceled). Checkpoint() is empty when there is none.
  Status SaveCheckpoint(int64_t id, const std::string& checkpoint);
  StatusOr<std::string> Checkpoint(int64_t id);

  // Records that job `id` writes layer directory `dir` (of kind `kind`, see LayerKind) in the
  // storage `storage_uri` (redacted).
  Status RecordBackupDir(int64_t id, const std::string& storage_uri, int kind,
                         const std::string& dir);
  struct BackupDir {
    int64_t job_id = 0;
    std::string storage_uri;
    int kind = 0;
    std::string dir;
  };
  // The recorded directories in any of `storage_uris` whose job is no longer running (it
  // failed, succeeded, was stopped, or its process is gone), and those of job `starting` (a
  // runner job starting a new run: what its earlier runs wrote is abandoned), oldest job first.
  StatusOr<std::vector<BackupDir>> FinishedBackupDirs(const std::vector<std::string>& storage_uris,
                                                      int64_t starting = 0);
  // Drops the record of `dir` written by job `id`.
  Status ForgetBackupDir(int64_t id, const std::string& dir);

  // SHOW JOBS (newest first; only `user`'s when set) and SHOW JOB <id> (NotFound when absent).
  StatusOr<ResultSet> ShowJobs(const std::optional<std::string>& user = std::nullopt);
  StatusOr<ResultSet> ShowJob(int64_t id);

 private:
  StatusOr<int64_t> Insert(const std::string& type, const std::string& description,
                           const std::string& user, const std::optional<std::string>& spec);
  Status ReapDeadJobs();
  StatusOr<ResultSet> Query(const std::string& where, int64_t id, const std::string& user);
  DataDir* dir_;
};

}  // namespace cofre

#endif  // COFRE_JOBS_JOB_REGISTRY_H_
