#include "backup/restore_append.h"

#include <filesystem>
#include <map>
#include <utility>

#include "backup/bulk_loader.h"
#include "util/file_util.h"

namespace cofre::restore_build {

namespace {

// The table whose creation makes the target's sqlite_sequence when it has none.
constexpr char kSequenceMaker[] = "cofre_restore_sequence_maker";

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

StatusOr<bool> HasSchemaObject(const SqliteDb& db, const std::string& name) {
  ASSIGN_OR_RETURN(SqliteStmt find,
                   db.Prepare("SELECT count(*) FROM main.sqlite_schema WHERE name = ?1"));
  find.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, find.Step());
  return row && find.ColumnInt(0) > 0;
}

}  // namespace

StatusOr<std::unique_ptr<AppendedTables>> AppendedTables::Write(const SqliteDb& db,
                                                                const std::string& path,
                                                                const proto::Database& subset,
                                                                const RestoreRequest& req,
                                                                RestoreProgress* progress) {
  std::unique_ptr<AppendedTables> out(new AppendedTables());
  // SQLite's own view of the tables and indexes, in a staging file that holds no rows, and the
  // plan of their pages.
  ASSIGN_OR_RETURN(std::string schema_path, req.data_dir->NewStagingPath());
  RemovedAtEnd remove_schema(schema_path);
  ASSIGN_OR_RETURN(BulkLoadPlan plan, CreateRestoreSchema(schema_path, subset, /*bulk=*/true));

  // The tables that qualify. Without sqlite_sequence in the target, the link makes it through a
  // table of the maker's name; one already there keeps AUTOINCREMENT tables out.
  std::set<std::string> excluded;
  for (const auto& name : plan.unplanned_indexes) {
    for (const auto& obj : subset.objects()) {
      if (obj.name() == name) excluded.insert(obj.table_name());
    }
  }
  ASSIGN_OR_RETURN(bool has_sequence, HasSchemaObject(db, "sqlite_sequence"));
  ASSIGN_OR_RETURN(bool maker_taken, HasSchemaObject(db, kSequenceMaker));
  BulkLoadPlan appended;
  std::map<int64_t, std::string> planned_roots;  // root page in the staging file -> table
  for (const BulkTablePlan& t : plan.tables) {
    const std::string& name = t.table->name();
    if (excluded.count(name)) continue;
    if (t.table->has_autoincrement() && !has_sequence && maker_taken) continue;
    planned_roots[t.root_page] = name;
    for (const auto& index : t.indexes) planned_roots[index.root_page] = name;
    appended.tables.push_back(t);
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
      if (row.rootpage == 0) continue;  // only tables and indexes are here
      auto owner = planned_roots.find(row.rootpage);
      if (owner == planned_roots.end()) continue;  // a table that does not qualify, or sqlite_*
      if (owner->second != row.tbl_name) {
        return InternalError("restore planned root page " + std::to_string(row.rootpage) +
                             " for table " + owner->second + ", but " + row.name + " of " +
                             row.tbl_name + " has it");
      }
      rows.push_back(std::move(row));
    }
  }
  if (appended.tables.empty()) return std::unique_ptr<AppendedTables>();

  // The pages, past the end of the target's file.
  ASSIGN_OR_RETURN(out->append_, PendingAppend::Begin(path));
  BulkLoadRequest request;
  request.path = path;
  request.temp_dir = std::filesystem::path(path).parent_path().string();
  request.plan = &appended;
  request.storage = &req.storage;
  request.crypto = &req.crypto;
  request.progress = [progress](uint64_t bytes) { progress->Add(bytes); };
  request.stop = progress->stop();
  request.append = true;
  StatusOr<BulkLoadResult> loaded = BulkLoad(request);
  if (!loaded.ok() && loaded.status().code() == StatusCode::kFailedPrecondition) {
    // Rows that only SQLite can order: the staging copy takes every table.
    RETURN_IF_ERROR(out->append_->Undo());
    return std::unique_ptr<AppendedTables>();
  }
  RETURN_IF_ERROR(loaded.status());
  for (SchemaRow& row : rows) {
    auto root = loaded->roots.find(static_cast<uint32_t>(row.rootpage));
    if (root == loaded->roots.end()) {
      return InternalError("restore wrote no b-tree for " + row.name + " of " + row.tbl_name);
    }
    row.rootpage = root->second;
  }
  for (const BulkTablePlan& t : appended.tables) {
    out->names_.insert(t.table->name());
    out->autoincrement_ |= t.table->has_autoincrement();
  }
  out->rows_schema_ = std::move(rows);
  out->rows_ = loaded->rows;
  out->index_entries_ = loaded->index_entries;
  return out;
}

Status AppendedTables::Link(const SqliteDb& db) {
  if (autoincrement_) {
    ASSIGN_OR_RETURN(bool has_sequence, HasSchemaObject(db, "sqlite_sequence"));
    if (!has_sequence) {
      const std::string maker = "main." + QuoteIdent(kSequenceMaker);
      RETURN_IF_ERROR(db.Exec("CREATE TABLE " + maker +
                              " (id INTEGER PRIMARY KEY AUTOINCREMENT); DROP TABLE " + maker));
    }
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> version, db.QueryInt("PRAGMA main.schema_version"));
  RETURN_IF_ERROR(db.Exec("PRAGMA writable_schema = ON"));
  // Off again whichever way the inserts end (the caller's ROLLBACK undoes them).
  struct WritableSchemaOff {
    const SqliteDb& db;
    ~WritableSchemaOff() { db.Exec("PRAGMA writable_schema = OFF").IgnoreError(); }
  } off{db};
  {
    ASSIGN_OR_RETURN(SqliteStmt insert,
                     db.Prepare("INSERT INTO main.sqlite_schema (type, name, tbl_name, rootpage, "
                                "sql) VALUES (?1, ?2, ?3, ?4, ?5)"));
    for (const SchemaRow& row : rows_schema_) {
      RETURN_IF_ERROR(insert.Reset());
      insert.Bind(1, row.type).Bind(2, row.name).Bind(3, row.tbl_name).Bind(4, row.rootpage);
      if (row.sql) {
        insert.Bind(5, *row.sql);
      } else {
        insert.BindNull(5);
      }
      RETURN_IF_ERROR(insert.Run());
    }
  }
  RETURN_IF_ERROR(db.Exec("PRAGMA writable_schema = OFF"));
  // A new schema version makes SQLite read the schema again, the new tables included.
  return db.Exec("PRAGMA main.schema_version = " + std::to_string(version.value_or(0) + 1));
}

}  // namespace cofre::restore_build
