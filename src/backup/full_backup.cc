#include "backup/full_backup.h"

#include <atomic>

#include "backup/backup_checkpoint.h"
#include "backup/cell_digests.h"
#include "backup/collection.h"
#include "backup/database_settings.h"
#include "backup/leaf_maps.h"
#include "backup/manifest_format.h"
#include "backup/manifest_io.h"
#include "backup/parallel_export.h"
#include "backup/row_cache.h"
#include "backup/table_exporter.h"
#include "backup/table_schema.h"
#include "engine/snapshot.h"
#include "util/version.h"

namespace cofre {

Status ReadSequences(const SqliteDb& db, proto::Database* out) {
  ASSIGN_OR_RETURN(
      auto has, db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_sequence'"));
  if (!has || *has == 0) return Status::OK();
  ASSIGN_OR_RETURN(SqliteStmt stmt, db.Prepare("SELECT name, seq FROM sqlite_sequence"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    std::string name = stmt.ColumnText(0);
    for (auto& t : *out->mutable_tables()) {
      if (t.name() == name) {
        t.set_has_autoincrement(true);
        t.set_autoincrement_seq(stmt.ColumnInt(1));
      }
    }
  }
  return Status::OK();
}

Status DescribeDatabase(const SqliteDb& db, proto::Database* pdb) {
  ASSIGN_OR_RETURN(auto page_size, db.QueryInt("PRAGMA page_size"));
  ASSIGN_OR_RETURN(auto user_version, db.QueryInt("PRAGMA user_version"));
  ASSIGN_OR_RETURN(auto app_id, db.QueryInt("PRAGMA application_id"));
  pdb->set_page_size(static_cast<int32_t>(page_size.value_or(4096)));
  pdb->set_user_version(static_cast<int32_t>(user_version.value_or(0)));
  pdb->set_application_id(static_cast<int32_t>(app_id.value_or(0)));
  return ReadFileSettings(db, pdb);
}

StatusOr<std::unique_ptr<Snapshot>> TakeBackupSnapshot(const std::vector<BackupTarget>& targets,
                                                       const BackupSettings& settings, int threads,
                                                       BackupResult* result) {
  std::vector<DatabaseInfo> dbs;
  for (const auto& t : targets) dbs.push_back(t.database);
  SnapshotOptions options;
  options.readers_per_database = threads;
  options.timeout = settings.snapshot_timeout;
  ASSIGN_OR_RETURN(auto snapshot, Snapshot::Take(dbs, options));
  for (const std::string& name : snapshot->rollback_journal()) {
    result->notices.push_back(
        "database \"" + name +
        "\" uses a rollback journal: its writers could not commit while the backup read it "
        "(switch the file to WAL mode to back it up without blocking writers)");
  }
  return snapshot;
}

StatusOr<BackupResult> RunFullBackup(const FullBackupRequest& req) {
  ExternalStorage& storage = *req.storage.collection;
  ExternalStorage& data_storage = req.storage.DataFor(0);
  const int threads =
      req.settings.export_threads > 0 ? req.settings.export_threads : DefaultExportThreads();
  ASSIGN_OR_RETURN(LeafDigest digest, ChainLeafDigest(req.crypto, req.settings.leaf_digest_secret));
  // One reader per export thread, all on the same state (engine/snapshot.h).
  BackupResult result;
  ASSIGN_OR_RETURN(auto snapshot, TakeBackupSnapshot(req.targets, req.settings, threads, &result));
  result.end_micros = snapshot->time_micros();
  if (req.resume) {
    // The interrupted run's directory, named by its snapshot; this run's snapshot is the end.
    result.subdir = req.resume->full_subdir();
  } else {
    ASSIGN_OR_RETURN(result.subdir,
                     collection::FreeLayerDir(storage, collection::FullSubdir, result.end_micros));
  }
  result.layer_dir = result.subdir;
  RETURN_IF_ERROR(ClaimLayer(req.storage, LayerKind::kFull, result.layer_dir, req.ownership));
  UnfinishedLayerGuard guard(req.storage, LayerKind::kFull, result.layer_dir);
  std::optional<BackupCheckpointer> checkpoint;
  uint64_t first_file = 1;
  if (req.checkpoint) {
    ASSIGN_OR_RETURN(first_file,
                     StartCheckpoints({result.layer_dir, result.subdir, 0, ""}, req.resume,
                                      req.checkpoint, data_storage, &checkpoint));
  }

  // A resumed layer already holds its ENCRYPTION-INFO (the request's key was unlocked from it).
  if (req.crypto.encrypted() && !req.resume) {
    RETURN_IF_ERROR(WriteSmallFile(storage, result.subdir + "/" + collection::kEncryptionInfoFile,
                                   req.encryption_info));
  }

  proto::BackupManifest manifest;
  manifest.set_format_version(manifest_format::kFormatVersion);
  manifest.set_chain_id(req.crypto.chain_id);
  manifest.set_full_subdir(result.subdir);
  manifest.set_layer_dir(result.layer_dir);
  manifest.set_layer(0);
  manifest.set_backup_type(proto::BACKUP_TYPE_FULL);
  manifest.set_start_time_micros(0);
  manifest.set_end_time_micros(result.end_micros);
  *manifest.mutable_targets() = req.target_spec;
  manifest.set_encrypted(req.crypto.encrypted());
  manifest.set_cofre_version(kCofreVersion);

  std::atomic<uint64_t> next_file{first_file};
  ExportOptions opts;
  opts.layer_dir = result.layer_dir;
  opts.layer = 0;
  opts.target_file_bytes = req.settings.target_file_bytes;
  opts.zstd = req.settings.zstd;
  opts.next_file_number = &next_file;

  std::vector<std::pair<const BackupTarget*, DatabaseSchema>> schemas;
  for (const auto& target : req.targets) {
    const SqliteDb& db = snapshot->reader(target.database.name);
    ASSIGN_OR_RETURN(DatabaseSchema schema, ReadDatabaseSchema(db, "main", target.tables));
    schemas.emplace_back(&target, std::move(schema));
  }
  // The change detector's maps of this snapshot, for the next incremental (backup/leaf_maps.h);
  // with checkpoints, written now: a resumed run compares them with its own.
  LeafMapSet leaves;
  // The row digest cache of this layer (not on a resume: finished spans are not scanned again).
  std::unique_ptr<RowCacheWriter> row_cache;
  if (!req.settings.row_cache_dir.empty() && digest.rows && !req.resume) {
    if (auto w = RowCacheWriter::Start(req.settings.row_cache_dir, manifest, digest.rows,
                                       /*copy_segments=*/true);
        w.ok()) {
      row_cache = std::move(*w);
    }
  }
  LeafMapSet fine_leaves;
  for (const auto& [target, schema] : schemas) {
    const std::string& dbname = target->database.name;
    // Every cell's digest goes to the cache as its table is mapped (backup/cell_digests.h).
    CellCollectors cells;
    if (row_cache) {
      for (const auto& table : schema.tables) {
        cells[table.name] =
            CellCollector::ToCache(digest.rows, row_cache.get(), dbname, table.name);
      }
    }
    ComputeLeafMaps(*snapshot, dbname, schema, digest, threads, &leaves,
                    row_cache ? &fine_leaves : nullptr, VisitorsOf(cells));
    for (auto& [table, collector] : cells) {
      // A table that could not be mapped whole keeps no cells (its Rows are never finished).
      std::vector<int64_t> unused;
      if (fine_leaves.count({dbname, table})) collector->Finish(&unused);
    }
  }
  for (const auto& [name, list] : fine_leaves) row_cache->AddLeaves(name.first, name.second, list);
  fine_leaves.clear();
  if (checkpoint) {
    RETURN_IF_ERROR(
        checkpoint->UseLeafMaps(storage, result.layer_dir, req.crypto, digest, leaves, nullptr));
    RETURN_IF_ERROR(checkpoint->Flush());
  }
  // Every table of every database goes to one parallel export (backup/parallel_export.h).
  std::vector<TableToExport> tables;
  for (auto& [target, schema] : schemas) {
    const SqliteDb& db = snapshot->reader(target->database.name);
    proto::Database* pdb = manifest.add_databases();
    pdb->set_name(target->database.name);
    RETURN_IF_ERROR(DescribeDatabase(db, pdb));
    pdb->set_snapshot_time_micros(snapshot->time_micros(target->database.name));
    pdb->set_file_state(snapshot->file_state(target->database.name));
    for (const auto& table : schema.tables) {
      tables.push_back({target->database.name, &table, pdb->add_tables()});
    }
    for (auto& obj : schema.objects) *pdb->add_objects() = std::move(obj);
    for (auto& vt : schema.virtual_tables) *pdb->add_virtual_tables() = std::move(vt);
    RETURN_IF_ERROR(ReadStatistics(db, schema, pdb));
    RETURN_IF_ERROR(ReportUnpairedSurrogates(db, schema, *pdb, &result.notices));
  }
  ParallelExportOptions parallel;
  parallel.threads = threads;
  if (req.settings.min_piece_rows > 0) parallel.min_piece_rows = req.settings.min_piece_rows;
  parallel.stop = req.settings.stop;
  parallel.checkpoint = checkpoint ? &*checkpoint : nullptr;
  parallel.chain = &req.storage;
  parallel.live = req.settings.live;
  parallel.row_cache = row_cache.get();
  if (Status st = ExportTablesInParallel(*snapshot, tables, data_storage, req.crypto, opts,
                                         parallel, req.progress);
      !st.ok()) {
    // Stopped (PAUSE, a shutdown): the finished spans stay for the next run to resume from.
    if (checkpoint && st.code() == StatusCode::kCancelled) guard.Keep();
    return st;
  }
  for (const auto& table : tables) {
    req.storage.MarkWritten(0, table.out);
    result.rows += table.out->rows();
    result.index_entries += table.out->index_entries();
    result.bytes += table.out->logical_bytes();
  }
  // AUTOINCREMENT counters go to tables the export has named.
  for (int d = 0; d < manifest.databases_size(); ++d) {
    proto::Database* pdb = manifest.mutable_databases(d);
    RETURN_IF_ERROR(ReadSequences(snapshot->reader(pdb->name()), pdb));
  }
  manifest.set_rows(result.rows);
  manifest.set_index_entries(result.index_entries);
  manifest.set_logical_bytes(result.bytes);

  RETURN_IF_ERROR(RecordLeafMaps(checkpoint ? &*checkpoint : nullptr, storage, result.layer_dir,
                                 req.crypto, digest, leaves, nullptr, &manifest));
  RETURN_IF_ERROR(WriteManifest(storage, result.layer_dir, req.crypto, manifest));
  if (Status st = collection::WriteLatest(storage, result.subdir); !st.ok()) {
    // The statement fails, so the backup must not stay listed: the guard removes its manifest
    // and files again (best effort; a backup that stays listed is complete and restorable).
    return st;
  }
  guard.Commit();
  // A cache that cannot be written costs the next incremental its shortcut, nothing else.
  if (row_cache) row_cache->Commit(manifest).IgnoreError();
  if (checkpoint) {
    AfterCommit(*checkpoint, data_storage, result.layer_dir, manifest, &result.runs,
                &result.spans_kept, &result.spans_brought);
  }
  if (req.progress) req.progress(1.0);
  return result;
}

}  // namespace cofre
