#include "backup/incremental_backup.h"

#include <atomic>

#include "backup/collection.h"
#include "backup/data_file_format.h"
#include "backup/data_file_reader.h"
#include "backup/data_file_writer.h"
#include "backup/key_order.h"
#include "backup/manifest_format.h"
#include "backup/manifest_io.h"
#include "backup/span_prefetcher.h"
#include "backup/table_exporter.h"
#include "backup/table_schema.h"
#include "engine/snapshot.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {

struct LayerStats {
  uint64_t rows = 0;
  uint64_t index_entries = 0;
  uint64_t bytes = 0;
};

const proto::Table* FindTable(const proto::BackupManifest& m, const std::string& db,
                              const std::string& table) {
  for (const auto& d : m.databases()) {
    if (d.name() != db) continue;
    for (const auto& t : d.tables()) {
      if (t.name() == table) return &t;
    }
  }
  return nullptr;
}

// Marks the files of spans [first, end) as stored in the incremental location, if there is one,
// and in the locality they were written to.
void MarkLocation(const ChainStorage& storage, proto::Table* table, int first) {
  for (int i = first; i < table->spans_size(); ++i) {
    for (auto& f : *table->mutable_spans(i)->mutable_files()) {
      if (storage.incremental_location) f.set_in_incremental_location(true);
      f.set_locality(storage.write_locality);
    }
  }
}

bool NeedsCompaction(const proto::Span& span) {
  if (span.files_size() - 1 >= kMaxDeltasPerSpan) return true;
  uint64_t delta_bytes = 0;
  for (int i = 1; i < span.files_size(); ++i) delta_bytes += span.files(i).logical_bytes();
  return delta_bytes > kMaxDeltaFraction * static_cast<double>(span.files(0).logical_bytes());
}

// Writes the delta of one span; returns false in *kept when the span must be rewritten instead.
// The span's previous state (the merge of its files, read on another thread) and the current
// scan of its key range are walked in lockstep, both in key order: a key only in the scan is a
// new row, a key only in the previous state a deleted one (tombstone), a key in both a changed
// row when its encoded bytes differ. Without a usable key order (`order` empty, or a stream
// found out of order) the span is rewritten in full.
Status DeltaSpan(const SqliteDb& db, const TableSchema& schema,
                 const std::optional<KeyOrder>& order, const proto::Span& prev,
                 const ChainStorage& storage, const ChainCrypto& crypto, const ExportOptions& opts,
                 proto::Span* out, bool* kept, LayerStats* stats) {
  *kept = false;
  if (!order) return Status::OK();
  SpanPrefetcher previous([&]() { return SpanReader::Open(storage, prev, crypto, *order); });
  ASSIGN_OR_RETURN(SqliteStmt scan, PrepareRangeScan(db, schema, prev.start_key(), prev.end_key()));
  std::unique_ptr<DataFileWriter> writer;
  std::string key, last_key, body, tombstone;
  uint64_t rows = 0, bytes = 0;
  auto write = [&](std::string_view record) -> Status {
    if (!writer) {
      ASSIGN_OR_RETURN(
          writer, DataFileWriter::Open(storage.DataFor(opts.layer), NewDataFilePath(opts) + ".cfd",
                                       crypto, opts.zstd, std::string_view(fmt::kMagic, 4)));
    }
    return writer->AddRecord(record);
  };
  std::string_view prev_key, prev_body;
  bool have_prev = false;
  // Moves to the next row of the previous state; false in *usable when the merge is impossible.
  auto advance = [&](bool* usable) -> Status {
    auto more = previous.Next(&prev_key, &prev_body);
    if (!more.ok()) {
      if (previous.out_of_order()) {
        *usable = false;
        return Status::OK();
      }
      return more.status();
    }
    have_prev = *more;
    *usable = true;
    return Status::OK();
  };
  auto write_tombstone = [&]() -> Status {
    tombstone.assign(1, static_cast<char>(fmt::kRecordTombstone));
    tombstone.append(prev_key);
    return write(tombstone);
  };
  bool usable = true;
  RETURN_IF_ERROR(advance(&usable));
  if (!usable) return Status::OK();
  while (true) {
    ASSIGN_OR_RETURN(bool row, scan.Step());
    if (!row) break;
    key.clear();
    EncodeScanKey(scan.get(), schema, &key);
    if (rows > 0 && order->Compare(last_key, key) >= 0) return Status::OK();  // SQLite disagrees
    EncodeScanRow(scan.get(), schema, key, &body);
    ++rows;
    bytes += body.size();
    int c = -1;
    while (have_prev && (c = order->Compare(prev_key, key)) < 0) {
      RETURN_IF_ERROR(write_tombstone());
      RETURN_IF_ERROR(advance(&usable));
      if (!usable) return Status::OK();
    }
    bool same = false;
    if (have_prev && c == 0) {
      same = rowcodec::SameRow(prev_body, body);
      RETURN_IF_ERROR(advance(&usable));
      if (!usable) return Status::OK();
    }
    if (!same) RETURN_IF_ERROR(write(body));
    std::swap(key, last_key);
  }
  // Grown past twice the target: rewrite and split (the writer is abandoned).
  if (bytes > 2 * opts.target_file_bytes) return Status::OK();
  while (have_prev) {
    RETURN_IF_ERROR(write_tombstone());
    RETURN_IF_ERROR(advance(&usable));
    if (!usable) return Status::OK();
  }
  *out = prev;
  out->set_rows(rows);
  out->set_logical_bytes(bytes);
  if (writer) {
    proto::DataFile* file = out->add_files();
    file->set_layer(opts.layer);
    file->set_kind(proto::FILE_KIND_DELTA);
    file->set_in_incremental_location(storage.incremental_location != nullptr);
    file->set_locality(storage.write_locality);
    RETURN_IF_ERROR(writer->Finish(file));
    stats->rows += file->rows();
    stats->bytes += file->logical_bytes();
    stats->index_entries += file->rows() * schema.indexes.size();
  }
  *kept = true;
  return Status::OK();
}

Status IncrementTable(const SqliteDb& db, const TableSchema& schema, const proto::Table& prev,
                      const ChainStorage& storage, const ChainCrypto& crypto,
                      const ExportOptions& opts, proto::Table* out, LayerStats* stats) {
  DescribeTable(schema, out);
  // Tables whose key order cannot be reproduced outside SQLite are rewritten in full.
  ASSIGN_OR_RETURN(std::optional<KeyOrder> order, KeyOrder::ForTable(db, schema));
  for (const auto& span : prev.spans()) {
    bool kept = false;
    if (!NeedsCompaction(span)) {
      proto::Span next;
      RETURN_IF_ERROR(
          DeltaSpan(db, schema, order, span, storage, crypto, opts, &next, &kept, stats));
      if (kept) *out->add_spans() = std::move(next);
    }
    if (!kept) {
      uint64_t rows = 0, bytes = 0;
      int first_new = out->spans_size();
      RETURN_IF_ERROR(ExportRange(db, schema, span.start_key(), span.end_key(),
                                  storage.DataFor(opts.layer),
                                  crypto, opts, out, &rows, &bytes));
      MarkLocation(storage, out, first_new);
      stats->rows += rows;
      stats->bytes += bytes;
      stats->index_entries += rows * schema.indexes.size();
    }
  }
  uint64_t rows = 0, bytes = 0;
  for (const auto& s : out->spans()) {
    rows += s.rows();
    bytes += s.logical_bytes();
  }
  out->set_rows(rows);
  out->set_logical_bytes(bytes);
  ASSIGN_OR_RETURN(uint64_t entries, CountIndexEntries(db, schema, rows));
  out->set_index_entries(entries);
  return Status::OK();
}

}  // namespace

StatusOr<BackupResult> RunIncrementalBackup(const IncrementalBackupRequest& req) {
  const ChainStorage& storage = req.storage;
  const proto::BackupManifest& prev = req.chain.back();
  std::vector<DatabaseInfo> dbs;
  for (const auto& t : req.targets) dbs.push_back(t.database);
  ASSIGN_OR_RETURN(auto snapshot, Snapshot::Take(dbs, 1));

  BackupResult result;
  result.subdir = prev.full_subdir();
  result.end_micros = std::max(snapshot->time_micros(), prev.end_time_micros() + 1);
  ASSIGN_OR_RETURN(result.layer_dir,
                   collection::FreeLayerDir(
                       storage.layers(),
                       [&](int64_t micros) {
                         return collection::IncrementalLayerDir(storage.layers_prefix(),
                                                                result.subdir, micros);
                       },
                       result.end_micros));
  RETURN_IF_ERROR(ClaimLayer(storage, LayerKind::kIncremental, result.layer_dir, req.ownership));
  UnfinishedLayerGuard guard(storage, LayerKind::kIncremental, result.layer_dir);

  proto::BackupManifest manifest;
  manifest.set_format_version(manifest_format::kFormatVersion);
  manifest.set_chain_id(prev.chain_id());
  manifest.set_full_subdir(prev.full_subdir());
  manifest.set_layer_dir(result.layer_dir);
  manifest.set_layer(prev.layer() + 1);
  manifest.set_backup_type(proto::BACKUP_TYPE_INCREMENTAL);
  manifest.set_start_time_micros(prev.end_time_micros());
  manifest.set_end_time_micros(result.end_micros);
  *manifest.mutable_targets() = prev.targets();
  manifest.set_encrypted(prev.encrypted());
  manifest.set_cofre_version(COFRE_VERSION_STRING);
  for (const auto& layer : req.chain) {
    auto* s = manifest.add_previous_layers();
    s->set_layer(layer.layer());
    s->set_dir(layer.layer_dir());
    s->set_start_time_micros(layer.start_time_micros());
    s->set_end_time_micros(layer.end_time_micros());
  }

  std::atomic<uint64_t> next_file{1};
  ExportOptions opts;
  opts.layer_dir = result.layer_dir;
  opts.layer = manifest.layer();
  opts.target_file_bytes = req.settings.target_file_bytes;
  opts.zstd = req.settings.zstd;
  opts.next_file_number = &next_file;

  LayerStats stats;
  size_t total = 0, done = 0;
  std::vector<std::pair<const BackupTarget*, DatabaseSchema>> schemas;
  for (const auto& target : req.targets) {
    ASSIGN_OR_RETURN(DatabaseSchema schema,
                     ReadDatabaseSchema(snapshot->reader(target.database.name), "main",
                                        target.tables));
    total += schema.tables.size();
    schemas.emplace_back(&target, std::move(schema));
  }
  for (auto& [target, schema] : schemas) {
    const std::string& dbname = target->database.name;
    const SqliteDb& db = snapshot->reader(dbname);
    proto::Database* pdb = manifest.add_databases();
    pdb->set_name(dbname);
    RETURN_IF_ERROR(DescribeDatabase(db, pdb));
    for (const auto& table : schema.tables) {
      proto::Table* pt = pdb->add_tables();
      const proto::Table* before = FindTable(prev, dbname, table.name);
      Status st;
      if (before && before->create_sql() == table.create_sql &&
          before->without_rowid() == table.without_rowid && before->spans_size() > 0) {
        st = IncrementTable(db, table, *before, storage, req.crypto, opts, pt, &stats);
      } else {
        st = ExportTable(db, table, storage.DataFor(opts.layer), req.crypto, opts, pt);
        MarkLocation(storage, pt, 0);
        stats.rows += pt->rows();
        stats.bytes += pt->logical_bytes();
        stats.index_entries += pt->index_entries();
      }
      if (!st.ok()) return st.Annotate("backing up table " + dbname + "." + table.name);
      ++done;
      if (req.progress) req.progress(0.99 * done / std::max<size_t>(1, total));
    }
    for (auto& obj : schema.objects) *pdb->add_objects() = std::move(obj);
    RETURN_IF_ERROR(ReadSequences(db, pdb));
  }
  manifest.set_rows(stats.rows);
  manifest.set_index_entries(stats.index_entries);
  manifest.set_logical_bytes(stats.bytes);
  RETURN_IF_ERROR(WriteManifest(storage.layers(), result.layer_dir, req.crypto, manifest));
  guard.Commit();
  result.rows = stats.rows;
  result.index_entries = stats.index_entries;
  result.bytes = stats.bytes;
  if (req.progress) req.progress(1.0);
  return result;
}

}  // namespace cofre
