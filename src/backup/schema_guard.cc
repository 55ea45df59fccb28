#include "backup/schema_guard.h"

#include <algorithm>
#include <cctype>

namespace cofre {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool SameName(const char* a, std::string_view b) { return a && Lower(a) == Lower(b); }

// PRAGMAs cofre's own statements run on a restore connection (settings and the read-only
// table-valued pragma functions the load planner queries).
bool AllowedPragma(const char* name) {
  static const char* const kAllowed[] = {
      "application_id", "cache_size", "foreign_keys",
      "index_info",     "index_list", "index_xinfo",
      "journal_mode",   "page_size",  "synchronous",
      "table_info",     "table_list", "table_xinfo",
      "temp_store",     "threads",    "user_version",
      "auto_vacuum",    "encoding",   "ignore_check_constraints"};
  if (!name) return false;
  std::string n = Lower(name);
  return std::any_of(std::begin(kAllowed), std::end(kAllowed),
                     [&](const char* a) { return n == a; });
}

bool DeniedFunction(const char* name) {
  if (!name) return false;
  std::string n = Lower(name);
  return n == "load_extension" || n == "fts3_tokenizer" || n == "readfile" || n == "writefile" ||
         n == "edit";
}

// Whether the rest of a statement's text holds only whitespace and comments.
bool OnlyCommentsLeft(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
    } else if (s.compare(i, 2, "--") == 0) {
      size_t nl = s.find('\n', i);
      i = nl == std::string_view::npos ? s.size() : nl + 1;
    } else if (s.compare(i, 2, "/*") == 0) {
      size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
    } else {
      return false;
    }
  }
  return true;
}

int CreateAction(SchemaKind kind) {
  switch (kind) {
    case SchemaKind::kTable:
      return SQLITE_CREATE_TABLE;
    case SchemaKind::kIndex:
      return SQLITE_CREATE_INDEX;
    case SchemaKind::kView:
      return SQLITE_CREATE_VIEW;
    case SchemaKind::kTrigger:
      return SQLITE_CREATE_TRIGGER;
    case SchemaKind::kVirtualTable:
      return SQLITE_CREATE_VTABLE;
  }
  return SQLITE_CREATE_TABLE;
}

const char* ActionText(int action) {
  switch (action) {
    case SQLITE_CREATE_INDEX:
      return "creates index";
    case SQLITE_CREATE_TABLE:
      return "creates table";
    case SQLITE_CREATE_TRIGGER:
      return "creates trigger";
    case SQLITE_CREATE_VIEW:
      return "creates view";
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
      return "creates a temporary object";
    case SQLITE_CREATE_VTABLE:
      return "creates virtual table";
    case SQLITE_ATTACH:
      return "attaches a database";
    case SQLITE_DETACH:
      return "detaches a database";
    case SQLITE_PRAGMA:
      return "runs PRAGMA";
    case SQLITE_FUNCTION:
      return "calls function";
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      return "writes table";
    case SQLITE_READ:
      return "reads table";
    case SQLITE_SELECT:
      return "runs a query";
    case SQLITE_ALTER_TABLE:
      return "alters table";
    case SQLITE_REINDEX:
      return "reindexes";
    case SQLITE_ANALYZE:
      return "analyzes";
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      return "controls transactions";
    default:
      return "drops or changes schema objects";
  }
}

// The table an object belongs to, as sqlite_schema.tbl_name records it.
const std::string& OwnTable(const ExpectedObject& want) {
  return want.kind == SchemaKind::kIndex || want.kind == SchemaKind::kTrigger ? want.table
                                                                              : want.name;
}

int AuthorizerCallback(void* guard, int action, const char* a1, const char* a2, const char* db,
                       const char* inner) {
  return static_cast<SchemaGuard*>(guard)->Authorize(action, a1, a2, db, inner);
}

bool IsStatTable(const char* name) {
  return SameName(name, "sqlite_stat1") || SameName(name, "sqlite_stat4");
}

}  // namespace

bool SupportedVirtualTableModule(std::string_view module) {
  std::string m = Lower(module);
  return m == "fts5" || m == "fts4" || m == "fts3" || m == "rtree" || m == "rtree_i32";
}

StatusOr<ExpectedObject> ExpectedVirtualTable(const proto::Database& pdb,
                                              const proto::VirtualTable& vt) {
  ExpectedObject want{SchemaKind::kVirtualTable, vt.name(), vt.name(),
                      "virtual table " + pdb.name() + "." + vt.name()};
  if (!SupportedVirtualTableModule(vt.module())) {
    return DataLossError("backup manifest: " + want.label + " names module \"" + vt.module() +
                         "\", which cofre never backs up");
  }
  want.module = Lower(vt.module());
  for (const auto& t : pdb.tables()) {
    if (SameName(t.virtual_table().c_str(), vt.name())) want.shadow_tables.insert(Lower(t.name()));
  }
  return want;
}

ExpectedObject ExpectedTable(const std::string& database, const proto::Table& table) {
  return {SchemaKind::kTable, table.name(), table.name(), "table " + database + "." + table.name()};
}

StatusOr<ExpectedObject> ExpectedSchemaObject(const std::string& database,
                                              const proto::SchemaObject& obj) {
  StatusOr<SchemaKind> kind = SchemaKindFromType(obj.type());
  if (!kind.ok()) {
    return DataLossError("backup manifest: schema object " + database + "." + obj.name() + " has " +
                         kind.status().message());
  }
  return ExpectedObject{*kind, obj.name(), obj.table_name(),
                        std::string(SchemaKindName(*kind)) + " " + database + "." + obj.name()};
}

StatusOr<SchemaKind> SchemaKindFromType(std::string_view type) {
  if (type == "index") return SchemaKind::kIndex;
  if (type == "view") return SchemaKind::kView;
  if (type == "trigger") return SchemaKind::kTrigger;
  return InvalidArgumentError("unknown schema object type \"" + std::string(type) + "\"");
}

const char* SchemaKindName(SchemaKind kind) {
  switch (kind) {
    case SchemaKind::kTable:
      return "table";
    case SchemaKind::kIndex:
      return "index";
    case SchemaKind::kView:
      return "view";
    case SchemaKind::kTrigger:
      return "trigger";
    case SchemaKind::kVirtualTable:
      return "virtual table";
  }
  return "table";
}

SchemaGuard::SchemaGuard(const SqliteDb& db, const std::set<std::string>& writable)
    : conn_(&db), db_(db.get()) {
  for (const auto& t : writable) writable_.insert(Lower(t));
  sqlite3_set_authorizer(db_, AuthorizerCallback, this);
}

SchemaGuard::~SchemaGuard() {
  // The connection may have been closed already.
  if (conn_->get()) sqlite3_set_authorizer(conn_->get(), nullptr, nullptr);
}

int SchemaGuard::Deny(std::string reason) {
  if (denied_.empty()) denied_ = std::move(reason);
  return SQLITE_DENY;
}

bool SchemaGuard::Writable(const char* table) const {
  return table && writable_.count(Lower(table));
}

int SchemaGuard::Authorize(int action, const char* a1, const char* a2, const char* db,
                           const char* inner) {
  auto deny = [&](const char* what) {
    std::string reason = std::string("it ") + ActionText(action);
    if (what) reason += std::string(" ") + what;
    if (db && std::string_view(db) != "main") reason += std::string(" in database ") + db;
    return Deny(std::move(reason));
  };
  const bool in_main = db && std::string_view(db) == "main";
  // What the module of the virtual table being created does on its own shadow tables.
  const bool vtab = want_ && want_->kind == SchemaKind::kVirtualTable;
  const bool shadow = vtab && in_main && a1 && want_->shadow_tables.count(Lower(a1));
  if (vtab) {
    switch (action) {
      case SQLITE_CREATE_TABLE:
      case SQLITE_INSERT:
      case SQLITE_UPDATE:
      case SQLITE_DELETE:
        if (shadow) return SQLITE_OK;
        break;
      case SQLITE_CREATE_INDEX:  // a shadow table's PRIMARY KEY
        if (in_main && a1 && Lower(a1).rfind("sqlite_autoindex_", 0) == 0 && a2 &&
            want_->shadow_tables.count(Lower(a2))) {
          return SQLITE_OK;
        }
        break;
      case SQLITE_READ:
        if (shadow ||
            (in_main && (SameName(a1, "sqlite_master") || SameName(a1, "sqlite_schema")))) {
          return SQLITE_OK;
        }
        break;
      case SQLITE_SELECT:
        return SQLITE_OK;  // the module's own queries; reads are checked one by one
      case SQLITE_PRAGMA:
        // Queries the modules make (R*Tree sizes its nodes from the page size).
        if ((SameName(a1, "page_size") || SameName(a1, "data_version")) && !a2) {
          return SQLITE_OK;
        }
        break;
      case SQLITE_CREATE_VTABLE:
        if (in_main && SameName(a1, want_->name) && a2 && Lower(a2) == want_->module) {
          ++created_;
          return SQLITE_OK;
        }
        return Deny("it creates virtual table " + std::string(a1 ? a1 : "?") + " using " +
                    (a2 ? a2 : "?") + ", not " + want_->name + " using " + want_->module);
      default:
        break;
    }
  }
  if (statistics_ && !want_) {
    switch (action) {
      case SQLITE_ANALYZE:
        if (in_main && (SameName(a1, "sqlite_schema") || SameName(a1, "sqlite_master"))) {
          return SQLITE_OK;
        }
        break;
      case SQLITE_PRAGMA:
        if (SameName(a1, "writable_schema")) return SQLITE_OK;
        break;
      case SQLITE_CREATE_TABLE:
        if (in_main && IsStatTable(a1)) return SQLITE_OK;
        break;
      case SQLITE_INSERT:
        if (in_main && IsStatTable(a1)) return SQLITE_OK;
        break;
      default:
        break;
    }
  }
  switch (action) {
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TRIGGER: {
      if (!want_) return deny(a1);
      // AUTOINCREMENT makes SQLite create its sqlite_sequence table along with the first one.
      if (action == SQLITE_CREATE_TABLE && want_->kind == SchemaKind::kTable && in_main &&
          SameName(a1, "sqlite_sequence")) {
        return SQLITE_OK;
      }
      // PRIMARY KEY and UNIQUE constraints make SQLite create the table's automatic indexes.
      if (action == SQLITE_CREATE_INDEX && want_->kind == SchemaKind::kTable && in_main && a1 &&
          Lower(a1).rfind("sqlite_autoindex_", 0) == 0 && SameName(a2, want_->name)) {
        return SQLITE_OK;
      }
      bool on_table = action == SQLITE_CREATE_INDEX || action == SQLITE_CREATE_TRIGGER;
      if (action == CreateAction(want_->kind) && in_main && SameName(a1, want_->name) &&
          (!on_table || SameName(a2, OwnTable(*want_)))) {
        ++created_;
        return SQLITE_OK;
      }
      std::string what = std::string(a1 ? a1 : "?") +
                         (on_table ? std::string(" on ") + (a2 ? a2 : "?") : std::string());
      return Deny("it " + std::string(ActionText(action)) + " " + what +
                  (in_main ? "" : std::string(" in database ") + (db ? db : "?")) + ", not " +
                  SchemaKindName(want_->kind) + " " + want_->name +
                  (want_->kind == SchemaKind::kIndex || want_->kind == SchemaKind::kTrigger
                       ? " on " + want_->table
                       : std::string()));
    }
    case SQLITE_REINDEX:
      // Building the index being created, or rebuilding the one Reindex names.
      if (want_ && want_->kind == SchemaKind::kIndex && in_main && SameName(a1, want_->name)) {
        return SQLITE_OK;
      }
      if (!want_ && in_main && !reindex_.empty() && SameName(a1, reindex_)) return SQLITE_OK;
      return deny(a1);
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      if (!in_main) return deny(a1);
      // SQLite records a new object in its schema table itself.
      if (SameName(a1, "sqlite_master") || SameName(a1, "sqlite_schema")) return SQLITE_OK;
      if (SameName(a1, "sqlite_sequence") && (!want_ || want_->kind == SchemaKind::kTable)) {
        return SQLITE_OK;
      }
      // Dropping an index makes SQLite delete its statistics.
      if (action == SQLITE_DELETE && !want_ && IsStatTable(a1)) return SQLITE_OK;
      if (want_ || !Writable(a1)) return deny(a1);
      return SQLITE_OK;
    case SQLITE_READ:
      // (SQLite names no database for the table a count(*) reads.)
      if (!want_ && db && !readable_schema_.empty() && readable_schema_ == db) return SQLITE_OK;
      if (db && !in_main && std::string_view(db) != "temp") return deny(a1);
      if (want_ && !SameName(a1, want_->name) && !SameName(a1, OwnTable(*want_)) &&
          !SameName(a1, "sqlite_master") && !SameName(a1, "sqlite_schema")) {
        return deny(a1);
      }
      return SQLITE_OK;
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      return want_ ? deny(nullptr) : SQLITE_OK;
    case SQLITE_PRAGMA:
      return !want_ && AllowedPragma(a1) ? SQLITE_OK : deny(a1);
    case SQLITE_FUNCTION:
      return DeniedFunction(a2) ? deny(a2) : SQLITE_OK;
    case SQLITE_DROP_INDEX:
      // cofre drops the indexes its page writer does not build, to build them after the rows.
      return !want_ && in_main && Writable(a2) ? SQLITE_OK : deny(a1);
    default:
      return deny(a1);
  }
  (void)inner;
}

Status SchemaGuard::Reindex(const std::string& index) {
  auto annotate = [&](Status st) { return st.Annotate("rebuilding index " + index); };
  ASSIGN_OR_RETURN(std::optional<std::string> table,
                   conn_->QueryText("SELECT tbl_name FROM main.sqlite_schema WHERE type = 'index' "
                                    "AND name = " +
                                    QuoteLiteral(index) + " COLLATE NOCASE"));
  if (!table || !Writable(table->c_str())) {
    return annotate(InvalidArgumentError("not an index of a table being restored"));
  }
  struct Scope {
    SchemaGuard* g;
    ~Scope() { g->reindex_.clear(); }
  } scope{this};
  reindex_ = index;
  Status st = conn_->Exec("REINDEX main." + QuoteIdent(index));
  if (!st.ok()) return annotate(st);
  return Status::OK();
}

Status SchemaGuard::Create(const ExpectedObject& want, std::string_view sql) {
  auto refuse = [&](const std::string& why) {
    return DataLossError("backup manifest: the SQL of " + want.label + " is refused: " + why)
        .WithHint(
            "cofre writes each object's CREATE statement as SQLite stored it; this one was "
            "changed in storage (the collection is damaged or was tampered with): restore "
            "from another backup");
  };
  struct Scope {
    SchemaGuard* g;
    ~Scope() { g->want_ = nullptr; }
  } scope{this};
  want_ = &want;
  created_ = 0;
  denied_.clear();
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_NO_VTAB,
                              &raw, &tail);
  SqliteStmt stmt(db_, raw);
  if (!denied_.empty()) return refuse(denied_);
  if (rc != SQLITE_OK) return refuse(std::string("SQLite refuses it: ") + sqlite3_errmsg(db_));
  if (!raw) return refuse("it holds no statement");
  if (!OnlyCommentsLeft(sql.substr(static_cast<size_t>(tail - sql.data())))) {
    return refuse("it holds more than one statement");
  }
  if (created_ != 1) {
    return refuse(std::string("it is not a CREATE ") + SchemaKindName(want.kind) + " statement");
  }
  rc = sqlite3_step(raw);
  if (!denied_.empty()) return refuse(denied_);
  if (rc != SQLITE_DONE) return SqliteStatus(rc, db_, "recreating " + want.label);
  stmt = SqliteStmt();
  want_ = nullptr;
  // What the statement made, as SQLite records it.
  ASSIGN_OR_RETURN(
      SqliteStmt check,
      conn_->Prepare(
          "SELECT type, tbl_name FROM main.sqlite_schema WHERE name = ?1 COLLATE NOCASE"));
  check.Bind(1, want.name);
  ASSIGN_OR_RETURN(bool row, check.Step());
  const char* type = want.kind == SchemaKind::kVirtualTable ? "table" : SchemaKindName(want.kind);
  if (!row || check.ColumnText(0) != type ||
      !SameName(check.ColumnText(1).c_str(), OwnTable(want))) {
    return refuse("it does not create that object");
  }
  // A virtual table's shadow tables are the ones the backup holds rows for.
  for (const auto& name : want.shadow_tables) {
    RETURN_IF_ERROR(check.Reset());
    check.Bind(1, name);
    ASSIGN_OR_RETURN(bool found, check.Step());
    if (!found || check.ColumnText(0) != "table") {
      return refuse("it does not create its shadow table " + name);
    }
  }
  return Status::OK();
}

}  // namespace cofre
