// Resuming BACKUP jobs of the server's runner (docs/architecture.md §9): the job's checkpoint
// (backup/backup_checkpoint.h) is read at the start of each run; a run finds out whether its
// interrupted predecessor had in fact committed its layer (then the job only records success),
// resumes a full or incremental backup from its finished spans, or starts over. Jobs run inside a
// statement keep no checkpoint: their statement ends with them.
//
// Test-only failpoints (sql/operation_settings.h, never set in production): a runner job kills
// its process when a checkpoint first records finished spans of N tables (with one export thread
// and tables of one piece each: after N pieces), pauses itself at listed counts, or kills its
// process right after its BACKUP committed, before its record says so. Each point fires once per
// process. Thread-safety: one thread at a time per job.
#ifndef COFRE_SQL_BACKUP_RESUME_H_
#define COFRE_SQL_BACKUP_RESUME_H_

#include <optional>
#include <stop_token>
#include <string>

#include "backup/backup_checkpoint.h"
#include "backup/chain_keys.h"
#include "backup/full_backup.h"
#include "sql/backup_statements.h"

namespace cofre::sql {

// The checkpoint runner job `ctx.job_id` saved in an earlier run: nullopt for statement jobs, for
// a job without one, or for a record this version does not read (the job then starts over).
StatusOr<std::optional<proto::BackupCheckpoint>> LoadCheckpoint(const ExecContext& ctx);

// Saves the checkpoints of runner job `job_id`; a failpoint pause requests `self_stop`.
CheckpointSink CheckpointSaver(const ExecContext& ctx, int64_t job_id, std::stop_source* self_stop);

// Whether the layer `checkpoint` names has its BACKUP_MANIFEST (it was committed).
StatusOr<bool> LayerCommitted(const ChainStorage& storage, const proto::BackupCheckpoint& cp);

// An interrupted run committed the layer of `cp` before its job record said so: finishes what
// the commit left (its BACKUP-LOCK, LATEST when older, files no span names) and returns the
// layer's counts from its manifest, and the manifest.
StatusOr<BackupResult> FinishCommittedLayer(const ChainStorage& storage,
                                            const proto::BackupCheckpoint& cp,
                                            const KeyOptions& keys, const std::string& data_dir_id,
                                            int64_t job_id, proto::BackupManifest* manifest);

// The kill-after-commit failpoint (see above), for runner jobs.
void KillAfterCommitFailpoint(const ExecContext& ctx);

// "; resumed: run 2, 40 finished spans kept unread, 3 brought up to date" for a backup that
// resumed from a checkpoint (docs/operations.md), else empty.
std::string ResumeSummary(const BackupResult& r);

// True when job `id` is being canceled (its layer must go) rather than paused or stopped.
bool CancelRequested(const ExecContext& ctx, int64_t id);

}  // namespace cofre::sql

#endif  // COFRE_SQL_BACKUP_RESUME_H_
