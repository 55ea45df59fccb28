#include "sql/backup_statements.h"

#include <chrono>
#include <cstdlib>
#include <set>

#include "backup/chain_keys.h"
#include "backup/collection.h"
#include "backup/full_backup.h"
#include "backup/incremental_backup.h"
#include "backup/manifest_io.h"
#include "backup/restore.h"
#include "backup/show_backup.h"
#include "sql/as_of_time.h"
#include "sql/describe.h"
#include "sql/statement_options.h"
#include "storage/storage_factory.h"

namespace cofre::sql {

namespace {

using Kind = ResultSet::Kind;

ResultSet JobResult(int64_t job_id, uint64_t rows, uint64_t index_entries,
                    uint64_t bytes) {
  ResultSet rs;
  rs.columns = {{"job_id", Kind::kNumber},
                {"status"},
                {"fraction_completed", Kind::kNumber},
                {"rows", Kind::kNumber},
                {"index_entries", Kind::kNumber},
                {"bytes", Kind::kNumber}};
  rs.rows.push_back({std::to_string(job_id), std::string("succeeded"),
                     std::string("1"), std::to_string(rows),
                     std::to_string(index_entries), std::to_string(bytes)});
  return rs;
}

StatusOr<std::unique_ptr<ExternalStorage>> OpenCollection(
    const ExecContext& ctx, const std::vector<std::string>& uris) {
  if (uris.size() != 1) {
    return InvalidArgumentError(
        "locality-aware backups (a list of URIs) need S3 locality support, "
        "which this cofre "
        "version does not have; give one collection URI");
  }
  return OpenExternalStorage(uris[0],
                             StorageContext{ctx.data_dir->extern_dir()});
}

// Runs `body` as a job: records it, tracks progress, and marks the outcome.
template <typename Fn>
StatusOr<ResultSet> RunJob(const ExecContext& ctx, const std::string& type,
                           const std::string& description, Fn body) {
  ASSIGN_OR_RETURN(int64_t id, ctx.jobs->Start(type, description));
  auto last = std::chrono::steady_clock::now();
  std::function<void(double)> progress = [&](double f) {
    auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(500)) return;
    last = now;
    ctx.jobs->Progress(id, f).IgnoreError();
  };
  uint64_t rows = 0, entries = 0, bytes = 0;
  Status st = body(progress, &rows, &entries, &bytes);
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
        std::string dbname =
            p.database.empty() ? ctx.current_database : p.database;
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
            return NotFoundError("database \"" + dbname +
                                 "\" has no tables to back up");
          }
          for (auto& n : names) tables.push_back(n);
        } else {
          tables.push_back(p.table);
        }
      }
      for (auto& t : out) {
        std::set<std::string> uniq(t.tables.begin(), t.tables.end());
        t.tables.assign(uniq.begin(), uniq.end());
        for (const auto& name : t.tables)
          spec->add_tables(t.database.name + "." + name);
      }
      break;
    }
  }
  if (out.empty())
    return FailedPreconditionError("there are no databases to back up");
  return out;
}

// Reads the manifests of the chain of full backup `subdir`, oldest layer first.
StatusOr<std::vector<proto::BackupManifest>> ReadChain(const ChainStorage& storage,
                                                       const std::string& subdir,
                                                       const ChainCrypto& crypto) {
  std::vector<proto::BackupManifest> layers;
  ASSIGN_OR_RETURN(auto full, ReadManifest(*storage.collection, subdir, crypto));
  layers.push_back(std::move(full));
  ASSIGN_OR_RETURN(auto incrementals, collection::ListIncrementals(
                                          storage.layers(), storage.layers_prefix(), subdir));
  for (const auto& dir : incrementals) {
    ASSIGN_OR_RETURN(auto m, ReadManifest(storage.layers(), dir, crypto));
    layers.push_back(std::move(m));
  }
  return layers;
}

// The storages of a chain: the collection, and the incremental_location when given.
struct OpenedChain {
  std::unique_ptr<ExternalStorage> collection;
  std::unique_ptr<ExternalStorage> incremental_location;
  ChainStorage view() const { return ChainStorage{collection.get(), incremental_location.get()}; }
};

StatusOr<OpenedChain> OpenChain(const ExecContext& ctx, const std::vector<std::string>& uris,
                                const StatementOptions& opts) {
  OpenedChain chain;
  ASSIGN_OR_RETURN(chain.collection, OpenCollection(ctx, uris));
  if (opts.incremental_location) {
    ASSIGN_OR_RETURN(chain.incremental_location,
                     OpenExternalStorage(*opts.incremental_location,
                                         StorageContext{ctx.data_dir->extern_dir()}));
  }
  return chain;
}

ChainCrypto CryptoOf(const std::optional<ChainKey>& key) {
  ChainCrypto crypto;
  if (key) {
    crypto.data_key = &key->data_key;
    crypto.chain_id = key->chain_id;
  }
  return crypto;
}

// A chain opened for reading: its storages, full backup subdir, unlocked key and layers.
struct LoadedChain {
  OpenedChain opened;
  std::string subdir;
  std::optional<ChainKey> key;
  std::vector<proto::BackupManifest> layers;
};

// Resolves `from` in the collection, unlocks its key (before reading any data) and reads the
// manifests of all its layers.
Status LoadChain(const ExecContext& ctx, const std::vector<std::string>& in, const BackupRef& from,
                 const StatementOptions& opts, LoadedChain* out) {
  ASSIGN_OR_RETURN(out->opened, OpenChain(ctx, in, opts));
  ExternalStorage& storage = *out->opened.collection;
  ASSIGN_OR_RETURN(out->subdir,
                   collection::ResolveFullBackup(storage, from.latest ? "LATEST" : from.subdir));
  ASSIGN_OR_RETURN(out->key, OpenChainKey(storage, out->subdir, opts.keys));
  ASSIGN_OR_RETURN(out->layers, ReadChain(out->opened.view(), out->subdir, CryptoOf(out->key)));
  return Status::OK();
}

// Backup settings; COFRE_BACKUP_TARGET_FILE_BYTES overrides the span/file target size (tests use
// small values to exercise span splitting and compaction on small data).
BackupSettings Settings() {
  BackupSettings settings;
  if (const char* v = std::getenv("COFRE_BACKUP_TARGET_FILE_BYTES")) {
    uint64_t n = std::strtoull(v, nullptr, 10);
    if (n > 0) settings.target_file_bytes = n;
  }
  return settings;
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
        "the targets of this incremental backup differ from those of full backup " + display +
        "; an incremental must back up the same databases and tables as its full backup")
        .WithHint("take a new full backup with BACKUP ... INTO 'uri' for other targets");
  }
  return Status::OK();
}

StatusOr<ResultSet> ExecuteBackup(const ExecContext& ctx, const Backup& stmt) {
  ASSIGN_OR_RETURN(StatementOptions opts, ValidateOptions(stmt.options, OptionContext::kBackup));
  if (stmt.as_of) {
    return InvalidArgumentError(
        "BACKUP ... AS OF SYSTEM TIME is not supported: a backup is always a snapshot of now");
  }
  ASSIGN_OR_RETURN(OpenedChain opened, OpenChain(ctx, stmt.destinations, opts));
  ExternalStorage* storage = opened.collection.get();
  proto::Targets spec;
  ASSIGN_OR_RETURN(auto targets, ResolveBackupTargets(ctx, stmt.targets, &spec));
  using Progress = const std::function<void(double)>&;
  if (opts.incremental_location && !stmt.incremental_on) {
    return InvalidArgumentError(
        "incremental_location applies to incremental backups: use BACKUP ... INTO LATEST IN "
        "'collection' WITH incremental_location = '...'");
  }
  if (stmt.incremental_on) {
    ASSIGN_OR_RETURN(std::string subdir,
                     collection::ResolveFullBackup(
                         *storage, stmt.incremental_on->latest ? "LATEST"
                                                               : stmt.incremental_on->subdir));
    // Keys first: a wrong, missing or new key is refused before anything is written.
    if (!opts.keys.kms_uris.empty()) {
      auto info = ReadEncryptionInfo(*storage, subdir);
      if (info.ok()) RETURN_IF_ERROR(CheckIncrementalKeys(*info, opts.keys));
    }
    ASSIGN_OR_RETURN(std::optional<ChainKey> key, OpenChainKey(*storage, subdir, opts.keys));
    ChainCrypto crypto = CryptoOf(key);
    ASSIGN_OR_RETURN(auto chain, ReadChain(opened.view(), subdir, crypto));
    RETURN_IF_ERROR(CheckSameTargets(chain.front().targets(), spec,
                                     collection::DisplaySubdir(subdir)));
    return RunJob(ctx, "BACKUP", DescribeStatement(stmt),
                  [&](Progress progress, uint64_t* rows, uint64_t* entries,
                      uint64_t* bytes) -> Status {
                    IncrementalBackupRequest req;
                    req.storage = opened.view();
                    req.targets = targets;
                    req.chain = std::move(chain);
                    req.crypto = crypto;
                    req.settings = Settings();
                    req.progress = progress;
                    ASSIGN_OR_RETURN(BackupResult r, RunIncrementalBackup(req));
                    *rows = r.rows;
                    *entries = r.index_entries;
                    *bytes = r.bytes;
                    return Status::OK();
                  });
  }
  ASSIGN_OR_RETURN(NewChainKey chain, CreateChainKey(opts.keys));
  return RunJob(ctx, "BACKUP", DescribeStatement(stmt),
                [&](Progress progress, uint64_t* rows, uint64_t* entries,
                    uint64_t* bytes) -> Status {
                  FullBackupRequest req;
                  req.storage = storage;
                  req.targets = targets;
                  req.target_spec = spec;
                  req.crypto = CryptoOf(chain.key);
                  req.encryption_info = chain.encryption_info;
                  req.settings = Settings();
                  req.progress = progress;
                  ASSIGN_OR_RETURN(BackupResult r, RunFullBackup(req));
                  *rows = r.rows;
                  *entries = r.index_entries;
                  *bytes = r.bytes;
                  return Status::OK();
                });
}

StatusOr<ResultSet> ExecuteRestore(const ExecContext& ctx,
                                   const Restore& stmt) {
  ASSIGN_OR_RETURN(StatementOptions opts,
                   ValidateOptions(stmt.options, OptionContext::kRestore));
  LoadedChain chain;
  RETURN_IF_ERROR(LoadChain(ctx, stmt.in, stmt.from, opts, &chain));
  const std::string& subdir = chain.subdir;
  const std::vector<proto::BackupManifest>& layers = chain.layers;
  ChainCrypto crypto = CryptoOf(chain.key);
  const proto::BackupManifest* chosen = &layers.back();
  if (stmt.as_of) {
    auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    ASSIGN_OR_RETURN(int64_t when, ParseAsOfSystemTime(stmt.as_of->text, now));
    chosen = nullptr;
    for (const auto& layer : layers) {
      if (layer.end_time_micros() <= when) chosen = &layer;
    }
    if (!chosen) {
      return InvalidArgumentError(
          "no layer of backup " + collection::DisplaySubdir(subdir) + " ends at or before " +
          collection::FormatTimestamp(when) + "; its first layer ends at " +
          collection::FormatTimestamp(layers.front().end_time_micros()));
    }
  }
  const proto::BackupManifest& manifest = *chosen;

  RestoreRequest req;
  req.storage = chain.opened.view();
  req.manifest = &manifest;
  req.crypto = crypto;
  req.data_dir = ctx.data_dir;
  std::set<std::string> in_backup;
  for (const auto& db : manifest.databases()) in_backup.insert(db.name());

  if (opts.new_db_name && stmt.targets.kind != Targets::Kind::kDatabases) {
    return InvalidArgumentError(
        "new_db_name can only be used with RESTORE DATABASE");
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
                     db.name + "\" has " + std::to_string(tables.size()) +
                     " tables")
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
        return InvalidArgumentError(
            "new_db_name can only be used when restoring one database");
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
          return AlreadyExistsError("database \"" + target +
                                    "\" already exists")
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
        std::string source =
            p.database.empty() ? ctx.current_database : p.database;
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
  return RunJob(ctx, "RESTORE", DescribeStatement(stmt),
                [&](const std::function<void(double)>& progress, uint64_t* rows,
                    uint64_t* entries, uint64_t* bytes) -> Status {
                  req.progress = progress;
                  ASSIGN_OR_RETURN(RestoreResult r, RunRestore(req));
                  *rows = r.rows;
                  *entries = r.index_entries;
                  *bytes = r.bytes;
                  return Status::OK();
                });
}

StatusOr<ResultSet> ExecuteShowBackups(const ExecContext& ctx,
                                       const ShowBackups& stmt) {
  ASSIGN_OR_RETURN(auto storage, OpenCollection(ctx, stmt.in));
  ASSIGN_OR_RETURN(auto subdirs, collection::ListFullBackups(*storage));
  ResultSet rs;
  rs.columns = {{"path"}};
  for (const auto& s : subdirs)
    rs.rows.push_back({collection::DisplaySubdir(s)});
  return rs;
}

StatusOr<ResultSet> ExecuteShowBackup(const ExecContext& ctx,
                                      const ShowBackup& stmt) {
  ASSIGN_OR_RETURN(StatementOptions opts,
                   ValidateOptions(stmt.options, OptionContext::kShowBackup));
  LoadedChain chain;
  RETURN_IF_ERROR(LoadChain(ctx, stmt.in, stmt.from, opts, &chain));
  ShowBackupKind kind =
      stmt.kind == ShowBackup::Kind::kSchemas ? ShowBackupKind::kSchemas
      : stmt.kind == ShowBackup::Kind::kFiles ? ShowBackupKind::kFiles
                                              : ShowBackupKind::kObjects;
  return ShowBackupResult(chain.layers, kind);
}

}  // namespace cofre::sql
