// Table export: writes the rows of a table (or of a key range of it), in key order, as BASE
// spans of a backup layer: one data file per span (docs/architecture.md §3), cutting a new span
// whenever the current one reaches the target size. Thread-safety: one thread; uses the given
// snapshot connection only.
#ifndef COFRE_BACKUP_TABLE_EXPORTER_H_
#define COFRE_BACKUP_TABLE_EXPORTER_H_

#include <atomic>
#include <string>

#include "backup/row_cache.h"
#include "backup/stored_file.h"
#include "backup/table_schema.h"
#include "backup/zstd_stream.h"
#include "engine/sqlite.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

struct ExportOptions {
  std::string layer_dir;  // files go to <layer_dir>/data/<n>.cfd
  uint32_t layer = 0;
  uint64_t target_file_bytes = 32ull << 20;  // logical bytes per span/file
  ZstdOptions zstd;
  std::atomic<uint64_t>* next_file_number = nullptr;  // shared by the whole layer
};

// Where a new data file of the layer goes.
std::string NewDataFilePath(const ExportOptions& options);

// Fills the table's columns and schema fields of `out` from `schema`.
void DescribeTable(const TableSchema& schema, proto::Table* out);

// Exports the rows of `schema` with keys in [start_key, end_key) (empty: unbounded) as new
// BASE spans appended to `out` (ids continue from `*next_span_id`). Returns rows and bytes
// written through `rows` / `bytes`. With `digests` (a rowid table's), every row written is also
// recorded there (backup/row_cache.h); the caller finishes it.
Status ExportRange(const SqliteDb& db, const TableSchema& schema, std::string_view start_key,
                   std::string_view end_key, ExternalStorage& storage, const ChainCrypto& crypto,
                   const ExportOptions& options, proto::Table* out, uint64_t* rows, uint64_t* bytes,
                   RowCacheWriter::Rows* digests = nullptr);

// Records the digests of the rows of rowid table `schema` with keys in [start_key, end_key) in
// `digests` (backup/row_cache.h), reading them from `db` as ExportRange does (counted in
// *rows_read when given); the caller finishes it.
Status RecordRangeDigests(const SqliteDb& db, const TableSchema& schema, std::string_view start_key,
                          std::string_view end_key, RowCacheWriter::Rows* digests,
                          uint64_t* rows_read = nullptr);

// Exports the whole table `schema` of `db` (schema name "main") into `out`.
Status ExportTable(const SqliteDb& db, const TableSchema& schema, ExternalStorage& storage,
                   const ChainCrypto& crypto, const ExportOptions& options, proto::Table* out);

// Counts the entries of the table's secondary indexes (partial indexes counted exactly).
StatusOr<uint64_t> CountIndexEntries(const SqliteDb& db, const TableSchema& schema, uint64_t rows);

// The rows of a table with keys in [start_key, end_key), in key order: one ScanSql() statement,
// or, for a rowid table as wide as SQLite's column limit (the rowid would be one result column
// too many), a statement of the rowids and one of the stored columns, both in rowid order,
// stepped together in the connection's read transaction.
class TableScan {
 public:
  static StatusOr<TableScan> Prepare(const SqliteDb& db, const TableSchema& schema,
                                     std::string_view start_key, std::string_view end_key);
  // Advances both statements: true when a row is ready.
  StatusOr<bool> Step();
  // Whether Restart can take [start_key, end_key): the same bounds set as at Prepare.
  bool CanRestart(std::string_view start_key, std::string_view end_key) const;
  // Scans [start_key, end_key) from its start with the prepared statements (preparing them again
  // costs more than a short range's rows).
  Status Restart(std::string_view start_key, std::string_view end_key);
  // Where the key (rowid, or a WITHOUT ROWID table's columns) and the stored columns are.
  sqlite3_stmt* keys() const { return keys_.get() ? keys_.get() : values_.get(); }
  sqlite3_stmt* values() const { return values_.get(); }
  int value_offset() const { return value_offset_; }  // column of stored column 0 in values()

 private:
  SqliteStmt keys_;  // set for wide rowid tables only
  SqliteStmt values_;
  int value_offset_ = 0;
  const TableSchema* schema_ = nullptr;
  bool from_ = false, to_ = false;  // which bounds the statements take
};

// Encodes the key of the current row of a scan.
void EncodeScanKey(const TableScan& scan, const TableSchema& schema, std::string* out);
// Encodes a row record body (kind, key, values) of the current row of a scan.
void EncodeScanRow(const TableScan& scan, const TableSchema& schema, std::string_view key,
                   std::string* body);

}  // namespace cofre

#endif  // COFRE_BACKUP_TABLE_EXPORTER_H_
