// TableSchema: what the backup needs to know about the tables, indexes, views and triggers of
// one SQLite database, read from sqlite_schema and the table pragmas of a connection.
//
// Virtual tables of the modules whose data lives in shadow tables (FTS5, FTS4/3, R*Tree) are
// described by their CREATE VIRTUAL TABLE; their shadow tables are backed up as tables. Any
// other virtual table is refused (InvalidArgument naming its module). Columns that SQLite
// computes (generated columns) are not stored; everything else is.
// Thread-safety: plain values; the functions use the given connection only.
#ifndef COFRE_BACKUP_TABLE_SCHEMA_H_
#define COFRE_BACKUP_TABLE_SCHEMA_H_

#include <string>
#include <vector>

#include "engine/sqlite.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

// What a scan selects: the key then the stored columns, or one of them (rowid tables).
enum class ScanPart { kAll, kKey, kColumns };

struct TableSchema {
  std::string name;
  std::string create_sql;
  bool without_rowid = false;
  std::string rowid_name;                 // "rowid", "_rowid_" or "oid" for rowid tables
  std::string virtual_table;              // a shadow table's virtual table
  std::vector<std::string> columns;       // stored columns, in table order
  std::vector<std::string> key_columns;   // WITHOUT ROWID primary key, in key order
  std::vector<int> key_column_positions;  // positions of key_columns within `columns`
  // Indexes that are not the table itself, with whether they are partial.
  struct Index {
    std::string name;
    bool partial = false;
  };
  std::vector<Index> indexes;

  // SELECT of the key (rowid tables) then all stored columns, in key order; with `from` / `to`,
  // only keys >= the first bound parameters and < the next ones (bind the key values in order).
  // `part` kKey / kColumns (rowid tables): only the rowid, or only the stored columns.
  std::string ScanSql(const std::string& schema, bool from = false, bool to = false,
                      ScanPart part = ScanPart::kAll) const;
  // INSERT [OR REPLACE] of a row given as the key (rowid tables) then the stored columns.
  std::string InsertSql(const std::string& schema, bool replace) const;
  // DELETE of the row with a given key.
  std::string DeleteSql(const std::string& schema) const;
  // The key (rowid tables) then all stored columns, quoted, comma-separated: the column list of
  // an INSERT ... SELECT that copies rows with their rowids.
  std::string StoredColumnList() const;
};

struct DatabaseSchema {
  std::vector<TableSchema> tables;
  std::vector<proto::SchemaObject> objects;  // indexes (with SQL), views, triggers, in order
  std::vector<proto::VirtualTable> virtual_tables;
};

// The module a CREATE VIRTUAL TABLE statement names (as written), or "" if it names none.
std::string VirtualTableModule(std::string_view create_sql);

// Reads the schema of `schema` ("main" or an attached name) on `db`. When `only_tables` is
// non-empty, only those tables (and the indexes and triggers on them) are read; a name that
// does not exist is NotFound.
StatusOr<DatabaseSchema> ReadDatabaseSchema(const SqliteDb& db, const std::string& schema,
                                            const std::vector<std::string>& only_tables);

// Rebuilds a TableSchema from a manifest's Table (for restore).
TableSchema SchemaFromManifest(const proto::Table& table);

}  // namespace cofre

#endif  // COFRE_BACKUP_TABLE_SCHEMA_H_
