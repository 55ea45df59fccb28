// SchemaGuard: recreates the schema objects a backup manifest describes without executing
// anything else the manifest says.
//
// A manifest comes from storage, which is untrusted: its CREATE statements are checked, never
// run as given. Each object's SQL must be exactly one statement (only whitespace and comments
// may follow it) that creates exactly that object: a CREATE TABLE of the table's name, a CREATE
// INDEX or CREATE TRIGGER of the object's name on the object's table, a CREATE VIEW of the
// view's name, all in the connection's main database. The statement is prepared with
// sqlite3_prepare_v3 under an authorizer, which is installed on the connection for the guard's
// whole life (schema creation, row loading, index builds), and which denies:
//   - ATTACH, DETACH, VACUUM (INTO), ALTER, ANALYZE, REINDEX (but an index's own build and
//     Reindex's), every DROP but of an index on a writable table, temporary and virtual tables;
//   - PRAGMA, except the ones cofre's own statements use (not while a manifest statement runs);
//   - load_extension and fts3_tokenizer (extension loading is never enabled either);
//   - writes to any table but the writable ones (the tables being restored), sqlite_sequence,
//     and the schema table SQLite updates itself;
//   - while a manifest statement is prepared: SELECT (CREATE TABLE ... AS SELECT), reads of
//     anything but the object's own table, and creating anything but the expected object.
// A virtual table (module fts5, fts4, fts3, rtree or rtree_i32 only) is created by its CREATE
// VIRTUAL TABLE, whose module may then create exactly the shadow tables the manifest lists for
// it, and read and write only those. ANALYZE's tables are written in an explicit step
// (AllowStatistics), never from manifest SQL.
// Views and triggers are stored, never run: SQLite compiles their bodies only when a later
// statement uses them, and restore creates them after the rows are loaded.
// A refused statement is DataLoss naming the object: cofre writes manifests from sqlite_schema,
// so SQL that breaks these rules means the collection was damaged or tampered with.
// Thread-safety: one guard per connection, used on the connection's thread.
#ifndef COFRE_BACKUP_SCHEMA_GUARD_H_
#define COFRE_BACKUP_SCHEMA_GUARD_H_

#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "engine/sqlite.h"
#include "proto/backup_manifest.pb.h"
#include "util/status.h"

namespace cofre {

enum class SchemaKind { kTable, kIndex, kView, kTrigger, kVirtualTable };

// The kind named by a manifest SchemaObject's type ("index", "view", "trigger"); InvalidArgument
// for anything else.
StatusOr<SchemaKind> SchemaKindFromType(std::string_view type);
const char* SchemaKindName(SchemaKind kind);

// What a manifest statement must create.
struct ExpectedObject {
  SchemaKind kind = SchemaKind::kTable;
  std::string name;
  std::string table;  // the indexed or triggered table (or view); unused for tables and views
  std::string label;  // how errors name it, e.g. `table shop.orders`
  // Virtual tables: the module (lower case) and the shadow tables it may create (lower case).
  std::string module;
  std::set<std::string> shadow_tables;
};

// The modules whose virtual tables a backup may hold (their data lives in shadow tables).
bool SupportedVirtualTableModule(std::string_view module);

// What the manifest's table / index, view or trigger must create (DataLoss naming the object
// for an unknown type); `database` is the backup's name for its database, for errors.
ExpectedObject ExpectedTable(const std::string& database, const proto::Table& table);
StatusOr<ExpectedObject> ExpectedSchemaObject(const std::string& database,
                                              const proto::SchemaObject& obj);
// What a manifest's virtual table must create: the table of that module, and the shadow tables
// of `pdb` that name it (DataLoss for a module cofre does not restore).
StatusOr<ExpectedObject> ExpectedVirtualTable(const proto::Database& pdb,
                                              const proto::VirtualTable& vt);

class SchemaGuard {
 public:
  // Installs the authorizer on `db` (replacing none: the connection must have none). Only the
  // tables named in `writable` (ASCII case-insensitive, as SQLite compares names) may be written.
  SchemaGuard(const SqliteDb& db, const std::set<std::string>& writable);
  ~SchemaGuard();
  SchemaGuard(const SchemaGuard&) = delete;
  SchemaGuard& operator=(const SchemaGuard&) = delete;

  // Checks `sql` against `want` and runs it. DataLoss naming want.label when the SQL is not
  // exactly the statement that creates that object; SQLite's error (annotated) when a valid
  // statement fails.
  Status Create(const ExpectedObject& want, std::string_view sql);

  // Rebuilds index `index` of the main database (REINDEX), which must be an index of a writable
  // table: a restore's index that the page writer left empty under rows it wrote. SQLite's error
  // (annotated) when the index does not exist or the rebuild fails.
  Status Reindex(const std::string& index);

  // cofre's own statements (never a manifest's) may read the tables of the attached database
  // `schema` (a table restore's staging file, which cofre built).
  void AllowReadsOf(std::string schema) { readable_schema_ = std::move(schema); }

  // While on, cofre's own statements may create ANALYZE's tables (ANALYZE sqlite_schema;
  // sqlite_stat4 under writable_schema) and insert into them.
  void AllowStatistics(bool on) { statistics_ = on; }

  // The authorizer's decision (SQLITE_OK or SQLITE_DENY) for one action; public for the
  // C callback.
  int Authorize(int action, const char* a1, const char* a2, const char* db, const char* inner);

 private:
  int Deny(std::string reason);
  bool Writable(const char* table) const;

  const SqliteDb* conn_;
  sqlite3* db_;
  std::set<std::string> writable_;        // lower-cased
  const ExpectedObject* want_ = nullptr;  // set while a manifest statement is prepared and run
  bool statistics_ = false;
  std::string readable_schema_;  // AllowReadsOf; empty: none
  std::string reindex_;          // the index Reindex rebuilds; empty: none
  int created_ = 0;              // times the expected CREATE action was seen
  std::string denied_;           // why the last action was denied
};

}  // namespace cofre

#endif  // COFRE_BACKUP_SCHEMA_GUARD_H_
