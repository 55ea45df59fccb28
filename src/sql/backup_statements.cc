// BACKUP: resolves the targets, opens the chain and its key, and runs a full or incremental
// backup under a job record (resuming a runner job from its checkpoint, docs/architecture.md §9).
#include "sql/backup_statements.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>

#include "backup/chain_keys.h"
#include "backup/collection.h"
#include "backup/full_backup.h"
#include "backup/incremental_backup.h"
#include "backup/locality.h"
#include "backup/manifest_io.h"
#include "backup/seen_layers.h"
#include "backup/unfinished_layers.h"
#include "jobs/node_key.h"
#include "sql/as_of_time.h"
#include "sql/backup_chain.h"
#include "sql/backup_resume.h"
#include "sql/describe.h"
#include "sql/statement_job.h"
#include "sql/statement_options.h"
#include "storage/storage_factory.h"

namespace cofre::sql {

namespace {

// The node key's purpose for the leaf digest secret of unencrypted chains (never change it: the
// maps written under the old secret would no longer be compared).
constexpr char kLeafDigestPurpose[] = "cofre leaf digests of unencrypted chains";

// Resolves the BACKUP targets into databases and tables of the data directory.
StatusOr<std::vector<BackupTarget>> ResolveBackupTargets(const ExecContext& ctx,
                                                         const Targets& targets,
                                                         proto::Targets* spec) {
  std::vector<BackupTarget> out;
  switch (targets.kind) {
    case Targets::Kind::kCluster: {
      spec->set_cluster(true);
      ASSIGN_OR_RETURN(auto dbs, ctx.data_dir->ListDatabases());
      for (auto& db : dbs) out.push_back({db, {}});
      break;
    }
    case Targets::Kind::kDatabases:
      for (const auto& name : targets.databases) {
        ASSIGN_OR_RETURN(DatabaseInfo db, ctx.data_dir->GetDatabase(name));
        spec->add_databases(name);
        out.push_back({db, {}});
      }
      break;
    case Targets::Kind::kTables: {
      std::map<std::string, size_t> index;
      for (const auto& p : targets.tables) {
        std::string dbname = p.database.empty() ? ctx.current_database : p.database;
        ASSIGN_OR_RETURN(DatabaseInfo db, ctx.data_dir->GetDatabase(dbname));
        if (!index.count(dbname)) {
          index[dbname] = out.size();
          out.push_back({db, {}});
        }
        auto& tables = out[index[dbname]].tables;
        if (p.all_tables) {
          ASSIGN_OR_RETURN(SqliteDb conn, SqliteDb::Open(db.path, false, true));
          ASSIGN_OR_RETURN(auto names, DataDir::ListTables(conn));
          if (names.empty()) {
            return NotFoundError("database \"" + dbname + "\" has no tables to back up");
          }
          for (auto& n : names) tables.push_back(n);
        } else {
          tables.push_back(p.table);
        }
      }
      for (auto& t : out) {
        std::set<std::string> uniq(t.tables.begin(), t.tables.end());
        t.tables.assign(uniq.begin(), uniq.end());
        for (const auto& name : t.tables) spec->add_tables(t.database.name + "." + name);
      }
      break;
    }
  }
  if (out.empty()) return FailedPreconditionError("there are no databases to back up");
  return out;
}

// Remembers a layer this data directory just committed: a later RESTORE or SHOW BACKUP refuses
// the chain when it ends earlier; SHOW JOBS' running_status of BACKUP job `job_id` says which
// layer it wrote. Best effort: the backup itself is done.
void RememberLayer(const ExecContext& ctx, int64_t job_id, const ChainStorage& storage,
                   const proto::BackupManifest& full, uint32_t layer, const BackupResult& r) {
  SeenLayers(ctx.data_dir)
      .RecordLayer(storage.collection->RedactedUri(),
                   storage.incremental_location ? storage.incremental_location->RedactedUri()
                                                : std::string(),
                   full.full_subdir(), full.chain_id(), full.end_time_micros(), layer, r.layer_dir,
                   r.end_micros)
      .IgnoreError();
  ctx.jobs
      ->SetRunningStatus(
          job_id, "wrote backup " + collection::DisplaySubdir(full.full_subdir()) + " in '" +
                      storage.collection->RedactedUri() + "', layer " + std::to_string(layer) +
                      (layer == 0 ? " (full)" : " (incremental)") + " ending at " +
                      collection::FormatTimestamp(r.end_micros) + " UTC" +
                      (layer == 0 ? std::string()
                                  : "; read " + std::to_string(r.rows_read) + " of " +
                                        std::to_string(r.rows_in_snapshot) + " rows") +
                      ResumeSummary(r))
      .IgnoreError();
}

// The layer ownership of BACKUP job `job_id` (backup/unfinished_layers.h): its BACKUP-LOCK note,
// and the record of its layer directory in the job registry.
LayerOwnership Ownership(const ExecContext& ctx, int64_t job_id, const std::string& data_dir_id,
                         const ChainStorage& storage) {
  LayerOwnership out;
  out.lock.data_dir_id = data_dir_id;
  out.lock.job_id = job_id;
  out.lock.pid = static_cast<int64_t>(::getpid());
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0) out.lock.host = host;
  out.lock.started_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  JobRegistry* jobs = ctx.jobs;
  out.claim = [jobs, job_id, storage](LayerKind kind, const std::string& dir) {
    return jobs->RecordBackupDir(job_id, LayerHome(storage, kind).RedactedUri(),
                                 static_cast<int>(kind), dir);
  };
  return out;
}

// Removes the unfinished layer directories that this data directory's BACKUP jobs left in the
// chain's storages and no longer write (failed, or their process died). Best effort and quiet:
// a directory that cannot be removed now keeps its record and is tried again by the next BACKUP.
void RemoveAbandonedLayers(const ExecContext& ctx, const ChainStorage& storage,
                           const std::string& data_dir_id, const std::string& keep = "") {
  std::vector<std::string> uris{storage.collection->RedactedUri()};
  if (storage.incremental_location) uris.push_back(storage.incremental_location->RedactedUri());
  StatusOr<std::vector<JobRegistry::BackupDir>> dirs =
      ctx.jobs->FinishedBackupDirs(uris, ctx.job_id.value_or(0));
  if (!dirs.ok()) return;
  for (const JobRegistry::BackupDir& d : *dirs) {
    if (d.kind != static_cast<int>(LayerKind::kFull) &&
        d.kind != static_cast<int>(LayerKind::kIncremental)) {
      continue;
    }
    LayerKind kind = static_cast<LayerKind>(d.kind);
    // Recorded in a storage that plays another part in this statement: not this chain's.
    if (LayerHome(storage, kind).RedactedUri() != d.storage_uri) continue;
    if (!keep.empty() && d.dir == keep && d.job_id == ctx.job_id.value_or(0)) continue;
    StatusOr<AbandonedLayer> outcome =
        RemoveAbandonedLayer(storage, kind, d.dir, data_dir_id, d.job_id);
    if (outcome.ok()) ctx.jobs->ForgetBackupDir(d.job_id, d.dir).IgnoreError();
  }
}

// A committed backup: its directory no longer needs cleaning up; the job reports its counts.
Status Finished(const ExecContext& ctx, int64_t job_id, const BackupResult& r, uint64_t* rows,
                uint64_t* entries, uint64_t* bytes) {
  ctx.jobs->ForgetBackupDir(job_id, r.layer_dir).IgnoreError();
  *rows = r.rows;
  *entries = r.index_entries;
  *bytes = r.bytes;
  return Status::OK();
}

StatusOr<ResultSet> WithNotices(StatusOr<ResultSet> result, std::vector<std::string> notices) {
  if (!result.ok()) return result;
  for (auto& n : notices) {
    result->notices.push_back({ResultSet::Notice::Severity::kNotice, std::move(n)});
  }
  return result;
}

// After a BACKUP's run failed: a runner job stopped by PAUSE or a shutdown keeps its layer for
// its next run to resume; a canceled one, or a statement's, loses what it wrote at once.
void CleanUpAfter(const ExecContext& ctx, const Status& st, const ChainStorage& storage,
                  const std::string& data_dir_id) {
  if (st.ok() || st.code() != StatusCode::kCancelled) return;
  if (ctx.job_id && !CancelRequested(ctx, *ctx.job_id)) return;
  RemoveAbandonedLayers(ctx, storage, data_dir_id);
}

// The layer an interrupted run of this job committed before its record said so: the job
// succeeds with it, and no second backup is taken.
StatusOr<ResultSet> RecordCommitted(const ExecContext& ctx, const std::string& description,
                                    const ChainStorage& storage, const proto::BackupCheckpoint& cp,
                                    const KeyOptions& keys) {
  ASSIGN_OR_RETURN(std::string data_dir_id, ctx.data_dir->Id());
  return RunJob(ctx, "BACKUP", description,
                [&](int64_t job_id, const std::function<void(double)>&, uint64_t* rows,
                    uint64_t* entries, uint64_t* bytes) -> Status {
                  proto::BackupManifest m;
                  ASSIGN_OR_RETURN(BackupResult r, FinishCommittedLayer(storage, cp, keys,
                                                                        data_dir_id, job_id, &m));
                  proto::BackupManifest full;
                  full.set_full_subdir(cp.full_subdir());
                  full.set_chain_id(m.chain_id());
                  full.set_end_time_micros(m.previous_layers_size() > 0
                                               ? m.previous_layers(0).end_time_micros()
                                               : m.end_time_micros());
                  RememberLayer(ctx, job_id, storage, full, m.layer(), r);
                  return Finished(ctx, job_id, r, rows, entries, bytes);
                });
}

// The backup settings of `ops` (sql/operation_settings.h) over BackupSettings' defaults.
BackupSettings Settings(const OperationSettings& ops) {
  BackupSettings settings;
  if (ops.backup_target_file_bytes > 0) settings.target_file_bytes = ops.backup_target_file_bytes;
  if (ops.backup_threads > 0) settings.export_threads = std::min(ops.backup_threads, 64);
  if (ops.backup_min_piece_rows > 0) settings.min_piece_rows = ops.backup_min_piece_rows;
  if (ops.backup_frame_bytes > 0) settings.zstd.frame_bytes = ops.backup_frame_bytes;
  return settings;
}

// What a backup's job body gets (BACKUP's shared tail, ExecuteBackup).
struct BackupJob {
  std::function<void(double)> progress;
  LayerOwnership ownership;
  CheckpointSink checkpoint;  // runner jobs only
};

// The layer a backup committed: its result, its chain's full backup and its layer number.
struct CommittedLayer {
  BackupResult result;
  proto::BackupManifest full;
  uint32_t layer = 0;
};

// Refuses an incremental whose targets differ from its chain's.
Status CheckSameTargets(const proto::Targets& chain, const proto::Targets& now,
                        const std::string& display) {
  auto sorted = [](const google::protobuf::RepeatedPtrField<std::string>& f) {
    std::vector<std::string> v(f.begin(), f.end());
    std::sort(v.begin(), v.end());
    return v;
  };
  if (chain.cluster() != now.cluster() || sorted(chain.databases()) != sorted(now.databases()) ||
      sorted(chain.tables()) != sorted(now.tables())) {
    return InvalidArgumentError(
               "the targets of this incremental backup differ from those of full backup " +
               display +
               "; an incremental must back up the same databases and tables as its full backup")
        .WithHint("take a new full backup with BACKUP ... INTO 'uri' for other targets");
  }
  return Status::OK();
}

}  // namespace

StatusOr<ResultSet> ExecuteBackup(const ExecContext& ctx, const Backup& stmt) {
  RETURN_IF_ERROR(RefuseSystemTargets(stmt.targets, "BACKUP"));
  ASSIGN_OR_RETURN(StatementOptions opts, ValidateOptions(stmt.options, OptionContext::kBackup));
  // AS OF SYSTEM TIME a little in the past: accepted, the snapshot is of now (sql/as_of_time.h).
  std::optional<int64_t> as_of;
  if (stmt.as_of) {
    const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    ASSIGN_OR_RETURN(as_of, BackupAsOfTime(stmt.as_of->text, stmt.as_of->is_string, now));
  }
  int64_t layer_end = 0;
  // The NOTICE that says what an AS OF SYSTEM TIME backup holds.
  auto as_of_notice = [&](std::vector<std::string>* notices) {
    if (!as_of || layer_end == 0) return;
    notices->push_back(
        "AS OF SYSTEM TIME asked for the data of " + collection::FormatTimestamp(*as_of) +
        " UTC; cofre keeps no history of rows (SQLite has no MVCC) and backed up "
        "the data of " +
        collection::FormatTimestamp(layer_end) + " UTC instead, the backup's end_time");
  };
  ASSIGN_OR_RETURN(OpenedChain opened,
                   OpenChain(ctx, stmt.destinations, opts, /*for_backup=*/true));
  ExternalStorage* storage = opened.collection.get();
  if (ctx.job_id && CancelRequested(ctx, *ctx.job_id)) {
    // Canceled while paused, pending or stopped: what its earlier runs wrote goes now.
    ASSIGN_OR_RETURN(std::string data_dir_id, ctx.data_dir->Id());
    RemoveAbandonedLayers(ctx, opened.view(), data_dir_id);
    return CancelledError("the job was canceled");
  }
  proto::Targets spec;
  ASSIGN_OR_RETURN(auto targets, ResolveBackupTargets(ctx, stmt.targets, &spec));
  using Progress = const std::function<void(double)>&;
  BackupSettings settings = Settings(ctx.operations);
  if (opts.snapshot_timeout) settings.snapshot_timeout = *opts.snapshot_timeout;
  // Unencrypted chains key their leaf digests with a secret of this data directory's; when its
  // node key cannot be read they fall back to SHA-256 (slower, as sure).
  std::optional<SecretBytes> leaf_secret;
  if (auto node = NodeKey::LoadOrCreate(ctx.data_dir->path()); node.ok()) {
    if (auto secret = node->Derive(kLeafDigestPurpose); secret.ok())
      leaf_secret = std::move(*secret);
  }
  if (leaf_secret) settings.leaf_digest_secret = &*leaf_secret;
  // Incrementals of this data directory's chains compare rows with digests kept here
  // (backup/row_cache.h) instead of reading them back from the backup.
  settings.row_cache_dir = ctx.data_dir->path() + "/cache/rows";
  LiveCounts live;
  settings.live = &live;
  std::vector<std::string> notices;
  if (opts.incremental_location && !stmt.incremental_on) {
    return InvalidArgumentError(
        "incremental_location applies to incremental backups: use BACKUP ... INTO LATEST IN "
        "'collection' WITH incremental_location = '...'");
  }
  ASSIGN_OR_RETURN(std::optional<proto::BackupCheckpoint> checkpoint, LoadCheckpoint(ctx));
  if (checkpoint) {
    ASSIGN_OR_RETURN(bool committed, LayerCommitted(opened.view(), *checkpoint));
    if (committed) {
      return RecordCommitted(ctx, DescribeStatement(stmt), opened.view(), *checkpoint, opts.keys);
    }
    // A run resumes from finished spans of its own kind of layer; otherwise it starts over.
    if ((checkpoint->layer() == 0) == stmt.incremental_on.has_value() ||
        checkpoint->spans_size() == 0) {
      checkpoint.reset();
    }
  }
  // A runner job's failpoint may pause the job itself (sql/backup_resume.h).
  std::stop_source self_stop;
  std::stop_callback relay(ctx.stop, [&] { self_stop.request_stop(); });
  settings.stop = self_stop.get_token();
  // Runs a full or incremental backup (`backup`) as the statement's job, then records the layer
  // it committed; an interrupted runner job keeps its layer for its next run.
  auto run_backup = [&](const std::function<StatusOr<CommittedLayer>(const BackupJob&)>& backup)
      -> StatusOr<ResultSet> {
    ASSIGN_OR_RETURN(std::string data_dir_id, ctx.data_dir->Id());
    RemoveAbandonedLayers(ctx, opened.view(), data_dir_id,
                          checkpoint ? checkpoint->layer_dir() : std::string());
    auto result = RunJob(
        ctx, "BACKUP", DescribeStatement(stmt),
        [&](int64_t job_id, Progress progress, uint64_t* rows, uint64_t* entries,
            uint64_t* bytes) -> Status {
          BackupJob job{progress, Ownership(ctx, job_id, data_dir_id, opened.view()), {}};
          // SHOW JOBS' running_status while it runs (then RememberLayer's).
          std::string doing = std::string(stmt.incremental_on ? "backing up an incremental layer"
                                                              : "backing up a full backup") +
                              " into '" + opened.collection->RedactedUri() + "'";
          if (checkpoint) {
            doing += "; run " + std::to_string(checkpoint->runs() + 1) + ", resuming from " +
                     std::to_string(checkpoint->spans_size()) + " finished spans";
          }
          ctx.jobs->SetRunningStatus(job_id, doing).IgnoreError();
          // Runner jobs keep checkpoints; a failpoint may pause the job itself.
          if (ctx.job_id) job.checkpoint = CheckpointSaver(ctx, job_id, &self_stop);
          ASSIGN_OR_RETURN(CommittedLayer c, backup(job));
          KillAfterCommitFailpoint(ctx);
          RememberLayer(ctx, job_id, opened.view(), c.full, c.layer, c.result);
          notices = c.result.notices;
          layer_end = c.result.end_micros;
          return Finished(ctx, job_id, c.result, rows, entries, bytes);
        },
        &live);
    CleanUpAfter(ctx, result.status(), opened.view(), data_dir_id);
    as_of_notice(&notices);
    return WithNotices(std::move(result), std::move(notices));
  };
  if (stmt.incremental_on) {
    ASSIGN_OR_RETURN(
        std::string subdir,
        collection::ResolveFullBackup(
            *storage, stmt.incremental_on->latest ? "LATEST" : stmt.incremental_on->subdir));
    // Keys first: a wrong, missing or new key is refused before anything is written.
    if (!opts.keys.kms_uris.empty()) {
      auto info = ReadEncryptionInfo(*storage, subdir);
      if (info.ok()) RETURN_IF_ERROR(CheckIncrementalKeys(*info, opts.keys));
    }
    ASSIGN_OR_RETURN(std::optional<ChainKey> key, OpenChainKey(*storage, subdir, opts.keys));
    ChainCrypto crypto = CryptoOf(key);
    ASSIGN_OR_RETURN(auto chain, ReadChain(opened.view(), subdir, crypto));
    RETURN_IF_ERROR(
        CheckSameTargets(chain.front().targets(), spec, collection::DisplaySubdir(subdir)));
    // The previous layer's files are read back (base and delta files): every locality must be
    // listed.
    RETURN_IF_ERROR(opened.view().Covers(chain.back(), collection::DisplaySubdir(subdir)));
    // An interrupted run resumes only while the layer it wrote still follows the chain's last
    // (docs/architecture.md §9); otherwise its directory goes and the job starts over.
    if (checkpoint &&
        (checkpoint->full_subdir() != subdir || checkpoint->layer() != chain.back().layer() + 1 ||
         checkpoint->previous_layer_dir() != chain.back().layer_dir())) {
      checkpoint.reset();
    }
    return run_backup([&](const BackupJob& job) -> StatusOr<CommittedLayer> {
      IncrementalBackupRequest req;
      req.storage = opened.view();
      req.ownership = job.ownership;
      req.targets = targets;
      req.chain = std::move(chain);
      req.crypto = crypto;
      req.settings = settings;
      req.progress = job.progress;
      req.checkpoint = job.checkpoint;
      if (job.checkpoint) req.resume = checkpoint;
      CommittedLayer c;
      c.full = req.chain.front();
      c.layer = req.chain.back().layer() + 1;
      ASSIGN_OR_RETURN(c.result, RunIncrementalBackup(req));
      return c;
    });
  }
  // Tests only: a cheaper KDF for the chains they create (at least 1000 iterations).
  if (uint32_t n = ctx.operations.test_passphrase_iterations) {
    opts.keys.new_chain_iterations = std::clamp(n, kMinPassphraseIterations, kPassphraseIterations);
  }
  // A resumed backup goes on with the key of the layer it resumes.
  NewChainKey chain;
  if (checkpoint) {
    ASSIGN_OR_RETURN(chain.key, OpenChainKey(*storage, checkpoint->full_subdir(), opts.keys));
  } else {
    ASSIGN_OR_RETURN(chain, CreateChainKey(opts.keys));
  }
  return run_backup([&](const BackupJob& job) -> StatusOr<CommittedLayer> {
    FullBackupRequest req;
    req.storage = opened.view();
    req.ownership = job.ownership;
    req.targets = targets;
    req.target_spec = spec;
    req.crypto = CryptoOf(chain.key);
    req.encryption_info = chain.encryption_info;
    req.settings = settings;
    req.progress = job.progress;
    req.checkpoint = job.checkpoint;
    if (job.checkpoint) req.resume = checkpoint;
    CommittedLayer c;
    ASSIGN_OR_RETURN(c.result, RunFullBackup(req));
    c.full.set_full_subdir(c.result.subdir);
    c.full.set_chain_id(req.crypto.chain_id);
    c.full.set_end_time_micros(c.result.end_micros);
    c.layer = 0;
    return c;
  });
}

}  // namespace cofre::sql