#include "sql/privileges.h"

#include <cstring>

#include "sql/lexer.h"

namespace cofre::sql {

namespace {

bool Contains(const std::set<std::string>& s, std::string_view priv) {
  return s.count("ALL") || s.count(std::string(priv));
}

bool IsInternalTable(std::string_view t) { return t.starts_with("sqlite_"); }

// Pragmas that only read the schema of a named table or index: harmless for any user.
bool IsSchemaReadPragma(std::string_view name) {
  for (std::string_view p : {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
                             "foreign_key_list"}) {
    if (EqualsIgnoreCase(name, p)) return true;
  }
  return false;
}

}  // namespace

bool Privileges::HasSystem(std::string_view priv) const { return admin || Contains(system, priv); }

bool Privileges::HasConnection(const std::string& name, std::string_view priv) const {
  if (admin) return true;
  auto it = external_connection.find(name);
  return it != external_connection.end() && Contains(it->second, priv);
}

bool Privileges::HasDatabase(const std::string& db, std::string_view priv) const {
  if (admin) return true;
  auto it = database.find(db);
  return it != database.end() && Contains(it->second, priv);
}

bool Privileges::HasTable(const std::string& db, const std::string& t,
                          std::string_view priv) const {
  if (HasDatabase(db, priv)) return true;
  for (const std::string& key : {db + "." + t, db + ".*"}) {
    auto it = table.find(key);
    if (it != table.end() && Contains(it->second, priv)) return true;
  }
  return false;
}

bool Privileges::HasAnyOn(const std::string& db) const {
  if (admin || database.count(db)) return true;
  for (const auto& [key, privs] : table) {
    if (key.starts_with(db + ".")) return true;
  }
  return false;
}

Status InsufficientPrivilege(const std::string& user, std::string_view privilege,
                             const std::string& object) {
  return PermissionDeniedError("user " + user + " does not have " + std::string(privilege) +
                               " privilege on " + object)
      .WithDetail(ErrorDetail::kInsufficientPrivilege);
}

void Authorizer::Install(sqlite3* db, const Privileges* privileges) {
  privileges_ = privileges;
  sqlite3_set_authorizer(db, privileges ? &Authorizer::Callback : nullptr, this);
}

Status Authorizer::TakeDenial() {
  Status s = denial_;
  denial_ = Status::OK();
  return s;
}

int Authorizer::Callback(void* self, int action, const char* a, const char* b, const char* db,
                         const char* trigger) {
  return static_cast<Authorizer*>(self)->Decide(action, a, b, db);
}

std::string Authorizer::DatabaseName(const char* schema) const {
  if (!schema || std::strcmp(schema, "main") == 0) return current_;
  return schema;
}

int Authorizer::Deny(std::string_view privilege, const std::string& object) {
  if (denial_.ok()) denial_ = InsufficientPrivilege(privileges_->user, privilege, object);
  return SQLITE_DENY;
}

int Authorizer::Decide(int action, const char* a, const char* b, const char* schema) {
  if (suspended_ > 0 || privileges_ == nullptr || privileges_->admin) return SQLITE_OK;
  const Privileges& p = *privileges_;
  const std::string arg1 = a ? a : "";
  const std::string dbname = DatabaseName(schema);
  const bool temp = schema && std::strcmp(schema, "temp") == 0;
  auto table_priv = [&](std::string_view priv) {
    if (IsInternalTable(arg1) || temp) return SQLITE_OK;
    if (p.HasTable(dbname, arg1, priv)) return SQLITE_OK;
    return Deny(priv, "table " + dbname + "." + arg1);
  };
  auto db_priv = [&](std::string_view priv) {
    if (temp) return SQLITE_OK;
    if (p.HasDatabase(dbname, priv)) return SQLITE_OK;
    return Deny(priv, "database " + dbname);
  };
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_READ:
      return table_priv("SELECT");
    case SQLITE_INSERT:
      return table_priv("INSERT");
    case SQLITE_UPDATE:
      return table_priv("UPDATE");
    case SQLITE_DELETE:
      return table_priv("DELETE");
    case SQLITE_FUNCTION:
      // arg2 is the function name.
      if (b && (EqualsIgnoreCase(b, "load_extension") || EqualsIgnoreCase(b, "readfile") ||
                EqualsIgnoreCase(b, "writefile") || EqualsIgnoreCase(b, "edit"))) {
        return Deny("EXECUTE", std::string("function ") + b);
      }
      return SQLITE_OK;
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VTABLE:
      return db_priv("CREATE");
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_TEMP_TRIGGER:
      return SQLITE_OK;
    case SQLITE_ALTER_TABLE:
      // arg1 is the schema, arg2 the table.
      if (p.HasDatabase(DatabaseName(a), "CREATE") ||
          (b && p.HasTable(DatabaseName(a), b, "CREATE"))) {
        return SQLITE_OK;
      }
      return Deny("CREATE", "table " + DatabaseName(a) + "." + (b ? b : ""));
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_VTABLE:
      if (temp || p.HasTable(dbname, arg1, "DROP")) return SQLITE_OK;
      return Deny("DROP", "table " + dbname + "." + arg1);
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TRIGGER:
      // arg2 is the table the index or trigger belongs to.
      if (temp || p.HasDatabase(dbname, "CREATE") || (b && p.HasTable(dbname, b, "DROP"))) {
        return SQLITE_OK;
      }
      return Deny("DROP", "database " + dbname);
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TEMP_TRIGGER:
      return SQLITE_OK;
    case SQLITE_ANALYZE:
    case SQLITE_REINDEX:
      return db_priv("CREATE");
    case SQLITE_PRAGMA:
      // arg1 is the pragma, arg2 its argument (null when reading).
      if (IsSchemaReadPragma(arg1)) return SQLITE_OK;
      return Deny("admin", "PRAGMA " + arg1);
    case SQLITE_ATTACH:
      return Deny("admin", "ATTACH");
    case SQLITE_DETACH:
      return Deny("admin", "DETACH");
    default:
      return Deny("admin", "this statement");
  }
}

}  // namespace cofre::sql
