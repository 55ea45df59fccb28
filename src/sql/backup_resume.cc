#include "sql/backup_resume.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <set>
#include <utility>

#include "backup/collection.h"
#include "backup/manifest_io.h"
#include "backup/unfinished_layers.h"

namespace cofre::sql {

namespace {

// The failpoints' count: the most tables with finished spans a checkpoint of this process has
// recorded so far. Each failpoint fires once per process, when the count first reaches it.
std::atomic<uint64_t> reached{0};

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
  return [jobs, job_id, self_stop, ops = ctx.operations](const std::string& bytes) -> Status {
    Status st = jobs->SaveCheckpoint(job_id, bytes);
    if (ops.test_kill_at_checkpoint == 0 && ops.test_pause_at_checkpoints.empty()) return st;
    // Failpoints count the tables with finished spans (with one export thread and small tables,
    // the pieces finished), whatever number of saves recorded them.
    proto::BackupCheckpoint cp;
    if (!cp.ParseFromString(bytes)) return st;
    std::set<std::pair<std::string, std::string>> tables;
    for (const auto& f : cp.spans()) tables.insert({f.database(), f.table()});
    const uint64_t now = tables.size();
    const uint64_t before = reached.load();
    if (now <= before) return st;
    reached.store(now);  // the tests run one job at a time
    auto crossed = [&](uint64_t point) { return point > before && point <= now; };
    if (crossed(ops.test_kill_at_checkpoint)) std::raise(SIGKILL);
    if (std::any_of(ops.test_pause_at_checkpoints.begin(), ops.test_pause_at_checkpoints.end(),
                    crossed)) {
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
