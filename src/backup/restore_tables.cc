#include "backup/restore_tables.h"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "backup/bulk_loader.h"
#include "backup/schema_guard.h"
#include "backup/table_schema.h"
#include "engine/journal_switch.h"
#include "engine/pending_append.h"
#include "engine/table_transfer.h"
#include "util/file_util.h"

namespace cofre::restore_build {

namespace {

// The tables a table restore writes, and the schema objects that come with them (their indexes
// and triggers; views belong to whole databases).
struct WantedTables {
  std::vector<const proto::Table*> tables;
  std::vector<const proto::SchemaObject*> objects;
};

// The tables of `pdb` named `tables`, once it is sure that none of their names, nor those of
// their objects, is taken in `db` (the target) and that none is a virtual table's shadow table.
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

// Removes a scratch file when it goes out of scope.
class RemovedAtEnd {
 public:
  explicit RemovedAtEnd(std::string path) : path_(std::move(path)) {}
  ~RemovedAtEnd() { RemoveFileIfExists(path_, "staging file").IgnoreError(); }
  RemovedAtEnd(const RemovedAtEnd&) = delete;
  RemovedAtEnd& operator=(const RemovedAtEnd&) = delete;

 private:
  std::string path_;
};

// A row of sqlite_schema, as the link of appended tables inserts it.
struct SchemaRow {
  std::string type, name, tbl_name;
  int64_t rootpage = 0;
  std::optional<std::string> sql;  // none for the automatic index of a constraint
};

// The name of the table that makes the target's sqlite_sequence when it has none.
constexpr char kSequenceMaker[] = "cofre_restore_sequence_maker";

// Writes the wanted tables and their indexes as b-tree pages appended to the target's file, then
// links them into its schema in one transaction that also creates their triggers and sets their
// AUTOINCREMENT counters (engine/pending_append.h). Returns false, having changed nothing, when
// a table or index cannot be written as pages (the caller then copies the tables in from a
// staging file). REQUIRES: the target is in rollback-journal mode and `db` is the only
// connection to it.
StatusOr<bool> AppendTablesInto(const SqliteDb& db, const DatabaseInfo& target,
                                const proto::Database& pdb, const std::vector<std::string>& tables,
                                RestoreProgress* progress, RestoreResult* result,
                                const RestoreRequest& req) {
  ASSIGN_OR_RETURN(WantedTables wanted, CheckWantedTables(db, target.name, pdb, tables));
  ASSIGN_OR_RETURN(std::optional<int64_t> page_size, db.QueryInt("PRAGMA main.page_size"));
  bool needs_sequence = false;
  for (const proto::Table* t : wanted.tables) needs_sequence |= t->has_autoincrement();
  if (needs_sequence) {
    // sqlite_sequence is made by the link (below) unless it exists; a table of the maker's
    // name in the way sends the tables through the staging copy.
    ASSIGN_OR_RETURN(std::optional<int64_t> have,
                     db.QueryInt("SELECT count(*) FROM main.sqlite_schema WHERE name = "
                                 "'sqlite_sequence'"));
    ASSIGN_OR_RETURN(std::optional<int64_t> maker,
                     db.QueryInt("SELECT count(*) FROM main.sqlite_schema WHERE name = " +
                                 QuoteLiteral(kSequenceMaker)));
    if (maker.value_or(0) > 0) return false;
    needs_sequence = have.value_or(0) == 0;
  }

  // SQLite's own view of the tables and indexes, each statement checked by SchemaGuard, in a
  // staging file of their own that holds no rows; and the plan of their pages.
  ASSIGN_OR_RETURN(std::string schema_path, req.data_dir->NewStagingPath());
  RemovedAtEnd remove_schema(schema_path);
  // The plan points into `subset`.
  const proto::Database subset = StagingSubset(pdb, wanted, page_size.value_or(4096));
  ASSIGN_OR_RETURN(BulkLoadPlan plan, CreateRestoreSchema(schema_path, subset, /*bulk=*/true));
  if (plan.tables.size() != wanted.tables.size() || !plan.unplanned_indexes.empty()) {
    return false;
  }
  std::set<int64_t> planned_roots;
  for (const auto& t : plan.tables) {
    planned_roots.insert(t.root_page);
    for (const auto& index : t.indexes) planned_roots.insert(index.root_page);
  }
  std::vector<SchemaRow> rows;
  {
    ASSIGN_OR_RETURN(SqliteDb schema, SqliteDb::Open(schema_path, /*create=*/false));
    ASSIGN_OR_RETURN(SqliteStmt read,
                     schema.Prepare("SELECT type, name, tbl_name, rootpage, sql FROM "
                                    "main.sqlite_schema ORDER BY rowid"));
    while (true) {
      ASSIGN_OR_RETURN(bool more, read.Step());
      if (!more) break;
      SchemaRow row{read.ColumnText(0), read.ColumnText(1), read.ColumnText(2), read.ColumnInt(3),
                    std::nullopt};
      if (!read.ColumnIsNull(4)) row.sql = read.ColumnText(4);
      if (row.name == "sqlite_sequence") continue;
      // Every b-tree must be one the plan writes.
      if (row.rootpage != 0 && !planned_roots.count(row.rootpage)) return false;
      rows.push_back(std::move(row));
    }
  }

  // The pages, past the end of the target's file.
  ASSIGN_OR_RETURN(std::unique_ptr<PendingAppend> append, PendingAppend::Begin(target.path));
  BulkLoadRequest request;
  request.path = target.path;
  request.temp_dir = std::filesystem::path(target.path).parent_path().string();
  request.plan = &plan;
  request.storage = &req.storage;
  request.crypto = &req.crypto;
  request.progress = [progress](uint64_t bytes) { progress->Add(bytes); };
  request.stop = progress->stop();
  request.append = true;
  StatusOr<BulkLoadResult> loaded = BulkLoad(request);
  if (!loaded.ok() && loaded.status().code() == StatusCode::kFailedPrecondition) {
    // Rows that only SQLite can order: the staging copy takes them.
    RETURN_IF_ERROR(append->Undo());
    return false;
  }
  RETURN_IF_ERROR(loaded.status());

  // The link: one transaction (pending_append.h, invariant 4).
  RETURN_IF_ERROR(db.BeginImmediate());
  auto fail = [&](Status st) {
    db.Exec("ROLLBACK").IgnoreError();
    return st;  // `append` then puts the file back
  };
  if (Status st = CheckWantedTables(db, target.name, pdb, tables).status(); !st.ok()) {
    return fail(st);
  }
  if (needs_sequence) {
    const std::string maker = "main." + QuoteIdent(kSequenceMaker);
    if (Status st = db.Exec("CREATE TABLE " + maker + " (id INTEGER PRIMARY KEY AUTOINCREMENT); " +
                            "DROP TABLE " + maker);
        !st.ok()) {
      return fail(st);
    }
  }
  StatusOr<std::optional<int64_t>> version = db.QueryInt("PRAGMA main.schema_version");
  if (!version.ok()) return fail(version.status());
  if (Status st = db.Exec("PRAGMA writable_schema = ON"); !st.ok()) return fail(st);
  {
    StatusOr<SqliteStmt> insert = db.Prepare(
        "INSERT INTO main.sqlite_schema (type, name, tbl_name, rootpage, sql) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!insert.ok()) return fail(insert.status());
    for (const SchemaRow& row : rows) {
      RETURN_IF_ERROR(insert->Reset());
      insert->Bind(1, row.type).Bind(2, row.name).Bind(3, row.tbl_name);
      insert->Bind(
          4, row.rootpage == 0
                 ? int64_t{0}
                 : static_cast<int64_t>(loaded->roots.at(static_cast<uint32_t>(row.rootpage))));
      if (row.sql) {
        insert->Bind(5, *row.sql);
      } else {
        insert->BindNull(5);
      }
      if (Status st = insert->Run(); !st.ok()) return fail(st);
    }
  }
  // A new schema version makes SQLite read the schema again, new tables included.
  if (Status st = db.Exec("PRAGMA writable_schema = OFF; PRAGMA main.schema_version = " +
                          std::to_string(version->value_or(0) + 1));
      !st.ok()) {
    return fail(st);
  }
  {
    SchemaGuard guard(db, std::set<std::string>(tables.begin(), tables.end()));
    for (const proto::SchemaObject* obj : wanted.objects) {
      if (obj->type() == "index") continue;
      if (Status st = CreateObject(guard, pdb, *obj); !st.ok()) return fail(st);
    }
    for (const proto::Table* table : wanted.tables) {
      if (Status st = RestoreSequence(db, "main", *table); !st.ok()) return fail(st);
    }
  }
  if (req.test_after_first_table_copied) req.test_after_first_table_copied();
  if (Status st = db.Exec("COMMIT"); !st.ok()) return fail(st);
  append->Committed();
  result->rows += loaded->rows;
  result->index_entries += loaded->index_entries;
  for (const proto::Table* t : wanted.tables) result->bytes += t->logical_bytes();
  result->tables_written_as_pages += wanted.tables.size();
  return true;
}

}  // namespace

// Restores some tables into an existing database, all in one transaction on it: only those
// tables are written, and their indexes and triggers come with them. When rows are restored into
// a UTF-8 database, the tables and their indexes are first built in a staging file as a whole
// database is (pages written directly where the plan allows), then moved in by SQLite's record
// copy (engine/table_transfer.h); otherwise every row goes in through INSERT. Either way a
// failed or stopped restore leaves the target as it was.
Status RestoreTablesInto(const DatabaseInfo& target, const proto::Database& pdb,
                         const std::vector<std::string>& tables, RestoreProgress* progress,
                         RestoreResult* result, const RestoreRequest& req) {
  ASSIGN_OR_RETURN(SqliteDb db, OpenDatabase(target));
  // The connection's default cache (a few MiB) bounds the sorter of the index builds.
  RETURN_IF_ERROR(db.Exec("PRAGMA threads = " + std::to_string(SorterThreads()) +
                          "; PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON"));
  bool utf8 = false;
  if (!req.schema_only && req.bulk_pages) {
    ASSIGN_OR_RETURN(std::optional<std::string> encoding, db.QueryText("PRAGMA main.encoding"));
    utf8 = encoding.value_or("") == "UTF-8";
  }
  // A WAL database of cofre's own that no other connection has open takes the tables through a
  // rollback journal when the caller allows it (engine/journal_switch.h): their pages are
  // appended to its file (engine/pending_append.h) or, when some cannot be, copied in from a
  // staging file, written once either way. Destroyed after the transaction ends, it switches
  // the file back.
  std::unique_ptr<RollbackJournalForBulkCopy> journal;
  if (utf8 && !target.external && req.tables_through_journal) {
    ASSIGN_OR_RETURN(journal, RollbackJournalForBulkCopy::Begin(db, target.path));
    if (journal) {
      ASSIGN_OR_RETURN(bool appended,
                       AppendTablesInto(db, target, pdb, tables, progress, result, req));
      if (appended) return Status::OK();
      result->copied_through_rollback_journal = true;
    }
  }
  std::optional<AttachedStaging> staging;
  if (utf8) {
    // Checked here too so that a taken name fails before anything is built.
    ASSIGN_OR_RETURN(WantedTables wanted, CheckWantedTables(db, target.name, pdb, tables));
    ASSIGN_OR_RETURN(std::optional<int64_t> page_size, db.QueryInt("PRAGMA main.page_size"));
    ASSIGN_OR_RETURN(std::string path, req.data_dir->NewStagingPath());
    staging.emplace(db, path);
    RETURN_IF_ERROR(BuildDatabase(path, StagingSubset(pdb, wanted, page_size.value_or(4096)),
                                  req.storage, req.crypto, progress, result, /*bulk=*/true,
                                  /*schema_only=*/false, /*publish=*/false));
    RETURN_IF_ERROR(progress->CheckStop());
    RETURN_IF_ERROR(staging->Attach());
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
        StartReading(wanted->tables, req.storage, req.crypto);
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
      if (req.test_after_first_table_copied && table == wanted->tables.front()) {
        req.test_after_first_table_copied();
      }
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

}  // namespace cofre::restore_build
