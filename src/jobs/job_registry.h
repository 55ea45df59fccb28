// JobRegistry: the job records of a data directory (system database, table `jobs`).
//
// Every BACKUP and RESTORE is a job: a 64-bit time-ordered id, its type, a description with
// secrets redacted (the caller redacts), status (running, succeeded, failed), times, progress,
// error and result. A job whose process died while running (kill -9) is reported as failed the
// next time jobs are listed. Records never hold secrets.
//
// A BACKUP job also records the layer directory it writes (table `backup_dirs`: the redacted URI
// of the storage and the directory), before writing anything there, so that the directories of
// its jobs that died or failed unfinished can be found and removed later without scanning the
// collection (backup/unfinished_layers.h); the record goes once the directory is dealt with.
// Thread-safety: one thread at a time per registry; several processes may share a directory.
#ifndef COFRE_JOBS_JOB_REGISTRY_H_
#define COFRE_JOBS_JOB_REGISTRY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/data_dir.h"
#include "util/result_set.h"

namespace cofre {

class JobRegistry {
 public:
  explicit JobRegistry(DataDir* dir) : dir_(dir) {}

  // Creates the jobs table when missing. REQUIRES: called once before the methods below.
  Status Init();
  // Records a new running job and returns its id.
  StatusOr<int64_t> Start(const std::string& type, const std::string& description);
  // Updates the fraction completed (at most a few times per second is plenty).
  Status Progress(int64_t id, double fraction);
  // Sets the job's running_status (SHOW JOBS): what it works on, e.g. which backup a RESTORE
  // reads. Kept after the job ends. `text` must hold no secret.
  Status SetRunningStatus(int64_t id, const std::string& text);
  // Marks the job succeeded with its result counts.
  Status Succeed(int64_t id, uint64_t rows, uint64_t index_entries, uint64_t bytes);
  // Marks the job failed with a (secret-free) error message.
  Status Fail(int64_t id, const std::string& error);

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
  // failed, succeeded, or its process is gone), oldest job first.
  StatusOr<std::vector<BackupDir>> FinishedBackupDirs(const std::vector<std::string>& storage_uris);
  // Drops the record of `dir` written by job `id`.
  Status ForgetBackupDir(int64_t id, const std::string& dir);

  // SHOW JOBS (all jobs, newest first) and SHOW JOB <id> (NotFound when absent).
  StatusOr<ResultSet> ShowJobs();
  StatusOr<ResultSet> ShowJob(int64_t id);

 private:
  Status ReapDeadJobs();
  StatusOr<ResultSet> Query(const std::string& where, int64_t id);
  DataDir* dir_;
};

}  // namespace cofre

#endif  // COFRE_JOBS_JOB_REGISTRY_H_
