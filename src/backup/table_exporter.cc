#include "backup/table_exporter.h"

#include "backup/data_file_format.h"
#include "backup/data_file_writer.h"
#include "backup/row_codec.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {

// Encodes the key of the current row of a scan (see TableSchema::ScanSql for column order).
void EncodeKey(sqlite3_stmt* stmt, const TableSchema& schema, std::string* out) {
  if (!schema.without_rowid) {
    rowcodec::PutVarint(out, 1);
    rowcodec::AppendColumn(out, stmt, 0);
    return;
  }
  rowcodec::PutVarint(out, schema.key_column_positions.size());
  for (int pos : schema.key_column_positions) rowcodec::AppendColumn(out, stmt, pos);
}

}  // namespace

StatusOr<uint64_t> CountIndexEntries(const SqliteDb& db, const TableSchema& schema,
                                     uint64_t rows) {
  uint64_t total = 0;
  for (const auto& index : schema.indexes) {
    if (!index.partial) {
      total += rows;
      continue;
    }
    ASSIGN_OR_RETURN(SqliteStmt stmt,
                     db.Prepare("SELECT coalesce(sum(ncell), 0) FROM dbstat WHERE name = ? AND "
                                "pagetype IN ('leaf', 'internal')"));
    stmt.Bind(1, index.name);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) total += static_cast<uint64_t>(stmt.ColumnInt(0));
  }
  return total;
}

Status ExportTable(const SqliteDb& db, const TableSchema& schema, ExternalStorage& storage,
                   const ChainCrypto& crypto, const ExportOptions& options, proto::Table* out) {
  out->set_name(schema.name);
  out->set_create_sql(schema.create_sql);
  out->set_without_rowid(schema.without_rowid);
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    auto* col = out->add_columns();
    col->set_name(schema.columns[i]);
    for (size_t k = 0; k < schema.key_column_positions.size(); ++k) {
      if (schema.key_column_positions[k] == static_cast<int>(i)) col->set_key_position(k + 1);
    }
  }
  ASSIGN_OR_RETURN(SqliteStmt scan, db.Prepare(schema.ScanSql("main")));
  const int value_offset = schema.without_rowid ? 0 : 1;
  const int ncols = static_cast<int>(schema.columns.size());

  std::unique_ptr<DataFileWriter> writer;
  proto::Span* span = nullptr;
  std::string body, key;
  uint64_t table_rows = 0, table_bytes = 0;

  auto finish_span = [&]() -> Status {
    if (!writer) return Status::OK();
    proto::DataFile* file = span->add_files();
    file->set_layer(options.layer);
    file->set_kind(proto::FILE_KIND_BASE);
    RETURN_IF_ERROR(writer->Finish(file));
    span->set_rows(writer->records());
    span->set_logical_bytes(writer->logical_bytes());
    table_rows += writer->records();
    table_bytes += writer->logical_bytes();
    writer.reset();
    return Status::OK();
  };
  auto start_span = [&](std::string_view start_key) -> Status {
    span = out->add_spans();
    span->set_id(static_cast<uint64_t>(out->spans_size()));
    span->set_start_key(std::string(start_key));
    uint64_t n = options.next_file_number->fetch_add(1);
    std::string path = options.layer_dir + "/data/" + std::to_string(n) + ".cfd";
    ASSIGN_OR_RETURN(writer, DataFileWriter::Open(storage, path, crypto, options.zstd));
    return Status::OK();
  };

  RETURN_IF_ERROR(start_span(""));
  while (true) {
    ASSIGN_OR_RETURN(bool row, scan.Step());
    if (!row) break;
    key.clear();
    EncodeKey(scan.get(), schema, &key);
    if (writer->logical_bytes() >= options.target_file_bytes) {
      span->set_end_key(key);
      RETURN_IF_ERROR(finish_span());
      RETURN_IF_ERROR(start_span(key));
    }
    body.clear();
    body.push_back(static_cast<char>(fmt::kRecordRow));
    body.append(key);
    rowcodec::PutVarint(&body, static_cast<uint64_t>(ncols));
    for (int c = 0; c < ncols; ++c) rowcodec::AppendColumn(&body, scan.get(), value_offset + c);
    RETURN_IF_ERROR(writer->AddRecord(body));
  }
  RETURN_IF_ERROR(finish_span());
  out->set_rows(table_rows);
  out->set_logical_bytes(table_bytes);
  ASSIGN_OR_RETURN(uint64_t entries, CountIndexEntries(db, schema, table_rows));
  out->set_index_entries(entries);
  return Status::OK();
}

}  // namespace cofre
