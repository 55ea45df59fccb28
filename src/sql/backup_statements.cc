#include "sql/backup_statements.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>

#include "backup/chain_keys.h"
#include "backup/check_files.h"
#include "backup/collection.h"
#include "backup/full_backup.h"
#include "backup/incremental_backup.h"
#include "backup/locality.h"
#include "backup/manifest_io.h"
#include "backup/restore.h"
#include "backup/seen_layers.h"
#include "backup/show_backup.h"
#include "backup/unfinished_layers.h"
#include "backup/verify_backup.h"
#include "sql/as_of_time.h"
#include "sql/backup_chain.h"
#include "sql/backup_resume.h"
#include "sql/describe.h"
#include "sql/statement_options.h"
#include "storage/storage_factory.h"

namespace cofre::sql {

namespace {

using Kind = ResultSet::Kind;

ResultSet JobResult(int64_t job_id, uint64_t rows, uint64_t index_entries, uint64_t bytes) {
  ResultSet rs;
  rs.columns = {{"job_id", Kind::kNumber},
                {"status"},
                {"fraction_completed", Kind::kNumber},
                {"rows", Kind::kNumber},
                {"index_entries", Kind::kNumber},
                {"bytes", Kind::kNumber}};
  rs.rows.push_back({std::to_string(job_id), std::string("succeeded"), std::string("1"),
                     std::to_string(rows), std::to_string(index_entries), std::to_string(bytes)});
  return rs;
}

// Runs `body(job id, progress, ...)` as a job: records it, tracks progress, and marks the outcome.
template <typename Fn>
StatusOr<ResultSet> RunJob(const ExecContext& ctx, const std::string& type,
                           const std::string& description, Fn body,
                           const LiveCounts* live = nullptr) {
  int64_t id = 0;
  if (ctx.job_id) {
    id = *ctx.job_id;
  } else {
    ASSIGN_OR_RETURN(id, ctx.jobs->Start(type, description, ctx.user));
  }
  auto last = std::chrono::steady_clock::now();
  std::function<void(double)> progress = [&](double f) {
    auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(200)) return;
    last = now;
    if (live) {
      ctx.jobs->Progress(id, f, live->rows.load(), live->bytes.load()).IgnoreError();
    } else {
      ctx.jobs->Progress(id, f).IgnoreError();
    }
  };
  uint64_t rows = 0, entries = 0, bytes = 0;
  Status st = body(id, progress, &rows, &entries, &bytes);
  if (!st.ok() && st.code() == StatusCode::kCancelled &&
      (ctx.stop.stop_requested() || ctx.job_id)) {
    // Stopped on request: a runner job's status is settled by the runner (paused, canceled, or
    // pending again at shutdown); a statement's job was canceled with its statement.
    if (!ctx.job_id) ctx.jobs->Transition(id, {"running"}, "canceled").status().IgnoreError();
    return st;
  }
  if (!st.ok()) {
    ctx.jobs->Fail(id, st.message()).IgnoreError();
    return st;
  }
  RETURN_IF_ERROR(ctx.jobs->Succeed(id, rows, entries, bytes));
  return JobResult(id, rows, entries, bytes);
}

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
                      collection::FormatTimestamp(r.end_micros) + " UTC" + ResumeSummary(r))
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
  return settings;
}

// CockroachDB's system tables (RESTORE system.users ...) have no counterpart in a cofre backup.
Status RefuseSystemTargets(const Targets& targets, std::string_view verb) {
  bool system = false;
  for (const auto& d : targets.databases) system |= d == "system";
  for (const auto& t : targets.tables) system |= t.database == "system";
  if (!system) return Status::OK();
  return UnimplementedError(
      std::string(verb) +
      " of system tables (system.users, ...) is not supported: cofre backups hold user "
      "databases only, while users, roles and grants live in the data directory's system "
      "database, which BACKUP does not copy; re-create them with CREATE USER and GRANT");
}

}  // namespace

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
  // Runner jobs keep checkpoints; a failpoint may pause the job itself (sql/backup_resume.h).
  std::stop_source self_stop;
  std::stop_callback relay(ctx.stop, [&] { self_stop.request_stop(); });
  settings.stop = self_stop.get_token();
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
    ASSIGN_OR_RETURN(std::string data_dir_id, ctx.data_dir->Id());
    RemoveAbandonedLayers(ctx, opened.view(), data_dir_id,
                          checkpoint ? checkpoint->layer_dir() : std::string());
    auto result = RunJob(
        ctx, "BACKUP", DescribeStatement(stmt),
        [&](int64_t job_id, Progress progress, uint64_t* rows, uint64_t* entries,
            uint64_t* bytes) -> Status {
          IncrementalBackupRequest req;
          req.storage = opened.view();
          req.ownership = Ownership(ctx, job_id, data_dir_id, req.storage);
          req.targets = targets;
          req.chain = std::move(chain);
          req.crypto = crypto;
          req.settings = settings;
          req.progress = progress;
          if (ctx.job_id) {
            req.checkpoint = CheckpointSaver(ctx, job_id, &self_stop);
            req.resume = checkpoint;
          }
          const proto::BackupManifest full = req.chain.front();
          const uint32_t layer = req.chain.back().layer() + 1;
          ASSIGN_OR_RETURN(BackupResult r, RunIncrementalBackup(req));
          KillAfterCommitFailpoint(ctx);
          RememberLayer(ctx, job_id, req.storage, full, layer, r);
          notices = r.notices;
          layer_end = r.end_micros;
          return Finished(ctx, job_id, r, rows, entries, bytes);
        },
        &live);
    CleanUpAfter(ctx, result.status(), opened.view(), data_dir_id);
    as_of_notice(&notices);
    return WithNotices(std::move(result), std::move(notices));
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
  ASSIGN_OR_RETURN(std::string data_dir_id, ctx.data_dir->Id());
  RemoveAbandonedLayers(ctx, opened.view(), data_dir_id,
                        checkpoint ? checkpoint->layer_dir() : std::string());
  auto result = RunJob(
      ctx, "BACKUP", DescribeStatement(stmt),
      [&](int64_t job_id, Progress progress, uint64_t* rows, uint64_t* entries,
          uint64_t* bytes) -> Status {
        FullBackupRequest req;
        req.storage = opened.view();
        req.ownership = Ownership(ctx, job_id, data_dir_id, req.storage);
        req.targets = targets;
        req.target_spec = spec;
        req.crypto = CryptoOf(chain.key);
        req.encryption_info = chain.encryption_info;
        req.settings = settings;
        req.progress = progress;
        if (ctx.job_id) {
          req.checkpoint = CheckpointSaver(ctx, job_id, &self_stop);
          req.resume = checkpoint;
        }
        ASSIGN_OR_RETURN(BackupResult r, RunFullBackup(req));
        KillAfterCommitFailpoint(ctx);
        proto::BackupManifest full;
        full.set_full_subdir(r.subdir);
        full.set_chain_id(req.crypto.chain_id);
        full.set_end_time_micros(r.end_micros);
        RememberLayer(ctx, job_id, req.storage, full, 0, r);
        notices = r.notices;
        layer_end = r.end_micros;
        return Finished(ctx, job_id, r, rows, entries, bytes);
      },
      &live);
  CleanUpAfter(ctx, result.status(), opened.view(), data_dir_id);
  as_of_notice(&notices);
  return WithNotices(std::move(result), std::move(notices));
}

// The tables of `manifest` that RESTORE `targets` would read, for verify_backup_table_data
// (nothing is written, so the data directory's databases do not matter).
StatusOr<std::vector<VerifyTarget>> VerifyTargets(const ExecContext& ctx, const Targets& targets,
                                                  const proto::BackupManifest& manifest,
                                                  const std::string& display) {
  std::vector<VerifyTarget> out;
  auto find_db = [&](const std::string& name) -> StatusOr<const proto::Database*> {
    for (const auto& db : manifest.databases()) {
      if (db.name() == name) return &db;
    }
    return NotFoundError("database \"" + name + "\" is not in backup " + display);
  };
  std::set<std::pair<std::string, std::string>> added;
  auto add = [&](const proto::Database& db, const proto::Table& t) {
    if (added.insert({db.name(), t.name()}).second) out.push_back({db.name(), &t});
  };
  switch (targets.kind) {
    case Targets::Kind::kCluster:
      for (const auto& db : manifest.databases()) {
        for (const auto& t : db.tables()) add(db, t);
      }
      break;
    case Targets::Kind::kDatabases:
      for (const auto& name : targets.databases) {
        ASSIGN_OR_RETURN(const proto::Database* db, find_db(name));
        for (const auto& t : db->tables()) add(*db, t);
      }
      break;
    case Targets::Kind::kTables:
      for (const auto& p : targets.tables) {
        ASSIGN_OR_RETURN(const proto::Database* db,
                         find_db(p.database.empty() ? ctx.current_database : p.database));
        bool found = false;
        for (const auto& t : db->tables()) {
          if (p.all_tables || t.name() == p.table) {
            add(*db, t);
            found = true;
          }
        }
        if (!found && !p.all_tables) {
          return NotFoundError("table " + db->name() + "." + p.table + " is not in backup " +
                               display);
        }
      }
      break;
  }
  return out;
}

StatusOr<ResultSet> ExecuteRestore(const ExecContext& ctx, const Restore& stmt) {
  RETURN_IF_ERROR(RefuseSystemTargets(stmt.targets, "RESTORE"));
  ASSIGN_OR_RETURN(StatementOptions opts, ValidateOptions(stmt.options, OptionContext::kRestore));
  LoadedChain chain;
  RETURN_IF_ERROR(LoadChain(ctx, stmt.in, stmt.from, opts, &chain));
  std::vector<ResultSet::Notice> notices;
  RETURN_IF_ERROR(CheckNotOlder(ctx, chain, stmt.from, opts.allow_older, &notices));
  const std::string& subdir = chain.subdir;
  const std::vector<proto::BackupManifest>& layers = chain.layers;
  ChainCrypto crypto = CryptoOf(chain.key);
  const proto::BackupManifest* chosen = &layers.back();
  if (stmt.as_of) {
    auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    ASSIGN_OR_RETURN(int64_t when, ParseAsOfSystemTime(stmt.as_of->text, now));
    // Without revision history (cofre keeps none), CockroachDB restores only to the end time
    // of a layer of the chain, and so does cofre.
    chosen = nullptr;
    for (const auto& layer : layers) {
      if (layer.end_time_micros() == when) chosen = &layer;
    }
    if (!chosen) {
      std::string ends;
      for (size_t i = 0; i < layers.size(); ++i) {
        if (i == 8 && layers.size() > 9) {
          ends += ", ... (" + std::to_string(layers.size() - 9) + " more), ";
          i = layers.size() - 1;
        } else if (i) {
          ends += ", ";
        }
        ends += "'" + collection::FormatTimestamp(layers[i].end_time_micros()) + "'";
      }
      return InvalidArgumentError(
                 "invalid RESTORE timestamp: no layer of backup " +
                 collection::DisplaySubdir(subdir) + " ends at " +
                 collection::FormatTimestamp(when) +
                 "; a backup without revision history (cofre keeps none: SQLite has no MVCC) "
                 "restores only to the end time of one of its layers: " +
                 ends)
          .WithHint("SHOW BACKUP FROM ... IN ... lists each layer's end_time");
    }
  }
  const proto::BackupManifest& manifest = *chosen;
  // Every locality holding files of this layer must be in the list, before anything is created.
  RETURN_IF_ERROR(chain.opened.view().Covers(manifest, collection::DisplaySubdir(subdir)));
  const std::string restored = DescribeLayer(chain, manifest);

  if (opts.verify_backup_table_data) {
    ASSIGN_OR_RETURN(std::vector<VerifyTarget> tables,
                     VerifyTargets(ctx, stmt.targets, manifest, collection::DisplaySubdir(subdir)));
    VerifyResult verified;
    ASSIGN_OR_RETURN(
        ResultSet rs,
        RunJob(ctx, "RESTORE", DescribeStatement(stmt),
               [&](int64_t job_id, const std::function<void(double)>& progress, uint64_t* rows,
                   uint64_t* entries, uint64_t* bytes) -> Status {
                 ctx.jobs->SetRunningStatus(job_id, "verifying " + restored).IgnoreError();
                 VerifyRequest req;
                 req.storage = chain.opened.view();
                 req.crypto = crypto;
                 req.tables = std::move(tables);
                 req.progress = progress;
                 ASSIGN_OR_RETURN(verified, VerifyBackupData(req));
                 ctx.jobs->SetRunningStatus(job_id, "verified " + restored).IgnoreError();
                 *rows = verified.rows;
                 *entries = 0;
                 *bytes = verified.logical_bytes;
                 return Status::OK();
               }));
    rs.notices = std::move(notices);
    rs.notices.push_back({ResultSet::Notice::Severity::kNotice,
                          "verified " + restored + ": " + std::to_string(verified.files) +
                              " data files, " + std::to_string(verified.rows) +
                              " rows; no problems found; nothing was restored"});
    return rs;
  }

  RestoreRequest req;
  req.schema_only = opts.schema_only;
  req.bulk_pages = ctx.operations.restore_bulk_pages;
  req.storage = chain.opened.view();
  req.manifest = &manifest;
  req.crypto = crypto;
  req.data_dir = ctx.data_dir;
  std::set<std::string> in_backup;
  for (const auto& db : manifest.databases()) in_backup.insert(db.name());

  if (opts.new_db_name && stmt.targets.kind != Targets::Kind::kDatabases) {
    return InvalidArgumentError("new_db_name can only be used with RESTORE DATABASE");
  }
  if (opts.into_db && stmt.targets.kind != Targets::Kind::kTables) {
    return InvalidArgumentError("into_db can only be used with RESTORE TABLE");
  }
  switch (stmt.targets.kind) {
    case Targets::Kind::kCluster: {
      if (!manifest.targets().cluster()) {
        return InvalidArgumentError(
            "backup " + collection::DisplaySubdir(subdir) +
            " is not a full-cluster backup; restore its databases with RESTORE "
            "DATABASE or its "
            "tables with RESTORE TABLE");
      }
      ASSIGN_OR_RETURN(auto existing, ctx.data_dir->ListDatabases());
      for (const auto& db : existing) {
        ASSIGN_OR_RETURN(SqliteDb conn, SqliteDb::Open(db.path, false, true));
        ASSIGN_OR_RETURN(auto tables, DataDir::ListTables(conn));
        if (!tables.empty()) {
          return FailedPreconditionError(
                     "full cluster restore needs a data directory without user "
                     "tables; database "
                     "\"" +
                     db.name + "\" has " + std::to_string(tables.size()) + " tables")
              .WithHint(
                  "restore into a new data directory, or use RESTORE DATABASE "
                  "... WITH "
                  "new_db_name");
        }
      }
      for (const auto& db : manifest.databases()) {
        ASSIGN_OR_RETURN(bool exists, ctx.data_dir->HasDatabase(db.name()));
        req.databases.push_back({db.name(), db.name(), exists});
      }
      break;
    }
    case Targets::Kind::kDatabases: {
      if (opts.new_db_name && stmt.targets.databases.size() != 1) {
        return InvalidArgumentError("new_db_name can only be used when restoring one database");
      }
      for (const auto& name : stmt.targets.databases) {
        if (!in_backup.count(name)) {
          return NotFoundError("database \"" + name + "\" is not in backup " +
                               collection::DisplaySubdir(subdir));
        }
        std::string target = opts.new_db_name.value_or(name);
        RETURN_IF_ERROR(DataDir::ValidateDatabaseName(target));
        ASSIGN_OR_RETURN(bool exists, ctx.data_dir->HasDatabase(target));
        if (exists) {
          return AlreadyExistsError("database \"" + target + "\" already exists")
              .WithHint(
                  "drop it first, or restore under another name WITH "
                  "new_db_name = '...'");
        }
        req.databases.push_back({name, target, false});
      }
      break;
    }
    case Targets::Kind::kTables: {
      std::map<std::string, size_t> by_db;
      for (const auto& p : stmt.targets.tables) {
        std::string source = p.database.empty() ? ctx.current_database : p.database;
        const proto::Database* pdb = nullptr;
        for (const auto& db : manifest.databases()) {
          if (db.name() == source) pdb = &db;
        }
        if (!pdb) {
          return NotFoundError("database \"" + source + "\" is not in backup " +
                               collection::DisplaySubdir(subdir));
        }
        if (!by_db.count(source)) {
          by_db[source] = req.tables.size();
          std::string target = opts.into_db.value_or(source);
          ASSIGN_OR_RETURN(bool exists, ctx.data_dir->HasDatabase(target));
          if (!exists) {
            return NotFoundError("database \"" + target + "\" does not exist")
                .WithHint("create it first with CREATE DATABASE " + target +
                          ", or choose another WITH into_db = '...'");
          }
          req.tables.push_back({source, {}, target});
        }
        auto& spec = req.tables[by_db[source]];
        if (p.all_tables) {
          for (const auto& t : pdb->tables()) spec.tables.push_back(t.name());
        } else {
          spec.tables.push_back(p.table);
        }
      }
      for (auto& spec : req.tables) {
        std::set<std::string> uniq(spec.tables.begin(), spec.tables.end());
        spec.tables.assign(uniq.begin(), uniq.end());
      }
      break;
    }
  }
  LiveCounts live;
  ASSIGN_OR_RETURN(ResultSet rs,
                   RunJob(
                       ctx, "RESTORE", DescribeStatement(stmt),
                       [&](int64_t job_id, const std::function<void(double)>& progress,
                           uint64_t* rows, uint64_t* entries, uint64_t* bytes) -> Status {
                         ctx.jobs->SetRunningStatus(job_id, "restoring " + restored).IgnoreError();
                         req.progress = progress;
                         req.stop = ctx.stop;
                         req.live = &live;
                         ASSIGN_OR_RETURN(RestoreResult r, RunRestore(req));
                         ctx.jobs->SetRunningStatus(job_id, "restored " + restored).IgnoreError();
                         *rows = r.rows;
                         *entries = r.index_entries;
                         *bytes = r.bytes;
                         return Status::OK();
                       },
                       &live));
  rs.notices = std::move(notices);
  rs.notices.push_back(
      {ResultSet::Notice::Severity::kNotice,
       (opts.schema_only ? "restored the schema (no rows) of " : "restored ") + restored});
  return rs;
}

}  // namespace cofre::sql