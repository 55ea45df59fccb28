#include "backup/table_exporter.h"

#include "backup/data_file_format.h"
#include "backup/data_file_writer.h"
#include "backup/row_codec.h"

namespace cofre {

namespace fmt = data_file_format;

void EncodeScanKey(const TableScan& scan, const TableSchema& schema, std::string* out) {
  sqlite3_stmt* stmt = scan.keys();
  if (!schema.without_rowid) {
    rowcodec::PutVarint(out, 1);
    rowcodec::AppendColumn(out, stmt, 0);
    return;
  }
  rowcodec::PutVarint(out, schema.key_column_positions.size());
  for (int pos : schema.key_column_positions) rowcodec::AppendColumn(out, stmt, pos);
}

void EncodeScanRow(const TableScan& scan, const TableSchema& schema, std::string_view key,
                   std::string* body) {
  sqlite3_stmt* stmt = scan.values();
  const int ncols = static_cast<int>(schema.columns.size());
  body->clear();
  body->push_back(static_cast<char>(fmt::kRecordRow));
  body->append(key);
  rowcodec::PutVarint(body, static_cast<uint64_t>(ncols));
  if (schema.without_rowid) {
    for (int c = 0; c < ncols; ++c) rowcodec::AppendColumn(body, stmt, c);
    return;
  }
  // Column 0 of a rowid table's scan is the rowid; a column holding the same integer (its
  // INTEGER PRIMARY KEY) is stored as a reference to the key.
  // Each column is fetched once (sqlite3_column_value) and read through sqlite3_value_*.
  const int64_t rowid = sqlite3_column_int64(scan.keys(), 0);
  const int offset = scan.value_offset();
  for (int c = offset; c < ncols + offset; ++c) {
    sqlite3_value* v = sqlite3_column_value(stmt, c);
    const int type = sqlite3_value_type(v);
    if (type == SQLITE_INTEGER && sqlite3_value_int64(v) == rowid) {
      body->push_back(static_cast<char>(fmt::kRowidValue));
    } else {
      rowcodec::AppendValue(body, v, type);
    }
  }
}

namespace {

// Binds the bounds of [start_key, end_key) (the non-empty ones, in order) to `stmt`.
Status BindBounds(sqlite3_stmt* stmt, const TableSchema& schema, std::string_view start_key,
                  std::string_view end_key) {
  int p = 1;
  std::vector<rowcodec::ValueRef> values;
  for (std::string_view bound : {start_key, end_key}) {
    if (bound.empty()) continue;
    Status st = rowcodec::DecodeKey(bound, &values);
    if (!st.ok()) return st.Annotate("span bound of table " + schema.name);
    for (const auto& v : values) rowcodec::BindValue(stmt, p++, v);
  }
  return Status::OK();
}

// Prepares `sql` and binds the bounds of [start_key, end_key).
StatusOr<SqliteStmt> PrepareBounded(const SqliteDb& db, const TableSchema& schema,
                                    const std::string& sql, std::string_view start_key,
                                    std::string_view end_key) {
  ASSIGN_OR_RETURN(SqliteStmt scan, db.Prepare(sql));
  RETURN_IF_ERROR(BindBounds(scan.get(), schema, start_key, end_key));
  return scan;
}

}  // namespace

StatusOr<TableScan> TableScan::Prepare(const SqliteDb& db, const TableSchema& schema,
                                       std::string_view start_key, std::string_view end_key) {
  TableScan scan;
  scan.schema_ = &schema;
  const bool from = !start_key.empty(), to = !end_key.empty();
  scan.from_ = from;
  scan.to_ = to;
  const int limit = sqlite3_limit(db.get(), SQLITE_LIMIT_COLUMN, -1);
  if (!schema.without_rowid && static_cast<int64_t>(schema.columns.size()) + 1 > limit) {
    ASSIGN_OR_RETURN(scan.keys_,
                     PrepareBounded(db, schema, schema.ScanSql("main", from, to, ScanPart::kKey),
                                    start_key, end_key));
    ASSIGN_OR_RETURN(
        scan.values_,
        PrepareBounded(db, schema, schema.ScanSql("main", from, to, ScanPart::kColumns), start_key,
                       end_key));
    return scan;
  }
  ASSIGN_OR_RETURN(scan.values_, PrepareBounded(db, schema, schema.ScanSql("main", from, to),
                                                start_key, end_key));
  scan.value_offset_ = schema.without_rowid ? 0 : 1;
  return scan;
}

bool TableScan::CanRestart(std::string_view start_key, std::string_view end_key) const {
  return from_ == !start_key.empty() && to_ == !end_key.empty();
}

Status TableScan::Restart(std::string_view start_key, std::string_view end_key) {
  if (!CanRestart(start_key, end_key)) {
    return InternalError("a table scan restarted with other bounds than it was prepared for");
  }
  for (SqliteStmt* stmt : {&keys_, &values_}) {
    if (!stmt->get()) continue;
    sqlite3_reset(stmt->get());
    sqlite3_clear_bindings(stmt->get());
    RETURN_IF_ERROR(BindBounds(stmt->get(), *schema_, start_key, end_key));
  }
  return Status::OK();
}

StatusOr<bool> TableScan::Step() {
  ASSIGN_OR_RETURN(bool row, values_.Step());
  if (!keys_.get()) return row;
  ASSIGN_OR_RETURN(bool key, keys_.Step());
  if (row != key) {
    return InternalError("the rowids and the columns of table " + schema_->name +
                         " were read in different numbers");
  }
  return row;
}

std::string NewDataFilePath(const ExportOptions& options) {
  return options.layer_dir + "/data/" + std::to_string(options.next_file_number->fetch_add(1));
}

void DescribeTable(const TableSchema& schema, proto::Table* out) {
  out->set_name(schema.name);
  out->set_create_sql(schema.create_sql);
  out->set_without_rowid(schema.without_rowid);
  out->set_virtual_table(schema.virtual_table);
  out->clear_columns();
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    auto* col = out->add_columns();
    col->set_name(schema.columns[i]);
    for (size_t k = 0; k < schema.key_column_positions.size(); ++k) {
      if (schema.key_column_positions[k] == static_cast<int>(i)) col->set_key_position(k + 1);
    }
  }
}

StatusOr<uint64_t> CountIndexEntries(const SqliteDb& db, const TableSchema& schema, uint64_t rows) {
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

Status ExportRange(const SqliteDb& db, const TableSchema& schema, std::string_view start_key,
                   std::string_view end_key, ExternalStorage& storage, const ChainCrypto& crypto,
                   const ExportOptions& options, proto::Table* out, uint64_t* rows, uint64_t* bytes,
                   RowCacheWriter::Rows* digests) {
  if (schema.without_rowid) digests = nullptr;
  ASSIGN_OR_RETURN(TableScan scan, TableScan::Prepare(db, schema, start_key, end_key));
  std::unique_ptr<DataFileWriter> writer;
  proto::Span* span = nullptr;
  std::string body, key;
  uint64_t next_span_id = 1;
  for (const auto& s : out->spans()) next_span_id = std::max<uint64_t>(next_span_id, s.id() + 1);

  auto finish_span = [&](std::string_view end) -> Status {
    span->set_end_key(std::string(end));
    proto::DataFile* file = span->add_files();
    file->set_layer(options.layer);
    file->set_kind(proto::FILE_KIND_BASE);
    RETURN_IF_ERROR(writer->Finish(file));
    span->set_rows(writer->records());
    span->set_logical_bytes(writer->logical_bytes());
    *rows += writer->records();
    *bytes += writer->logical_bytes();
    writer.reset();
    return Status::OK();
  };
  auto start_span = [&](std::string_view start) -> Status {
    span = out->add_spans();
    span->set_id(next_span_id++);
    span->set_start_key(std::string(start));
    ASSIGN_OR_RETURN(writer, DataFileWriter::Open(storage, NewDataFilePath(options) + ".cfd",
                                                  crypto, options.zstd));
    return Status::OK();
  };

  RETURN_IF_ERROR(start_span(start_key));
  while (true) {
    ASSIGN_OR_RETURN(bool row, scan.Step());
    if (!row) break;
    key.clear();
    EncodeScanKey(scan, schema, &key);
    if (writer->logical_bytes() >= options.target_file_bytes) {
      RETURN_IF_ERROR(finish_span(key));
      RETURN_IF_ERROR(start_span(key));
    }
    EncodeScanRow(scan, schema, key, &body);
    RETURN_IF_ERROR(writer->AddRecord(body));
    if (digests) digests->Add(sqlite3_column_int64(scan.keys(), 0), body);
  }
  return finish_span(end_key);
}

Status RecordRangeDigests(const SqliteDb& db, const TableSchema& schema, std::string_view start_key,
                          std::string_view end_key, RowCacheWriter::Rows* digests,
                          uint64_t* rows_read) {
  ASSIGN_OR_RETURN(TableScan scan, TableScan::Prepare(db, schema, start_key, end_key));
  std::string key, body;
  while (true) {
    ASSIGN_OR_RETURN(bool row, scan.Step());
    if (!row) return Status::OK();
    key.clear();
    EncodeScanKey(scan, schema, &key);
    EncodeScanRow(scan, schema, key, &body);
    digests->Add(sqlite3_column_int64(scan.keys(), 0), body);
    if (rows_read) ++*rows_read;
  }
}

Status ExportTable(const SqliteDb& db, const TableSchema& schema, ExternalStorage& storage,
                   const ChainCrypto& crypto, const ExportOptions& options, proto::Table* out) {
  DescribeTable(schema, out);
  uint64_t rows = 0, bytes = 0;
  RETURN_IF_ERROR(ExportRange(db, schema, "", "", storage, crypto, options, out, &rows, &bytes));
  out->set_rows(rows);
  out->set_logical_bytes(bytes);
  ASSIGN_OR_RETURN(uint64_t entries, CountIndexEntries(db, schema, rows));
  out->set_index_entries(entries);
  return Status::OK();
}

}  // namespace cofre
