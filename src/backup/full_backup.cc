#include "backup/full_backup.h"

#include <atomic>

#include "backup/collection.h"
#include "backup/manifest_format.h"
#include "backup/manifest_io.h"
#include "backup/table_exporter.h"
#include "backup/table_schema.h"
#include "engine/snapshot.h"

namespace cofre {

Status ReadSequences(const SqliteDb& db, proto::Database* out) {
  ASSIGN_OR_RETURN(auto has,
                   db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_sequence'"));
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
  return Status::OK();
}

StatusOr<BackupResult> RunFullBackup(const FullBackupRequest& req) {
  ExternalStorage& storage = *req.storage;
  std::vector<DatabaseInfo> dbs;
  for (const auto& t : req.targets) dbs.push_back(t.database);
  ASSIGN_OR_RETURN(auto snapshot, Snapshot::Take(dbs, 1));

  BackupResult result;
  result.end_micros = snapshot->time_micros();
  ASSIGN_OR_RETURN(result.subdir, collection::FreeLayerDir(storage, collection::FullSubdir,
                                                            result.end_micros));
  result.layer_dir = result.subdir;

  if (req.crypto.encrypted()) {
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
  manifest.set_cofre_version(COFRE_VERSION_STRING);

  std::atomic<uint64_t> next_file{1};
  ASSIGN_OR_RETURN(RowDigester digester, req.crypto.encrypted()
                                             ? RowDigester::NewKeyed(*req.crypto.data_key)
                                             : RowDigester::NewUnkeyed());
  ExportOptions opts;
  opts.digester = &digester;
  opts.layer_dir = result.layer_dir;
  opts.layer = 0;
  opts.target_file_bytes = req.settings.target_file_bytes;
  opts.zstd = req.settings.zstd;
  opts.next_file_number = &next_file;

  // Progress: by tables exported, weighted equally (cheap and monotonic).
  std::vector<std::pair<const BackupTarget*, DatabaseSchema>> schemas;
  size_t total_tables = 0, done_tables = 0;
  for (const auto& target : req.targets) {
    const SqliteDb& db = snapshot->reader(target.database.name);
    ASSIGN_OR_RETURN(DatabaseSchema schema, ReadDatabaseSchema(db, "main", target.tables));
    total_tables += schema.tables.size();
    schemas.emplace_back(&target, std::move(schema));
  }
  for (auto& [target, schema] : schemas) {
    const SqliteDb& db = snapshot->reader(target->database.name);
    proto::Database* pdb = manifest.add_databases();
    pdb->set_name(target->database.name);
    RETURN_IF_ERROR(DescribeDatabase(db, pdb));
    for (const auto& table : schema.tables) {
      proto::Table* pt = pdb->add_tables();
      Status st = ExportTable(db, table, storage, req.crypto, opts, pt);
      if (!st.ok()) {
        return st.Annotate("backing up table " + target->database.name + "." + table.name);
      }
      result.rows += pt->rows();
      result.index_entries += pt->index_entries();
      result.bytes += pt->logical_bytes();
      ++done_tables;
      if (req.progress) req.progress(0.99 * done_tables / std::max<size_t>(1, total_tables));
    }
    for (auto& obj : schema.objects) *pdb->add_objects() = std::move(obj);
    RETURN_IF_ERROR(ReadSequences(db, pdb));
  }
  manifest.set_rows(result.rows);
  manifest.set_index_entries(result.index_entries);
  manifest.set_logical_bytes(result.bytes);

  RETURN_IF_ERROR(WriteManifest(storage, result.layer_dir, req.crypto, manifest));
  RETURN_IF_ERROR(collection::WriteLatest(storage, result.subdir));
  if (req.progress) req.progress(1.0);
  return result;
}

}  // namespace cofre
