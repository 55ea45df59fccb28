#include "backup/restore_tables.h"

#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "backup/restore_append.h"
#include "backup/schema_guard.h"
#include "backup/table_schema.h"
#include "engine/journal_switch.h"
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

}  // namespace

// Restores some tables into an existing database, all in one transaction on it: only those
// tables are written, and their indexes and triggers come with them. See restore_tables.h for
// the ways rows go in.
Status RestoreTablesInto(const DatabaseInfo& target, const proto::Database& pdb,
                         const std::vector<std::string>& tables, RestoreProgress* progress,
                         RestoreResult* result, const RestoreRequest& req) {
  ASSIGN_OR_RETURN(SqliteDb db, OpenDatabase(target));
  // The connection's default cache (a few MiB) bounds the sorter of the index builds.
  RETURN_IF_ERROR(db.Exec("PRAGMA threads = " + std::to_string(SorterThreads()) +
                          "; PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON"));
  bool pages = false;
  if (!req.schema_only && req.bulk_pages) {
    ASSIGN_OR_RETURN(std::optional<std::string> encoding, db.QueryText("PRAGMA main.encoding"));
    pages = encoding.value_or("") == "UTF-8";
  }
  // Checked here too so that a taken name fails before anything is built.
  ASSIGN_OR_RETURN(WantedTables wanted, CheckWantedTables(db, target.name, pdb, tables));
  ASSIGN_OR_RETURN(std::optional<int64_t> page_size, db.QueryInt("PRAGMA main.page_size"));
  // A WAL database of cofre's own that no other connection has open takes the tables through a
  // rollback journal when the caller allows it (engine/journal_switch.h): the pages of those
  // the page writer covers whole are appended to its file (restore_append.h), and the others
  // copied in from a staging file are written once too. Destroyed after the transaction ends,
  // it switches the file back.
  std::unique_ptr<RollbackJournalForBulkCopy> journal;
  if (pages && !target.external && req.tables_through_journal) {
    ASSIGN_OR_RETURN(journal, RollbackJournalForBulkCopy::Begin(db, target.path));
  }
  // Destroyed before `journal`: without a commit, it puts the file back first.
  std::unique_ptr<AppendedTables> appended;
  if (journal) {
    const proto::Database subset = StagingSubset(pdb, wanted, page_size.value_or(4096));
    ASSIGN_OR_RETURN(appended, AppendedTables::Write(db, target.path, subset, req, progress));
  }
  auto is_appended = [&](const std::string& table) {
    return appended && appended->names().count(table) > 0;
  };
  WantedTables rest;
  for (const proto::Table* t : wanted.tables) {
    if (!is_appended(t->name())) rest.tables.push_back(t);
  }
  for (const proto::SchemaObject* obj : wanted.objects) {
    if (!is_appended(obj->table_name())) rest.objects.push_back(obj);
  }
  std::optional<AttachedStaging> staging;
  if (pages && !rest.tables.empty()) {
    ASSIGN_OR_RETURN(std::string path, req.data_dir->NewStagingPath());
    staging.emplace(db, path);
    RETURN_IF_ERROR(BuildDatabase(path, StagingSubset(pdb, rest, page_size.value_or(4096)),
                                  req.storage, req.crypto, progress, result, /*bulk=*/true,
                                  /*schema_only=*/false, /*publish=*/false));
    RETURN_IF_ERROR(progress->CheckStop());
    RETURN_IF_ERROR(staging->Attach());
    if (journal) result->copied_through_rollback_journal = true;
  }
  RETURN_IF_ERROR(db.BeginImmediate());
  auto fail = [&](Status st) {
    db.Exec("ROLLBACK").IgnoreError();
    return st;
  };
  if (Status st = CheckWantedTables(db, target.name, pdb, tables).status(); !st.ok()) {
    return fail(st);
  }
  bool failpoint_due = static_cast<bool>(req.test_after_first_table_copied);
  if (appended) {
    // Before the guard, which refuses writable_schema.
    if (Status st = appended->Link(db); !st.ok()) return fail(st);
    if (failpoint_due) {
      failpoint_due = false;
      req.test_after_first_table_copied();
    }
  }
  SchemaGuard guard(db, std::set<std::string>(tables.begin(), tables.end()));
  if (staging) guard.AllowReadsOf(kStagingSchema);
  std::unique_ptr<RecordPrefetcher> records;
  if (!req.schema_only && !staging && !rest.tables.empty()) {
    StatusOr<std::unique_ptr<RecordPrefetcher>> started =
        StartReading(rest.tables, req.storage, req.crypto);
    if (!started.ok()) return fail(started.status());
    records = std::move(*started);
  }
  size_t unit = 0;
  for (const proto::Table* table : rest.tables) {
    if (Status st = guard.Create(ExpectedTable(pdb.name(), *table), table->create_sql());
        !st.ok()) {
      return fail(st);
    }
    if (staging) {
      // The destination's indexes exist before its rows arrive, as in the staging file, so that
      // SQLite copies their entries too.
      for (const proto::SchemaObject* obj : rest.objects) {
        if (obj->type() != "index" || obj->table_name() != table->name()) continue;
        if (Status st = CreateObject(guard, pdb, *obj); !st.ok()) return fail(st);
      }
      StatusOr<bool> copied = TransferTableRows(db, kStagingSchema, "main", table->name(),
                                                SchemaFromManifest(*table).StoredColumnList());
      if (!copied.ok()) return fail(copied.status());
      if (*copied) ++result->tables_copied_as_records;
      if (failpoint_due) {
        failpoint_due = false;
        req.test_after_first_table_copied();
      }
    } else if (records) {
      if (Status st = LoadTable(db, "main", *table, *records, &unit, progress, result); !st.ok()) {
        return fail(st);
      }
    }
  }
  for (const proto::Table* table : wanted.tables) {
    if (Status st = RestoreSequence(db, "main", *table); !st.ok()) return fail(st);
  }
  // Triggers, and the indexes neither appended nor created before a copy.
  for (const proto::SchemaObject* obj : wanted.objects) {
    if (obj->type() == "index" && (is_appended(obj->table_name()) || staging)) continue;
    if (Status st = CreateObject(guard, pdb, *obj); !st.ok()) return fail(st);
  }
  if (Status st = db.Exec("COMMIT"); !st.ok()) return fail(st);
  if (appended) {
    appended->Committed();
    result->rows += appended->rows();
    result->index_entries += appended->index_entries();
    for (const proto::Table* t : wanted.tables) {
      if (is_appended(t->name())) result->bytes += t->logical_bytes();
    }
    result->tables_written_as_pages += appended->names().size();
  }
  return Status::OK();
}

}  // namespace cofre::restore_build
