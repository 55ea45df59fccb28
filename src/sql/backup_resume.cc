#include "sql/backup_resume.h"

#include <algorithm>
#include <atomic>
#include <csignal>

#include "backup/collection.h"
#include "backup/manifest_io.h"
#include "backup/unfinished_layers.h"

namespace cofre::sql {

namespace {

// Checkpoint saves holding finished spans, in this process (the failpoints count them).
std::atomic<uint64_t> saves{0};

}  // namespace

StatusOr<std::optional<proto::BackupCheckpoint>> LoadCheckpoint(const ExecContext& ctx) {
  if (!ctx.job_id) return std::optional<proto::BackupCheckpoint>();
  ASSIGN_OR_RETURN(std::string saved, ctx.jobs->Checkpoint(*ctx.job_id));
  proto::BackupCheckpoint cp;
  if (saved.empty() || !cp.ParseFromString(saved) ||
      cp.format_version() != kCheckpointFormatVersion || cp.layer_dir().empty()) {
    return std::optional<proto::BackupCheckpoint>();
  }
  return std::optional<proto::BackupCheckpoint>(std::move(cp));
}

CheckpointSink CheckpointSaver(const ExecContext& ctx, int64_t job_id,
                               std::stop_source* self_stop) {
  JobRegistry* jobs = ctx.jobs;
  return [jobs, job_id, self_stop, ops = ctx.operations,
          recorded = -1](const std::string& bytes) mutable -> Status {
    Status st = jobs->SaveCheckpoint(job_id, bytes);
    if (ops.test_kill_at_checkpoint == 0 && ops.test_pause_at_checkpoints.empty()) return st;
    // Failpoints count the saves that record newly finished spans (not the run's first saves,
    // which name its directory and leaf maps).
    proto::BackupCheckpoint cp;
    if (!cp.ParseFromString(bytes)) return st;
    const int spans = cp.spans_size();
    const bool counted = recorded >= 0 && spans > recorded;
    recorded = std::max(recorded, spans);
    if (!counted) return st;
    const uint64_t n = ++saves;
    if (ops.test_kill_at_checkpoint == n) std::raise(SIGKILL);
    if (std::find(ops.test_pause_at_checkpoints.begin(), ops.test_pause_at_checkpoints.end(), n) !=
        ops.test_pause_at_checkpoints.end()) {
      jobs->RequestControl(job_id, JobRegistry::Control::kPause).status().IgnoreError();
      self_stop->request_stop();
    }
    return st;
  };
}

StatusOr<bool> LayerCommitted(const ChainStorage& storage, const proto::BackupCheckpoint& cp) {
  ExternalStorage& home =
      LayerHome(storage, cp.layer() == 0 ? LayerKind::kFull : LayerKind::kIncremental);
  StatusOr<uint64_t> size = home.Size(cp.layer_dir() + "/" + collection::kManifestFile);
  if (size.ok()) return true;
  if (IsNotFound(size.status())) return false;
  return size.status();
}

StatusOr<BackupResult> FinishCommittedLayer(const ChainStorage& storage,
                                            const proto::BackupCheckpoint& cp,
                                            const KeyOptions& keys, const std::string& data_dir_id,
                                            int64_t job_id, proto::BackupManifest* manifest) {
  const LayerKind kind = cp.layer() == 0 ? LayerKind::kFull : LayerKind::kIncremental;
  ExternalStorage& home = LayerHome(storage, kind);
  ASSIGN_OR_RETURN(std::optional<ChainKey> key,
                   OpenChainKey(*storage.collection, cp.full_subdir(), keys));
  ChainCrypto crypto;
  if (key) {
    crypto.data_key = &key->data_key;
    crypto.chain_id = key->chain_id;
  }
  ASSIGN_OR_RETURN(*manifest, ReadManifest(home, cp.layer_dir(), crypto));
  // Its stale BACKUP-LOCK (and a torn write of LATEST) go.
  RETURN_IF_ERROR(
      RemoveAbandonedLayer(storage, kind, cp.layer_dir(), data_dir_id, job_id).status());
  if (kind == LayerKind::kFull) {
    StatusOr<std::string> latest = collection::ResolveFullBackup(home, "LATEST");
    if (!latest.ok() || *latest < cp.full_subdir()) {
      RETURN_IF_ERROR(collection::WriteLatest(home, cp.full_subdir()));
    }
  }
  RemoveUnreferencedDataFiles(storage.DataFor(manifest->layer()), cp.layer_dir(),
                              ManifestFiles(*manifest))
      .status()
      .IgnoreError();
  BackupResult r;
  r.subdir = cp.full_subdir();
  r.layer_dir = cp.layer_dir();
  r.end_micros = manifest->end_time_micros();
  r.rows = manifest->rows();
  r.index_entries = manifest->index_entries();
  r.bytes = manifest->logical_bytes();
  return r;
}

void KillAfterCommitFailpoint(const ExecContext& ctx) {
  if (ctx.job_id && ctx.operations.test_kill_after_commit) std::raise(SIGKILL);
}

std::string ResumeSummary(const BackupResult& r) {
  if (r.runs <= 1) return "";
  return "; resumed: run " + std::to_string(r.runs) + ", " + std::to_string(r.spans_kept) +
         " finished spans kept unread, " + std::to_string(r.spans_brought) + " brought up to date";
}

bool CancelRequested(const ExecContext& ctx, int64_t id) {
  StatusOr<JobRegistry::JobRecord> job = ctx.jobs->Get(id);
  return !job.ok() || job->status == "cancel-requested" || job->status == "canceled";
}

}  // namespace cofre::sql
