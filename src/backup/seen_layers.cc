#include "backup/seen_layers.h"

#include "backup/collection.h"
#include "util/sha256.h"

namespace cofre {

namespace {

constexpr char kSeenLayersSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS seen_layers (
  collection TEXT NOT NULL,
  layers TEXT NOT NULL,
  full_subdir TEXT NOT NULL,
  chain_id TEXT NOT NULL,
  full_end_micros INTEGER NOT NULL,
  layer INTEGER NOT NULL,
  layer_dir TEXT NOT NULL,
  layer_end_micros INTEGER NOT NULL,
  PRIMARY KEY (collection, layers, full_subdir)
);
)sql";

std::string LayerName(uint32_t layer) {
  return layer == 0 ? "the full backup (layer 0)" : "incremental layer " + std::to_string(layer);
}

}  // namespace

Status SeenLayers::Init() {
  if (initialized_) return Status::OK();
  RETURN_IF_ERROR(dir_->system().Exec(kSeenLayersSchema));
  initialized_ = true;
  return Status::OK();
}

Status SeenLayers::Record(const std::string& collection_uri, const std::string& layers_uri,
                          const std::vector<proto::BackupManifest>& layers) {
  if (layers.empty()) return Status::OK();
  const proto::BackupManifest& full = layers.front();
  const proto::BackupManifest& newest = layers.back();
  return RecordLayer(collection_uri, layers_uri, full.full_subdir(), full.chain_id(),
                     full.end_time_micros(), newest.layer(), newest.layer_dir(),
                     newest.end_time_micros());
}

Status SeenLayers::RecordLayer(const std::string& collection_uri, const std::string& layers_uri,
                               const std::string& full_subdir, const std::string& chain_id,
                               int64_t full_end_micros, uint32_t layer,
                               const std::string& layer_dir, int64_t end_micros) {
  RETURN_IF_ERROR(Init());
  // Insert, or move the newest layer forward (never back, never onto another chain).
  ASSIGN_OR_RETURN(
      SqliteStmt stmt,
      dir_->system().Prepare(
          "INSERT INTO seen_layers(collection, full_subdir, chain_id, full_end_micros, layer, "
          "layer_dir, layer_end_micros, layers) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
          "ON CONFLICT(collection, layers, full_subdir) DO UPDATE SET layer = ?5, layer_dir = ?6, "
          "layer_end_micros = ?7 WHERE excluded.chain_id = seen_layers.chain_id AND "
          "?7 > seen_layers.layer_end_micros"));
  stmt.Bind(1, collection_uri)
      .Bind(2, full_subdir)
      .Bind(3, ToHex(chain_id))
      .Bind(4, full_end_micros)
      .Bind(5, static_cast<int64_t>(layer))
      .Bind(6, layer_dir)
      .Bind(7, end_micros)
      .Bind(8, layers_uri);
  return stmt.Run();
}

StatusOr<std::vector<std::string>> SeenLayers::FindOlder(
    const std::string& collection_uri, const std::string& layers_uri,
    const std::vector<proto::BackupManifest>& layers, bool via_latest) {
  std::vector<std::string> findings;
  if (layers.empty()) return findings;
  RETURN_IF_ERROR(Init());
  const proto::BackupManifest& full = layers.front();
  const proto::BackupManifest& newest = layers.back();
  const std::string display = collection::DisplaySubdir(full.full_subdir());
  {
    ASSIGN_OR_RETURN(SqliteStmt stmt,
                     dir_->system().Prepare(
                         "SELECT chain_id, layer, layer_dir, layer_end_micros FROM seen_layers "
                         "WHERE collection = ? AND layers = ? AND full_subdir = ?"));
    stmt.Bind(1, collection_uri).Bind(2, layers_uri).Bind(3, full.full_subdir());
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) {
      const std::string chain_id = stmt.ColumnText(0);
      const uint32_t layer = static_cast<uint32_t>(stmt.ColumnInt(1));
      const std::string layer_dir = stmt.ColumnText(2);
      const int64_t end = stmt.ColumnInt(3);
      if (chain_id != ToHex(full.chain_id())) {
        findings.push_back("backup " + display +
                           " is not the chain this data directory saw under that name (its "
                           "chain id differs): the full backup was replaced");
      } else if (end > newest.end_time_micros()) {
        findings.push_back("backup " + display + " now ends at " + LayerName(newest.layer()) +
                           " (" + collection::FormatTimestamp(newest.end_time_micros()) +
                           " UTC), but this data directory saw it reach " + LayerName(layer) +
                           " (" + collection::FormatTimestamp(end) + " UTC, directory " +
                           layer_dir + "): its newer layers were deleted or hidden");
      }
    }
  }
  if (via_latest) {
    ASSIGN_OR_RETURN(
        SqliteStmt stmt,
        dir_->system().Prepare("SELECT full_subdir, full_end_micros FROM seen_layers WHERE "
                               "collection = ? ORDER BY full_end_micros DESC LIMIT 1"));
    stmt.Bind(1, collection_uri);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row && stmt.ColumnInt(1) > full.end_time_micros()) {
      findings.push_back("LATEST names full backup " + display + " (" +
                         collection::FormatTimestamp(full.end_time_micros()) +
                         " UTC), but this data directory saw a newer full backup " +
                         collection::DisplaySubdir(stmt.ColumnText(0)) + " (" +
                         collection::FormatTimestamp(stmt.ColumnInt(1)) +
                         " UTC) in this collection: LATEST was rewound or the newer backup "
                         "deleted");
    }
  }
  return findings;
}

}  // namespace cofre
