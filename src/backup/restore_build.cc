#include "backup/restore_build.h"

#include <fcntl.h>

#include <filesystem>
#include <set>
#include <thread>

#include "backup/bulk_load_plan.h"
#include "backup/bulk_loader.h"
#include "backup/data_file_format.h"
#include "backup/database_settings.h"
#include "backup/short_rows.h"
#include "backup/table_schema.h"
#include "util/ascii.h"
#include "util/file_util.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {

// The record units of `table`: every file of every span, in the order they apply.
void AddTableUnits(const proto::Table& table, const ChainStorage& storage,
                   const ChainCrypto& crypto, std::vector<RecordPrefetcher::Unit>* units) {
  for (const auto& span : table.spans()) {
    for (const auto& file : span.files()) {
      units->push_back(RecordPrefetcher::FileUnit(storage.For(file), file, crypto));
    }
  }
}

// SQLite's memory while building a staging file. The page cache only needs to hold the pages
// being appended to (rows arrive in key order); index builds sort with SQLite's external merge
// sorter, which keeps up to (worker threads + 1) in-memory runs of cache_size bytes each and
// spills the rest to temporary files. Both are fixed, so restore's memory does not grow with
// the size of the database.
constexpr int kLoadCacheKiB = 8 << 10;
constexpr int kIndexCacheKiB = 8 << 10;

// Opens the staging file for loading: no journal (nothing is visible before it is complete and
// synced), fixed caches. CHECK constraints are not checked: rows are restored as the source held
// them (a source written with ignore_check_constraints may hold rows that violate one), as the
// page writer does.
StatusOr<SqliteDb> OpenStaging(const std::string& path) {
  ASSIGN_OR_RETURN(SqliteDb db, SqliteDb::Open(path, /*create=*/true));
  RETURN_IF_ERROR(
      db.Exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; "
              "PRAGMA ignore_check_constraints = ON; "
              "PRAGMA temp_store = FILE; PRAGMA cache_size = -" +
              std::to_string(kLoadCacheKiB) +
              "; PRAGMA threads = " + std::to_string(restore_build::SorterThreads())));
  return db;
}

// The names of the tables of `pdb`: what a whole-database restore may write.
std::set<std::string> TableNames(const proto::Database& pdb) {
  std::set<std::string> names;
  for (const auto& t : pdb.tables()) names.insert(t.name());
  return names;
}

// The names of the tables `plan` writes as pages, lower-cased, as SQLite compares names.
std::set<std::string> WrittenTables(const BulkLoadPlan& plan) {
  std::set<std::string> names;
  for (const auto& t : plan.tables) names.insert(AsciiLower(t.table->name()));
  return names;
}

}  // namespace

StatusOr<BulkLoadPlan> CreateRestoreSchema(const std::string& path, const proto::Database& pdb,
                                           bool bulk) {
  ASSIGN_OR_RETURN(SqliteDb db, OpenStaging(path));
  SchemaGuard guard(db, TableNames(pdb));
  RETURN_IF_ERROR(
      db.Exec("PRAGMA page_size = " + std::to_string(pdb.page_size() ? pdb.page_size() : 4096)));
  RETURN_IF_ERROR(ApplyFileSettings(db, pdb));
  RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(pdb.user_version()) +
                          "; PRAGMA application_id = " + std::to_string(pdb.application_id())));
  RETURN_IF_ERROR(db.Exec("BEGIN"));
  // In the source's order: a virtual table where its first shadow table was (it creates them),
  // ANALYZE's tables where they were.
  std::set<std::string> created_vtabs;
  auto create_vtab = [&](const proto::VirtualTable& vt) -> Status {
    if (!created_vtabs.insert(vt.name()).second) return Status::OK();
    ASSIGN_OR_RETURN(ExpectedObject want, ExpectedVirtualTable(pdb, vt));
    return guard.Create(want, vt.sql());
  };
  for (int i = 0; i < pdb.tables_size(); ++i) {
    const proto::Table& table = pdb.tables(i);
    RETURN_IF_ERROR(CreateStatisticsTables(db, guard, pdb, i));
    if (table.virtual_table().empty()) {
      RETURN_IF_ERROR(guard.Create(ExpectedTable(pdb.name(), table), table.create_sql()));
      continue;
    }
    const proto::VirtualTable* owner = nullptr;
    for (const auto& vt : pdb.virtual_tables()) {
      if (vt.name() == table.virtual_table()) owner = &vt;
    }
    if (!owner) {
      return DataLossError("backup manifest: table " + pdb.name() + "." + table.name() +
                           " is the shadow table of virtual table " + table.virtual_table() +
                           ", which the backup does not hold");
    }
    RETURN_IF_ERROR(create_vtab(*owner));
  }
  for (const auto& vt : pdb.virtual_tables()) RETURN_IF_ERROR(create_vtab(vt));
  RETURN_IF_ERROR(CreateStatisticsTables(db, guard, pdb, pdb.tables_size()));
  BulkLoadPlan plan;
  if (bulk) {
    // Which tables the page writer can fill does not depend on the indexes created below (only
    // on the tables' own constraint indexes, which exist already).
    ASSIGN_OR_RETURN(BulkLoadPlan tables_only, PlanBulkLoad(db, pdb));
    if (!tables_only.tables.empty()) {
      const std::set<std::string> written = WrittenTables(tables_only);
      // The manifest's indexes, views and triggers, in its order so that sqlite_schema lists them
      // as the source did, up to the first trigger on a table SQLite will load: it must not
      // fire while the rows go in, and what follows it waits for the rows too. The rows of the
      // page writer's tables never go through SQL: their triggers cannot fire.
      for (const auto& obj : pdb.objects()) {
        if (obj.type() == "trigger" && !written.count(AsciiLower(obj.table_name()))) break;
        RETURN_IF_ERROR(restore_build::CreateObject(guard, pdb, obj));
        ++plan.objects_before_rows;
      }
      const size_t created = plan.objects_before_rows;
      ASSIGN_OR_RETURN(plan, PlanBulkLoad(db, pdb));
      plan.objects_before_rows = created;
    }
  }
  RETURN_IF_ERROR(db.Exec("COMMIT"));
  RETURN_IF_ERROR(db.Close());
  return plan;
}

namespace restore_build {

const proto::Database* FindDatabase(const proto::BackupManifest& m, const std::string& name) {
  for (const auto& db : m.databases()) {
    if (db.name() == name) return &db;
  }
  return nullptr;
}

const proto::Table* FindTable(const proto::Database& db, const std::string& name) {
  for (const auto& t : db.tables()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

// Starts reading the files of `tables` (in this order) on a background thread.
StatusOr<std::unique_ptr<RecordPrefetcher>> StartReading(
    const std::vector<const proto::Table*>& tables, const ChainStorage& storage,
    const ChainCrypto& crypto) {
  std::vector<RecordPrefetcher::Unit> units;
  for (const proto::Table* t : tables) AddTableUnits(*t, storage, crypto, &units);
  return RecordPrefetcher::Start(std::move(units));
}

// Applies the files of every span of `table` to `schema_name`.`table` on `db`, taking their
// records from `records`, whose next units are those files (AddTableUnits order); `*unit` is
// the index of the first and is advanced past the table's.
Status LoadTable(const SqliteDb& db, const std::string& schema_name, const proto::Table& table,
                 RecordPrefetcher& records, size_t* unit, RestoreProgress* progress,
                 RestoreResult* result) {
  TableSchema schema = SchemaFromManifest(table);
  ASSIGN_OR_RETURN(SqliteStmt insert, db.Prepare(schema.InsertSql(schema_name, false)));
  ASSIGN_OR_RETURN(SqliteStmt upsert, db.Prepare(schema.InsertSql(schema_name, true)));
  ASSIGN_OR_RETURN(SqliteStmt remove, db.Prepare(schema.DeleteSql(schema_name)));
  const size_t ncols = schema.columns.size();
  ASSIGN_OR_RETURN(ShortRowDefaults short_rows, ShortRowDefaults::ForTable(table));
  for (const auto& span : table.spans()) {
    bool base = true;
    for (const auto& file : span.files()) {
      sqlite3_stmt* put =
          base && file.kind() == proto::FILE_KIND_BASE ? insert.get() : upsert.get();
      const size_t want = (*unit)++;
      while (true) {
        ASSIGN_OR_RETURN(const RecordBatch* batch, records.Next());
        if (!batch || batch->unit_index() != want) {
          return InternalError("restore lost its place reading backup file " + file.path());
        }
        for (size_t r = 0; r < batch->size(); ++r) {
          const RecordBatch::Entry& e = batch->entry(r);
          const rowcodec::ValueRef* key = batch->key_values(r);
          sqlite3_stmt* stmt;
          if (e.kind == fmt::kRecordTombstone) {
            stmt = remove.get();
            for (uint32_t i = 0; i < e.key_count; ++i) {
              rowcodec::BindValue(stmt, static_cast<int>(i + 1), key[i]);
            }
          } else {
            RETURN_IF_ERROR(short_rows.CheckCount(e.value_count, "backup file " + file.path()));
            if (!schema.without_rowid && e.key_count != 1) {
              return DataLossError("backup file " + file.path() + " has a row of table " +
                                   table.name() + " whose key is not one rowid");
            }
            stmt = put;
            int p = 1;
            if (!schema.without_rowid) rowcodec::BindValue(stmt, p++, key[0]);
            const rowcodec::ValueRef* values = batch->values(r);
            for (uint32_t i = 0; i < e.value_count; ++i) rowcodec::BindValue(stmt, p++, values[i]);
            for (size_t i = e.value_count; i < ncols; ++i) {
              rowcodec::BindValue(stmt, p++, short_rows.Missing(i));
            }
          }
          int rc = sqlite3_step(stmt);
          sqlite3_reset(stmt);
          if (rc != SQLITE_DONE) {
            return SqliteStatus(
                rc, db.get(),
                "restoring a row of table " + table.name() + " from backup file " + file.path());
          }
        }
        if (batch->unit_end()) break;
      }
      progress->Add(file.logical_bytes());
      RETURN_IF_ERROR(progress->CheckStop());
      base = false;
    }
  }
  result->rows += table.rows();
  result->index_entries += table.index_entries();
  result->bytes += table.logical_bytes();
  return Status::OK();
}

Status RestoreSequence(const SqliteDb& db, const std::string& schema_name,
                       const proto::Table& table) {
  if (!table.has_autoincrement()) return Status::OK();
  std::string seq = QuoteIdent(schema_name) + ".sqlite_sequence";
  ASSIGN_OR_RETURN(SqliteStmt del, db.Prepare("DELETE FROM " + seq + " WHERE name = ?"));
  del.Bind(1, table.name());
  RETURN_IF_ERROR(del.Run());
  ASSIGN_OR_RETURN(SqliteStmt ins, db.Prepare("INSERT INTO " + seq + "(name, seq) VALUES(?, ?)"));
  ins.Bind(1, table.name()).Bind(2, static_cast<int64_t>(table.autoincrement_seq()));
  return ins.Run();
}

// SQLite worker threads for index builds: one per core besides the main thread, at most 2.
int SorterThreads() {
  unsigned cores = std::thread::hardware_concurrency();
  return cores <= 1 ? 0 : static_cast<int>(std::min(cores - 1, 2u));
}

// Recreates `obj` of `pdb` through `guard` (which checks its SQL first).
Status CreateObject(SchemaGuard& guard, const proto::Database& pdb,
                    const proto::SchemaObject& obj) {
  ASSIGN_OR_RETURN(ExpectedObject want, ExpectedSchemaObject(pdb.name(), obj));
  return guard.Create(want, obj.sql());
}

Status BuildDatabase(const std::string& path, const proto::Database& pdb,
                     const ChainStorage& storage, const ChainCrypto& crypto,
                     RestoreProgress* progress, RestoreResult* result, bool bulk, bool schema_only,
                     bool publish) {
  ASSIGN_OR_RETURN(BulkLoadPlan plan, CreateRestoreSchema(path, pdb, bulk && !schema_only));
  const std::set<std::string> written = WrittenTables(plan);
  auto is_written = [&](const std::string& table) { return written.count(AsciiLower(table)) > 0; };
  std::set<std::string> planned_indexes;
  for (const auto& t : plan.tables) {
    for (const auto& index : t.indexes) planned_indexes.insert(index.name);
  }
  if (!plan.tables.empty()) {
    BulkLoadRequest request;
    request.path = path;
    request.temp_dir = std::filesystem::path(path).parent_path().string();
    request.plan = &plan;
    request.storage = &storage;
    request.crypto = &crypto;
    request.progress = [progress](uint64_t bytes) { progress->Add(bytes); };
    request.stop = progress->stop();
    request.durable = publish;
    StatusOr<BulkLoadResult> loaded = BulkLoad(request);
    if (!loaded.ok() && loaded.status().code() == StatusCode::kFailedPrecondition) {
      // Rows SQLite can take in any order but pages cannot: start over through INSERT.
      RETURN_IF_ERROR(RemoveFileIfExists(path, "staging file"));
      return BuildDatabase(path, pdb, storage, crypto, progress, result, /*bulk=*/false,
                           schema_only, publish);
    }
    RETURN_IF_ERROR(loaded.status());
    result->rows += loaded->rows;
    result->index_entries += loaded->index_entries;
    for (const auto& t : plan.tables) result->bytes += t.table->logical_bytes();
  }
  std::vector<const proto::Table*> tables;
  for (const auto& table : pdb.tables()) {
    if (!is_written(table.name())) tables.push_back(&table);
    if (publish && table.virtual_table().empty()) {
      ++result->database_tables;
      if (!is_written(table.name()) && !schema_only) ++result->database_tables_row_by_row;
    }
  }
  ASSIGN_OR_RETURN(SqliteDb db, OpenStaging(path));
  SchemaGuard guard(db, TableNames(pdb));
  RETURN_IF_ERROR(db.Exec("BEGIN"));
  if (!tables.empty() && !schema_only) {
    // The backup is read on a thread of its own while this one inserts.
    ASSIGN_OR_RETURN(std::unique_ptr<RecordPrefetcher> records,
                     StartReading(tables, storage, crypto));
    size_t unit = 0;
    for (const proto::Table* table : tables) {
      // Creating a virtual table wrote its first rows (an empty index, its settings): the
      // backup's rows replace them.
      if (!table->virtual_table().empty()) {
        RETURN_IF_ERROR(db.Exec("DELETE FROM main." + QuoteIdent(table->name())));
      }
      RETURN_IF_ERROR(LoadTable(db, "main", *table, *records, &unit, progress, result));
    }
  }
  for (const auto& table : pdb.tables()) RETURN_IF_ERROR(RestoreSequence(db, "main", table));
  // Index builds scan the whole table; a bigger cache would only buy memory.
  RETURN_IF_ERROR(db.Exec("PRAGMA cache_size = -" + std::to_string(kIndexCacheKiB)));
  // The rest of the objects come after the rows, so that loading them never fires a trigger.
  // The ones CreateRestoreSchema made before the rows exist: of those, the indexes of tables
  // SQLite loaded are full, and those the plan left out on the page writer's tables are rebuilt.
  for (int i = 0; i < pdb.objects_size(); ++i) {
    const proto::SchemaObject& obj = pdb.objects(i);
    if (static_cast<size_t>(i) >= plan.objects_before_rows) {
      RETURN_IF_ERROR(CreateObject(guard, pdb, obj));
    } else if (obj.type() == "index" && !planned_indexes.count(obj.name()) &&
               is_written(obj.table_name())) {
      RETURN_IF_ERROR(guard.Reindex(obj.name()));
    }
  }
  if (!schema_only) RETURN_IF_ERROR(RestoreStatistics(db, guard, pdb));
  RETURN_IF_ERROR(db.Exec("COMMIT"));
  if (!publish) return db.Close();
  RETURN_IF_ERROR(db.Exec("PRAGMA synchronous = FULL"));
  const std::string journal = RestoredJournalMode(pdb);
  ASSIGN_OR_RETURN(auto mode, db.QueryText("PRAGMA journal_mode = " + journal));
  if (!mode || *mode != journal) {
    return InternalError("cannot switch restored database to journal mode " + journal);
  }
  RETURN_IF_ERROR(db.Close());
  ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(path, O_RDONLY, 0, "restored database file"));
  return SyncFd(fd.get(), "restored database file");
}

}  // namespace restore_build
}  // namespace cofre
