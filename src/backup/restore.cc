#include "backup/restore.h"

#include <fcntl.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>

#include "backup/bulk_load_plan.h"
#include "backup/bulk_loader.h"
#include "backup/data_file_format.h"
#include "backup/database_settings.h"
#include "backup/record_prefetcher.h"
#include "backup/schema_guard.h"
#include "backup/short_rows.h"
#include "backup/table_schema.h"
#include "engine/table_transfer.h"
#include "util/file_util.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {

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

// Tracks progress by logical bytes applied.
class Progress {
 public:
  Progress(const std::function<void(double)>& fn, uint64_t total, std::stop_token stop,
           LiveCounts* live, uint64_t total_rows)
      : fn_(fn), total_(total), stop_(std::move(stop)), live_(live), total_rows_(total_rows) {}
  const std::stop_token& stop() const { return stop_; }
  // Cancelled once the job was asked to stop (checked between backup files).
  Status CheckStop() const {
    if (!stop_.stop_requested()) return Status::OK();
    return CancelledError("the job was stopped (PAUSE, CANCEL or a server shutdown)");
  }
  void Add(uint64_t bytes) {
    // A database loaded again through SQLite after its direct load gave up counts twice.
    done_ = std::min(done_ + bytes, total_);
    if (live_ && total_) {
      live_->bytes = done_;
      live_->rows = static_cast<uint64_t>(static_cast<double>(total_rows_) *
                                          static_cast<double>(done_) / static_cast<double>(total_));
    }
    if (fn_ && total_) fn_(0.99 * static_cast<double>(done_) / static_cast<double>(total_));
  }

 private:
  const std::function<void(double)>& fn_;
  uint64_t total_;
  std::stop_token stop_;
  LiveCounts* live_;
  uint64_t total_rows_;
  uint64_t done_ = 0;
};

// The record units of `table`: every file of every span, in the order they apply.
void AddTableUnits(const proto::Table& table, const ChainStorage& storage,
                   const ChainCrypto& crypto, std::vector<RecordPrefetcher::Unit>* units) {
  for (const auto& span : table.spans()) {
    for (const auto& file : span.files()) {
      units->push_back(RecordPrefetcher::FileUnit(storage.For(file), file, crypto));
    }
  }
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
                 RecordPrefetcher& records, size_t* unit, Progress* progress,
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

// SQLite's memory while building a staging file. The page cache only needs to hold the pages
// being appended to (rows arrive in key order); index builds sort with SQLite's external merge
// sorter, which keeps up to (worker threads + 1) in-memory runs of cache_size bytes each and
// spills the rest to temporary files. Both are fixed, so restore's memory does not grow with
// the size of the database.
constexpr int kLoadCacheKiB = 8 << 10;
constexpr int kIndexCacheKiB = 8 << 10;

// SQLite worker threads for index builds: one per core besides the main thread, at most 2.
int SorterThreads() {
  unsigned cores = std::thread::hardware_concurrency();
  return cores <= 1 ? 0 : static_cast<int>(std::min(cores - 1, 2u));
}

// Opens the staging file for loading: no journal (nothing is visible before it is complete and
// synced), fixed caches. CHECK constraints are not checked: rows are restored as the source held
// them (a source written with ignore_check_constraints may hold rows that violate one), as the
// page writer does.
StatusOr<SqliteDb> OpenStaging(const std::string& path) {
  ASSIGN_OR_RETURN(SqliteDb db, SqliteDb::Open(path, /*create=*/true));
  RETURN_IF_ERROR(db.Exec(
      "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; "
      "PRAGMA ignore_check_constraints = ON; "
      "PRAGMA temp_store = FILE; PRAGMA cache_size = -" +
      std::to_string(kLoadCacheKiB) + "; PRAGMA threads = " + std::to_string(SorterThreads())));
  return db;
}

// The names of the tables of `pdb`: what a whole-database restore may write.
std::set<std::string> TableNames(const proto::Database& pdb) {
  std::set<std::string> names;
  for (const auto& t : pdb.tables()) names.insert(t.name());
  return names;
}

// Recreates `obj` of `pdb` through `guard` (which checks its SQL first).
Status CreateObject(SchemaGuard& guard, const proto::Database& pdb,
                    const proto::SchemaObject& obj) {
  ASSIGN_OR_RETURN(ExpectedObject want, ExpectedSchemaObject(pdb.name(), obj));
  return guard.Create(want, obj.sql());
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
    for (const auto& obj : pdb.objects()) {
      if (obj.type() == "index") RETURN_IF_ERROR(CreateObject(guard, pdb, obj));
    }
    ASSIGN_OR_RETURN(plan, PlanBulkLoad(db, pdb));
    for (const auto& name : plan.unplanned_indexes) {
      RETURN_IF_ERROR(db.Exec("DROP INDEX main." + QuoteIdent(name)));
    }
  }
  RETURN_IF_ERROR(db.Exec("COMMIT"));
  RETURN_IF_ERROR(db.Close());
  return plan;
}

namespace {

// Builds a whole database into the staging file at `path`: the tables the plan covers by
// writing their pages directly (bulk_loader.h), the others through INSERT, then the remaining
// indexes, views and triggers through SQLite. `publish`: the file becomes a database, so it
// takes the source's journal mode and is synced; otherwise (a table restore's staging file, read
// once and removed) neither.
Status BuildDatabase(const std::string& path, const proto::Database& pdb,
                     const ChainStorage& storage, const ChainCrypto& crypto, Progress* progress,
                     RestoreResult* result, bool bulk, bool schema_only, bool publish) {
  ASSIGN_OR_RETURN(BulkLoadPlan plan, CreateRestoreSchema(path, pdb, bulk && !schema_only));
  std::set<std::string> planned_tables, planned_indexes;
  for (const auto& t : plan.tables) {
    planned_tables.insert(t.table->name());
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
    if (!planned_tables.count(table.name())) tables.push_back(&table);
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
  // Triggers come after the rows, so that loading them never fires one.
  for (const auto& obj : pdb.objects()) {
    if (obj.type() == "index" && planned_indexes.count(obj.name())) continue;
    RETURN_IF_ERROR(CreateObject(guard, pdb, obj));
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

// The tables of `pdb` named `tables` that a table restore writes, and the schema objects that
// come with them (their indexes and triggers; views belong to whole databases), once it is sure
// that none of their names is taken in `db` (the target) and that none is a virtual table's
// shadow table.
struct WantedTables {
  std::vector<const proto::Table*> tables;
  std::vector<const proto::SchemaObject*> objects;
};

StatusOr<WantedTables> CheckWantedTables(const SqliteDb& db, const std::string& target,
                                         const proto::Database& pdb,
                                         const std::vector<std::string>& tables) {
  ASSIGN_OR_RETURN(SqliteStmt exists,
                   db.Prepare("SELECT type FROM main.sqlite_schema WHERE name = ?1"));
  auto taken = [&](const std::string& name) -> StatusOr<std::optional<std::string>> {
    RETURN_IF_ERROR(exists.Reset());
    exists.Bind(1, name);
    ASSIGN_OR_RETURN(bool row, exists.Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(exists.ColumnText(0));
  };
  WantedTables out;
  std::set<std::string> wanted_names(tables.begin(), tables.end());
  for (const auto& name : tables) {
    ASSIGN_OR_RETURN(std::optional<std::string> kind, taken(name));
    if (kind) {
      return AlreadyExistsError(*kind + " " + target + "." + name +
                                " already exists; drop it or restore into another database "
                                "with into_db");
    }
    const proto::Table* table = FindTable(pdb, name);
    if (!table->virtual_table().empty()) {
      return InvalidArgumentError("table " + pdb.name() + "." + name +
                                  " is a shadow table of virtual table " + table->virtual_table() +
                                  ": restore it with its database (RESTORE DATABASE)");
    }
    out.tables.push_back(table);
  }
  for (const auto& obj : pdb.objects()) {
    if (obj.type() == "view" || !wanted_names.count(obj.table_name())) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> kind, taken(obj.name()));
    if (kind) {
      return AlreadyExistsError("the backup's " + obj.type() + " " + obj.name() + " on " +
                                obj.table_name() + " has the name of " + *kind + " " + target +
                                "." + obj.name() +
                                "; drop it or restore into another database with into_db");
    }
    out.objects.push_back(&obj);
  }
  return out;
}

// What a table restore builds in its staging file: the wanted tables and their indexes, in the
// target's page size, UTF-8, with no journal-mode, statistics, virtual tables, views or
// triggers (those that come with the tables are created in the target).
proto::Database StagingSubset(const proto::Database& pdb, const WantedTables& wanted,
                              int64_t page_size) {
  proto::Database out;
  out.set_name(pdb.name());
  out.set_page_size(static_cast<int32_t>(page_size));
  for (const proto::Table* t : wanted.tables) *out.add_tables() = *t;
  for (const proto::SchemaObject* obj : wanted.objects) {
    if (obj->type() == "index") *out.add_objects() = *obj;
  }
  return out;
}

// The schema name a table restore's staging file is attached under.
constexpr char kStagingSchema[] = "cofre_restore_staging";

// A table restore's staging file: attached to the target's connection while its tables are
// moved in, then detached and removed, whichever way the restore ends.
class AttachedStaging {
 public:
  AttachedStaging(const SqliteDb& db, std::string path) : db_(db), path_(std::move(path)) {}
  ~AttachedStaging() {
    if (attached_) db_.Exec(std::string("DETACH DATABASE ") + kStagingSchema).IgnoreError();
    RemoveFileIfExists(path_, "staging file").IgnoreError();
  }
  AttachedStaging(const AttachedStaging&) = delete;
  AttachedStaging& operator=(const AttachedStaging&) = delete;

  const std::string& path() const { return path_; }
  Status Attach() {
    ASSIGN_OR_RETURN(SqliteStmt attach,
                     db_.Prepare(std::string("ATTACH DATABASE ?1 AS ") + kStagingSchema));
    attach.Bind(1, path_);
    RETURN_IF_ERROR(attach.Run());
    attached_ = true;
    return Status::OK();
  }

 private:
  const SqliteDb& db_;
  std::string path_;
  bool attached_ = false;
};

// Restores some tables into an existing database, all in one transaction on it: only those
// tables are written, and their indexes and triggers come with them. When rows are restored into
// a UTF-8 database, the tables and their indexes are first built in a staging file as a whole
// database is (pages written directly where the plan allows), then moved in by SQLite's record
// copy (engine/table_transfer.h); otherwise every row goes in through INSERT. Either way a
// failed or stopped restore leaves the target as it was.
Status RestoreTablesInto(const DatabaseInfo& target, const proto::Database& pdb,
                         const std::vector<std::string>& tables, const ChainStorage& storage,
                         const ChainCrypto& crypto, Progress* progress, RestoreResult* result,
                         const RestoreRequest& req) {
  ASSIGN_OR_RETURN(SqliteDb db, OpenDatabase(target));
  // The connection's default cache (a few MiB) bounds the sorter of the index builds.
  RETURN_IF_ERROR(db.Exec("PRAGMA threads = " + std::to_string(SorterThreads()) +
                          "; PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON"));
  std::optional<AttachedStaging> staging;
  if (!req.schema_only && req.bulk_pages) {
    ASSIGN_OR_RETURN(std::optional<std::string> encoding, db.QueryText("PRAGMA main.encoding"));
    if (encoding.value_or("") == "UTF-8") {
      // Checked here too so that a taken name fails before anything is built.
      ASSIGN_OR_RETURN(WantedTables wanted, CheckWantedTables(db, target.name, pdb, tables));
      ASSIGN_OR_RETURN(std::optional<int64_t> page_size, db.QueryInt("PRAGMA main.page_size"));
      ASSIGN_OR_RETURN(std::string path, req.data_dir->NewStagingPath());
      staging.emplace(db, path);
      RETURN_IF_ERROR(BuildDatabase(path, StagingSubset(pdb, wanted, page_size.value_or(4096)),
                                    storage, crypto, progress, result, /*bulk=*/true,
                                    /*schema_only=*/false, /*publish=*/false));
      RETURN_IF_ERROR(progress->CheckStop());
      RETURN_IF_ERROR(staging->Attach());
    }
  }
  SchemaGuard guard(db, std::set<std::string>(tables.begin(), tables.end()));
  if (staging) guard.AllowReadsOf(kStagingSchema);
  RETURN_IF_ERROR(db.BeginImmediate());
  auto fail = [&](Status st) {
    db.Exec("ROLLBACK").IgnoreError();
    return st;
  };
  StatusOr<WantedTables> wanted = CheckWantedTables(db, target.name, pdb, tables);
  if (!wanted.ok()) return fail(wanted.status());
  std::unique_ptr<RecordPrefetcher> records;
  if (!req.schema_only && !staging) {
    StatusOr<std::unique_ptr<RecordPrefetcher>> started =
        StartReading(wanted->tables, storage, crypto);
    if (!started.ok()) return fail(started.status());
    records = std::move(*started);
  }
  size_t unit = 0;
  for (const proto::Table* table : wanted->tables) {
    if (Status st = guard.Create(ExpectedTable(pdb.name(), *table), table->create_sql());
        !st.ok()) {
      return fail(st);
    }
    if (staging) {
      // The destination's indexes exist before its rows arrive, as in the staging file, so that
      // SQLite copies their entries too.
      for (const proto::SchemaObject* obj : wanted->objects) {
        if (obj->type() != "index" || obj->table_name() != table->name()) continue;
        if (Status st = CreateObject(guard, pdb, *obj); !st.ok()) return fail(st);
      }
      StatusOr<bool> copied = TransferTableRows(db, kStagingSchema, "main", table->name(),
                                                SchemaFromManifest(*table).StoredColumnList());
      if (!copied.ok()) return fail(copied.status());
      if (*copied) ++result->tables_copied_as_records;
    } else if (records) {
      if (Status st = LoadTable(db, "main", *table, *records, &unit, progress, result); !st.ok()) {
        return fail(st);
      }
    }
    if (Status st = RestoreSequence(db, "main", *table); !st.ok()) return fail(st);
  }
  for (const proto::SchemaObject* obj : wanted->objects) {
    if (staging && obj->type() == "index") continue;
    if (Status st = CreateObject(guard, pdb, *obj); !st.ok()) return fail(st);
  }
  if (Status st = db.Exec("COMMIT"); !st.ok()) return fail(st);
  return Status::OK();
}

}  // namespace

StatusOr<RestoreResult> RunRestore(const RestoreRequest& req) {
  const proto::BackupManifest& m = *req.manifest;
  uint64_t total = 0, total_rows = 0;
  for (const auto& spec : req.databases) {
    const proto::Database* pdb = FindDatabase(m, spec.source);
    if (!pdb) return NotFoundError("database \"" + spec.source + "\" is not in the backup");
    for (const auto& t : pdb->tables()) {
      total += t.logical_bytes();
      total_rows += t.rows();
    }
  }
  for (const auto& spec : req.tables) {
    const proto::Database* pdb = FindDatabase(m, spec.source_database);
    if (!pdb)
      return NotFoundError("database \"" + spec.source_database + "\" is not in the backup");
    for (const auto& name : spec.tables) {
      const proto::Table* t = FindTable(*pdb, name);
      if (!t) {
        return NotFoundError("table " + spec.source_database + "." + name +
                             " is not in the backup");
      }
      total += t->logical_bytes();
      total_rows += t->rows();
    }
  }
  Progress progress(req.progress, total, req.stop, req.live, total_rows);
  RestoreResult result;

  // Whole databases: build every staging file, then publish them together.
  std::vector<std::pair<RestoreDatabaseSpec, std::string>> staged;
  auto discard = [&]() {
    for (auto& [spec, path] : staged) {
      RemoveFileIfExists(path, "staging file").IgnoreError();
    }
  };
  for (const auto& spec : req.databases) {
    ASSIGN_OR_RETURN(bool exists, req.data_dir->HasDatabase(spec.target));
    if (exists && !spec.replace_empty) {
      discard();
      return AlreadyExistsError("database \"" + spec.target + "\" already exists")
          .WithHint("drop it first, or restore under another name WITH new_db_name = '...'");
    }
    ASSIGN_OR_RETURN(std::string path, req.data_dir->NewStagingPath());
    staged.emplace_back(spec, path);
    Status st = BuildDatabase(path, *FindDatabase(m, spec.source), req.storage, req.crypto,
                              &progress, &result, req.bulk_pages, req.schema_only,
                              /*publish=*/true);
    if (st.ok()) st = progress.CheckStop();
    if (!st.ok()) {
      discard();
      return st.Annotate("restoring database " + spec.source);
    }
  }
  for (const auto& spec : req.tables) {
    ASSIGN_OR_RETURN(DatabaseInfo target, req.data_dir->GetDatabase(spec.target_database));
    Status st = RestoreTablesInto(target, *FindDatabase(m, spec.source_database), spec.tables,
                                  req.storage, req.crypto, &progress, &result, req);
    if (!st.ok()) {
      discard();
      return st;
    }
  }
  std::vector<DataDir::Publication> pubs;
  for (const auto& [spec, path] : staged) pubs.push_back({spec.target, path, spec.replace_empty});
  if (Status st = req.data_dir->PublishDatabases(pubs); !st.ok()) {
    discard();
    return st;
  }
  if (req.progress) req.progress(1.0);
  return result;
}

}  // namespace cofre
