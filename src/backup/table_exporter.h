// TableExporter: writes every row of one table, in key order, into the data files of a backup
// layer, cutting a new span (and file) whenever the current one reaches the target size.
// Fills the manifest's Table: spans, files, rows, logical bytes and index entries.
// Thread-safety: one thread; uses the given snapshot connection only.
#ifndef COFRE_BACKUP_TABLE_EXPORTER_H_
#define COFRE_BACKUP_TABLE_EXPORTER_H_

#include <atomic>
#include <functional>
#include <string>

#include "backup/stored_file.h"
#include "backup/table_schema.h"
#include "backup/zstd_stream.h"
#include "engine/sqlite.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

struct ExportOptions {
  std::string layer_dir;          // files go to <layer_dir>/data/<n>.cfd
  uint32_t layer = 0;
  uint64_t target_file_bytes = 32ull << 20;  // logical bytes per span/file
  ZstdOptions zstd;
  std::atomic<uint64_t>* next_file_number = nullptr;  // shared by the whole layer
};

// Exports table `schema` of `db` (schema name "main") into `out`.
Status ExportTable(const SqliteDb& db, const TableSchema& schema, ExternalStorage& storage,
                   const ChainCrypto& crypto, const ExportOptions& options, proto::Table* out);

// Counts the entries of the table's secondary indexes (partial indexes counted exactly).
StatusOr<uint64_t> CountIndexEntries(const SqliteDb& db, const TableSchema& schema,
                                     uint64_t rows);

}  // namespace cofre

#endif  // COFRE_BACKUP_TABLE_EXPORTER_H_
