#include "sql/statement_privileges.h"

#include "util/uri.h"

namespace cofre::sql {

namespace {

Status NotAdmin(const Privileges& p, const std::string& what) {
  return PermissionDeniedError("only admin users can " + what + " (user " + p.user +
                               " is not a member of role admin)")
      .WithDetail(ErrorDetail::kInsufficientPrivilege);
}

// nodelocal:// and file:// reach the server's file system: admin only.
Status CheckUris(const Privileges& p, const std::vector<std::string>& uris) {
  if (p.admin) return Status::OK();
  for (const auto& u : uris) {
    auto parsed = ParseUri(u);
    if (!parsed.ok()) continue;  // the planner reports malformed URIs
    if (parsed->scheme == "nodelocal" || parsed->scheme == "file") {
      return NotAdmin(p, "use " + parsed->scheme + ":// storage");
    }
  }
  return Status::OK();
}

Status CheckOptionUris(const Privileges& p, const std::vector<Option>& options) {
  for (const auto& o : options) {
    if (o.name == "incremental_location") RETURN_IF_ERROR(CheckUris(p, o.values));
  }
  return Status::OK();
}

std::string DbOf(const TablePattern& t, const std::string& current_db) {
  return t.database.empty() ? current_db : t.database;
}

}  // namespace

Status CheckPrivileges(const Privileges& p, const Backup& s, const std::string& current_db) {
  RETURN_IF_ERROR(CheckUris(p, s.destinations));
  RETURN_IF_ERROR(CheckOptionUris(p, s.options));
  if (p.HasSystem("BACKUP")) return Status::OK();
  switch (s.targets.kind) {
    case Targets::Kind::kCluster:
      return InsufficientPrivilege(p.user, "BACKUP", "the cluster (GRANT SYSTEM BACKUP)");
    case Targets::Kind::kDatabases:
      for (const auto& db : s.targets.databases) {
        if (!p.HasDatabase(db, "BACKUP"))
          return InsufficientPrivilege(p.user, "BACKUP", "database " + db);
      }
      return Status::OK();
    case Targets::Kind::kTables:
      for (const auto& t : s.targets.tables) {
        std::string db = DbOf(t, current_db);
        std::string table = t.all_tables ? "*" : t.table;
        bool ok = t.all_tables ? p.HasDatabase(db, "BACKUP") || p.HasTable(db, "*", "SELECT")
                               : p.HasTable(db, table, "BACKUP") || p.HasTable(db, table, "SELECT");
        if (!ok) return InsufficientPrivilege(p.user, "BACKUP", "table " + db + "." + table);
      }
      return Status::OK();
  }
  return Status::OK();
}

Status CheckPrivileges(const Privileges& p, const Restore& s, const std::string& current_db) {
  RETURN_IF_ERROR(CheckUris(p, s.in));
  RETURN_IF_ERROR(CheckOptionUris(p, s.options));
  if (p.HasSystem("RESTORE")) return Status::OK();
  if (s.targets.kind != Targets::Kind::kTables) {
    return InsufficientPrivilege(p.user, "RESTORE",
                                 s.targets.kind == Targets::Kind::kCluster
                                     ? "the cluster (GRANT SYSTEM RESTORE)"
                                     : "the cluster (restoring a database needs GRANT SYSTEM "
                                       "RESTORE)");
  }
  std::string into;
  for (const auto& o : s.options) {
    if (o.name == "into_db" && !o.values.empty()) into = o.values[0];
  }
  for (const auto& t : s.targets.tables) {
    std::string db = into.empty() ? DbOf(t, current_db) : into;
    if (!p.HasDatabase(db, "RESTORE"))
      return InsufficientPrivilege(p.user, "RESTORE", "database " + db);
  }
  return Status::OK();
}

Status CheckPrivileges(const Privileges& p, const ShowBackups& s) {
  RETURN_IF_ERROR(CheckUris(p, s.in));
  if (p.HasSystem("BACKUP") || p.HasSystem("RESTORE")) return Status::OK();
  return InsufficientPrivilege(p.user, "BACKUP or RESTORE", "the cluster (GRANT SYSTEM BACKUP)");
}

Status CheckPrivileges(const Privileges& p, const ShowBackup& s) {
  RETURN_IF_ERROR(CheckUris(p, s.in));
  if (p.HasSystem("BACKUP") || p.HasSystem("RESTORE")) return Status::OK();
  return InsufficientPrivilege(p.user, "BACKUP or RESTORE", "the cluster (GRANT SYSTEM BACKUP)");
}

Status CheckPrivileges(const Privileges& p, const AlterBackup& s) {
  RETURN_IF_ERROR(CheckUris(p, s.in));
  if (p.HasSystem("BACKUP")) return Status::OK();
  return InsufficientPrivilege(p.user, "BACKUP", "the cluster (GRANT SYSTEM BACKUP)");
}

Status CheckPrivileges(const Privileges& p, const CreateDatabase& s) {
  if (p.admin) return Status::OK();
  return NotAdmin(p, s.from_file ? "adopt a file as a database" : "create databases");
}

Status CheckPrivileges(const Privileges& p, const DropDatabase& s) {
  if (p.HasDatabase(s.name, "DROP")) return Status::OK();
  return InsufficientPrivilege(p.user, "DROP", "database " + s.name);
}

}  // namespace cofre::sql
