#include "backup/show_backup.h"

#include <algorithm>
#include <cstdio>

#include "backup/collection.h"
#include "backup/row_codec.h"

namespace cofre {

namespace {

using Kind = ResultSet::Kind;

std::optional<std::string> Text(std::string s) { return std::optional<std::string>(std::move(s)); }
std::optional<std::string> Num(uint64_t v) { return std::to_string(v); }

std::string TypeName(const proto::BackupManifest& m) {
  return m.backup_type() == proto::BACKUP_TYPE_INCREMENTAL ? "incremental" : "full";
}

std::optional<std::string> StartTime(const proto::BackupManifest& m) {
  if (m.start_time_micros() == 0) return std::nullopt;
  return collection::FormatTimestamp(m.start_time_micros());
}

// How much older than end_time this database's snapshot is (databases are snapshotted one after
// another; engine/snapshot.h). Unknown for layers written before cofre recorded it.
std::optional<std::string> SnapshotSkew(const proto::BackupManifest& m, const proto::Database& db) {
  if (db.snapshot_time_micros() == 0) return std::nullopt;
  const int64_t skew = std::max<int64_t>(0, m.end_time_micros() - db.snapshot_time_micros());
  char buf[32];
  snprintf(buf, sizeof(buf), "%.6fs", static_cast<double>(skew) / 1e6);
  return std::string(buf);
}

void AddObjects(const proto::BackupManifest& m, bool schemas, ResultSet* rs) {
  const std::string type = TypeName(m);
  const auto start = StartTime(m);
  const auto end = Text(collection::FormatTimestamp(m.end_time_micros()));
  const auto cluster = Text(m.targets().cluster() ? "true" : "false");
  auto add = [&](std::optional<std::string> db, std::optional<std::string> parent, std::string name,
                 std::string object_type, std::optional<std::string> size,
                 std::optional<std::string> rows, std::optional<std::string> create,
                 std::optional<std::string> skew = std::nullopt) {
    ResultSet::Row row = {db,  parent, name, object_type, type, start,
                          end, size,   rows, cluster,     skew};
    if (schemas) row.push_back(create);
    rs->rows.push_back(std::move(row));
  };
  for (const auto& db : m.databases()) {
    add(std::nullopt, std::nullopt, db.name(), "database", std::nullopt, std::nullopt,
        "CREATE DATABASE " + db.name(), SnapshotSkew(m, db));
    add(db.name(), std::nullopt, "public", "schema", std::nullopt, std::nullopt, std::nullopt);
    for (const auto& t : db.tables()) {
      // A layer's row shows what that layer stored: all rows for a full backup (at its end,
      // also when it was resumed and holds deltas), the changed rows and tombstones for an
      // incremental.
      uint64_t size = t.logical_bytes(), rows = t.rows();
      if (m.layer() > 0) size = rows = 0;
      for (const auto& span : t.spans()) {
        for (const auto& f : span.files()) {
          if (m.layer() == 0 || f.layer() != m.layer()) continue;
          size += f.logical_bytes();
          rows += f.rows();
        }
      }
      add(db.name(), "public", t.name(), "table", Num(size), Num(rows), t.create_sql());
    }
    // A virtual table's rows are its shadow tables' (listed above).
    for (const auto& vt : db.virtual_tables()) {
      add(db.name(), "public", vt.name(), "table", std::nullopt, std::nullopt, vt.sql());
    }
    for (const auto& o : db.objects()) {
      if (o.type() != "view") continue;
      add(db.name(), "public", o.name(), "view", std::nullopt, std::nullopt, o.sql());
    }
  }
}

void AddFiles(const proto::BackupManifest& m, ResultSet* rs) {
  const std::string type = TypeName(m);
  for (const auto& db : m.databases()) {
    for (const auto& t : db.tables()) {
      for (const auto& span : t.spans()) {
        std::string prefix = "/" + db.name() + "/" + t.name();
        for (const auto& f : span.files()) {
          if (f.layer() != m.layer()) continue;
          rs->rows.push_back(
              {f.path(), type, prefix + rowcodec::PrettyKey(span.start_key()),
               prefix + (span.end_key().empty() ? "/Max" : rowcodec::PrettyKey(span.end_key())),
               Num(f.logical_bytes()), Num(f.rows()),
               f.locality().empty() ? std::optional<std::string>()
                                    : std::optional<std::string>(f.locality()),
               Num(f.file_bytes())});
        }
      }
    }
  }
}

}  // namespace

ResultSet ShowBackupResult(const std::vector<proto::BackupManifest>& layers, ShowBackupKind kind) {
  ResultSet rs;
  if (kind == ShowBackupKind::kFiles) {
    rs.columns = {{"path"},
                  {"backup_type"},
                  {"start_pretty"},
                  {"end_pretty"},
                  {"size_bytes", Kind::kNumber},
                  {"rows", Kind::kNumber},
                  {"locality"},
                  {"file_bytes", Kind::kNumber}};
    for (const auto& m : layers) AddFiles(m, &rs);
    return rs;
  }
  rs.columns = {{"database_name"},
                {"parent_schema_name"},
                {"object_name"},
                {"object_type"},
                {"backup_type"},
                {"start_time"},
                {"end_time"},
                {"size_bytes", Kind::kNumber},
                {"rows", Kind::kNumber},
                {"is_full_cluster", Kind::kBool},
                {"snapshot_skew"}};
  if (kind == ShowBackupKind::kSchemas) rs.columns.push_back({"create_statement"});
  for (const auto& m : layers) AddObjects(m, kind == ShowBackupKind::kSchemas, &rs);
  return rs;
}

}  // namespace cofre
