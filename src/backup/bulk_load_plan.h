// BulkLoadPlan: which b-trees of a freshly created restore staging database can be written
// directly as pages (engine/bulk_btree.h) instead of through SQLite's INSERT and CREATE INDEX,
// and how to build their records.
//
// PlanBulkLoad reads SQLite's own view of the schema (sqlite_schema root pages, table_xinfo,
// index_list, index_xinfo) on a staging database whose tables and indexes exist but are empty.
// A table is planned when it is a rowid table whose stored columns are exactly the manifest's (no
// generated columns) and whose constraint indexes (UNIQUE, non-INTEGER PRIMARY KEY) can be
// written directly. An index can when it is on plain columns (or the rowid) with the BINARY,
// NOCASE or RTRIM collation and has no WHERE clause. Everything else (WITHOUT ROWID tables,
// expression or partial indexes, other collations) is left to SQLite: `unplanned_indexes` lists
// the created indexes that SQLite fills (restore.h, CreateRestoreSchema, says how).
// Shadow tables of virtual tables, and every table of a UTF-16 or auto_vacuum file, are left to
// SQLite too.
// Thread-safety: plain values; PlanBulkLoad uses the given connection only.
#ifndef COFRE_BACKUP_BULK_LOAD_PLAN_H_
#define COFRE_BACKUP_BULK_LOAD_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/index_record_order.h"
#include "engine/sqlite.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

struct BulkIndexPlan {
  std::string name;
  uint32_t root_page = 0;
  // For each key field before the trailing rowid: the table column it copies, or -1 for the rowid.
  std::vector<int> sources;
  std::vector<IndexColumnOrder> order;  // one per record field, the trailing rowid included
  bool unique = false;
};

struct BulkTablePlan {
  const proto::Table* table = nullptr;  // in the manifest
  uint32_t root_page = 0;
  int rowid_alias = -1;  // the INTEGER PRIMARY KEY column, stored as NULL in the record
  std::vector<BulkIndexPlan> indexes;
};

struct BulkLoadPlan {
  std::vector<BulkTablePlan> tables;           // in manifest order
  std::vector<std::string> unplanned_indexes;  // explicit indexes SQLite fills
  // The manifest's first objects (indexes, views, triggers) that exist before the rows go in;
  // set by restore's CreateRestoreSchema (restore.h), 0 from PlanBulkLoad.
  size_t objects_before_rows = 0;
};

// Plans the direct load of `pdb`'s tables into the staging database `db` (schema "main").
StatusOr<BulkLoadPlan> PlanBulkLoad(const SqliteDb& db, const proto::Database& pdb);

}  // namespace cofre

#endif  // COFRE_BACKUP_BULK_LOAD_PLAN_H_
