#include "sql/access_control.h"

#include <algorithm>
#include <functional>
#include <set>

#include "crypto/scram.h"
#include "sql/lexer.h"

namespace cofre::sql {

namespace {

constexpr char kAccessSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  is_role INTEGER NOT NULL DEFAULT 0,
  can_login INTEGER NOT NULL DEFAULT 1,
  verifier TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE TABLE IF NOT EXISTS role_members (
  role TEXT NOT NULL,
  member TEXT NOT NULL,
  PRIMARY KEY (role, member)
);
CREATE TABLE IF NOT EXISTS grants (
  grantee TEXT NOT NULL,
  object_kind TEXT NOT NULL,
  object TEXT NOT NULL,
  privilege TEXT NOT NULL,
  PRIMARY KEY (grantee, object_kind, object, privilege)
);
INSERT OR IGNORE INTO users (name, is_role, can_login) VALUES ('root', 0, 1);
INSERT OR IGNORE INTO users (name, is_role, can_login) VALUES ('admin', 1, 0);
INSERT OR IGNORE INTO role_members (role, member) VALUES ('admin', 'root');
)sql";

const std::set<std::string> kSystemPrivileges = {"ALL",
                                                 "BACKUP",
                                                 "RESTORE",
                                                 "VIEWJOB",
                                                 "CONTROLJOB",
                                                 "MODIFYCLUSTERSETTING",
                                                 "EXTERNALIOIMPLICITACCESS",
                                                 "EXTERNALCONNECTION"};
const std::set<std::string> kConnectionPrivileges = {"ALL", "USAGE", "DROP"};
const std::set<std::string> kDatabasePrivileges = {"ALL",    "CONNECT", "CREATE",    "DROP",
                                                   "BACKUP", "RESTORE", "SELECT",    "INSERT",
                                                   "UPDATE", "DELETE",  "ZONECONFIG"};
const std::set<std::string> kTablePrivileges = {"ALL",  "SELECT", "INSERT", "UPDATE",    "DELETE",
                                                "DROP", "CREATE", "BACKUP", "ZONECONFIG"};

std::string Lower(std::string s) { return AsciiLower(s); }

std::string_view KindName(GrantObject::Kind k) {
  switch (k) {
    case GrantObject::Kind::kSystem:
      return "system";
    case GrantObject::Kind::kDatabase:
      return "database";
    case GrantObject::Kind::kTable:
      return "table";
    case GrantObject::Kind::kExternalConnection:
      return "external_connection";
  }
  return "table";
}

}  // namespace

Status AccessControl::ValidateName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 63 &&
            (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      ok = false;
    }
  }
  if (!ok) {
    return InvalidArgumentError("invalid user or role name \"" + name +
                                "\": use letters, digits, _, - and . (starting with a letter or "
                                "_), at most 63 characters");
  }
  return Status::OK();
}

Status AccessControl::Init() { return dir_->system().Exec(kAccessSchema); }

StatusOr<bool> AccessControl::Exists(const std::string& name) const {
  ASSIGN_OR_RETURN(SqliteStmt st, dir_->system().Prepare("SELECT 1 FROM users WHERE name = ?"));
  st.Bind(1, name);
  return st.Step();
}

StatusOr<AccessControl::Login> AccessControl::GetLogin(const std::string& user) const {
  ASSIGN_OR_RETURN(SqliteStmt st,
                   dir_->system().Prepare("SELECT can_login, verifier FROM users WHERE name = ?"));
  st.Bind(1, Lower(user));
  Login login;
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return login;
  login.exists = true;
  login.can_login = st.ColumnInt(0) != 0;
  if (!st.ColumnIsNull(1)) login.verifier = st.ColumnText(1);
  return login;
}

StatusOr<Privileges> AccessControl::Load(const std::string& user_in) const {
  const std::string user = Lower(user_in);
  ASSIGN_OR_RETURN(bool exists, Exists(user));
  if (!exists) return NotFoundError("user \"" + user + "\" does not exist");
  Privileges p;
  p.user = user;
  // Every role the user belongs to, transitively (cycles are refused when granting, and the
  // visited set stops any that a hand-edited table might hold).
  std::set<std::string> names = {user};
  std::vector<std::string> pending = {user};
  ASSIGN_OR_RETURN(SqliteStmt roles,
                   dir_->system().Prepare("SELECT role FROM role_members WHERE member = ?"));
  while (!pending.empty()) {
    std::string m = pending.back();
    pending.pop_back();
    RETURN_IF_ERROR(roles.Reset());
    roles.Bind(1, m);
    while (true) {
      ASSIGN_OR_RETURN(bool row, roles.Step());
      if (!row) break;
      std::string r = roles.ColumnText(0);
      if (names.insert(r).second) pending.push_back(r);
    }
  }
  p.admin = user == kRootUser || names.count(kAdminRole);
  ASSIGN_OR_RETURN(SqliteStmt grants,
                   dir_->system().Prepare(
                       "SELECT object_kind, object, privilege FROM grants WHERE grantee = ?"));
  for (const std::string& n : names) {
    RETURN_IF_ERROR(grants.Reset());
    grants.Bind(1, n);
    while (true) {
      ASSIGN_OR_RETURN(bool row, grants.Step());
      if (!row) break;
      std::string kind = grants.ColumnText(0), object = grants.ColumnText(1),
                  priv = grants.ColumnText(2);
      if (kind == "system") {
        p.system.insert(priv);
      } else if (kind == "database") {
        p.database[object].insert(priv);
      } else if (kind == "external_connection") {
        p.external_connection[object].insert(priv);
      } else {
        p.table[object].insert(priv);
      }
    }
  }
  return p;
}

Status AccessControl::RequireAdmin(const Privileges& actor, std::string_view what) const {
  if (actor.admin) return Status::OK();
  return PermissionDeniedError("only admin users can " + std::string(what) + " (user " +
                               actor.user + " is not a member of role admin)")
      .WithDetail(ErrorDetail::kInsufficientPrivilege);
}

Status AccessControl::SetOptions(const std::string& name, const RoleOptions& options) {
  if (options.password) {
    std::optional<std::string> verifier;
    if (*options.password) {
      if ((*options.password)->empty()) {
        return InvalidArgumentError(
            "a password must not be empty (use PASSWORD NULL to remove "
            "password login)");
      }
      ASSIGN_OR_RETURN(std::string v, MakeScramVerifier(**options.password));
      verifier = std::move(v);
    }
    ASSIGN_OR_RETURN(SqliteStmt st,
                     dir_->system().Prepare("UPDATE users SET verifier = ? WHERE name = ?"));
    if (verifier) {
      st.Bind(1, *verifier);
    } else {
      st.BindNull(1);
    }
    st.Bind(2, name);
    RETURN_IF_ERROR(st.Run());
  }
  if (options.login) {
    ASSIGN_OR_RETURN(SqliteStmt st,
                     dir_->system().Prepare("UPDATE users SET can_login = ? WHERE name = ?"));
    st.Bind(1, static_cast<int64_t>(*options.login ? 1 : 0));
    st.Bind(2, name);
    RETURN_IF_ERROR(st.Run());
  }
  return Status::OK();
}

StatusOr<ResultSet> AccessControl::Run(const Privileges& actor, const CreateRole& s) {
  RETURN_IF_ERROR(RequireAdmin(actor, "create users and roles"));
  const std::string name = Lower(s.name);
  RETURN_IF_ERROR(ValidateName(name));
  const std::string tag = "CREATE ROLE";  // PostgreSQL's tag for users and roles alike
  ASSIGN_OR_RETURN(bool exists, Exists(name));
  if (exists) {
    if (s.if_not_exists) return TagResult(tag);
    return AlreadyExistsError("a role or user named " + name + " already exists")
        .WithDetail(ErrorDetail::kDuplicateObject);
  }
  RETURN_IF_ERROR(dir_->system().BeginImmediate());
  auto rollback = [&](Status st) {
    dir_->system().Exec("ROLLBACK").IgnoreError();
    return st;
  };
  auto st = dir_->system().Prepare("INSERT INTO users (name, is_role, can_login) VALUES (?,?,?)");
  if (!st.ok()) return rollback(st.status());
  st->Bind(1, name);
  st->Bind(2, static_cast<int64_t>(s.is_user ? 0 : 1));
  st->Bind(3, static_cast<int64_t>(s.is_user ? 1 : 0));
  Status r = st->Run();
  if (r.ok()) r = SetOptions(name, s.options);
  if (!r.ok()) return rollback(r);
  RETURN_IF_ERROR(dir_->system().Exec("COMMIT"));
  return TagResult(tag);
}

StatusOr<ResultSet> AccessControl::Run(const Privileges& actor, const AlterRole& s) {
  const std::string name = Lower(s.name);
  // Users may change their own password, as in CockroachDB.
  bool own_password = name == actor.user && !s.options.login && s.options.password;
  if (!own_password) RETURN_IF_ERROR(RequireAdmin(actor, "alter users and roles"));
  ASSIGN_OR_RETURN(bool exists, Exists(name));
  if (!exists) {
    if (s.if_exists) return TagResult("ALTER ROLE");
    return NotFoundError("role/user \"" + name + "\" does not exist");
  }
  RETURN_IF_ERROR(SetOptions(name, s.options));
  return TagResult("ALTER ROLE");
}

StatusOr<ResultSet> AccessControl::Run(const Privileges& actor, const DropRole& s) {
  RETURN_IF_ERROR(RequireAdmin(actor, "drop users and roles"));
  std::vector<std::string> names;
  for (const auto& n : s.names) {
    std::string name = Lower(n);
    if (name == kRootUser || name == kAdminRole) {
      return InvalidArgumentError("cannot drop special role " + name);
    }
    if (name == actor.user) return InvalidArgumentError("a user cannot drop itself");
    ASSIGN_OR_RETURN(bool exists, Exists(name));
    if (!exists) {
      if (s.if_exists) continue;
      return NotFoundError("role/user \"" + name + "\" does not exist");
    }
    names.push_back(name);
  }
  RETURN_IF_ERROR(dir_->system().BeginImmediate());
  for (const auto& name : names) {
    for (const char* sql : {"DELETE FROM users WHERE name = ?",
                            "DELETE FROM role_members WHERE role = ?1 OR member = ?1",
                            "DELETE FROM grants WHERE grantee = ?"}) {
      auto st = dir_->system().Prepare(sql);
      Status r = st.status();
      if (r.ok()) {
        st->Bind(1, name);
        r = st->Run();
      }
      if (!r.ok()) {
        dir_->system().Exec("ROLLBACK").IgnoreError();
        return r;
      }
    }
  }
  RETURN_IF_ERROR(dir_->system().Exec("COMMIT"));
  return TagResult("DROP ROLE");
}

StatusOr<ResultSet> AccessControl::Run(const Privileges& actor, const GrantPrivileges& s,
                                       const std::string& current_db) {
  RETURN_IF_ERROR(RequireAdmin(actor, s.revoke ? "revoke privileges" : "grant privileges"));
  const std::set<std::string>& valid =
      s.on.kind == GrantObject::Kind::kSystem               ? kSystemPrivileges
      : s.on.kind == GrantObject::Kind::kDatabase           ? kDatabasePrivileges
      : s.on.kind == GrantObject::Kind::kExternalConnection ? kConnectionPrivileges
                                                            : kTablePrivileges;
  for (const auto& p : s.privileges) {
    if (!valid.count(p)) {
      return InvalidArgumentError("invalid privilege type " + p + " for " +
                                  std::string(KindName(s.on.kind)));
    }
  }
  std::vector<std::string> objects;
  if (s.on.kind == GrantObject::Kind::kSystem) {
    objects.push_back("");
  } else if (s.on.kind == GrantObject::Kind::kDatabase) {
    for (const auto& db : s.on.names) {
      ASSIGN_OR_RETURN(bool exists, dir_->HasDatabase(db));
      if (!exists) return NotFoundError("database \"" + db + "\" does not exist");
      objects.push_back(db);
    }
  } else if (s.on.kind == GrantObject::Kind::kExternalConnection) {
    for (const auto& name : s.on.names) {
      ASSIGN_OR_RETURN(SqliteStmt st,
                       dir_->system().Prepare("SELECT 1 FROM external_connections WHERE name = ?"));
      st.Bind(1, name);
      ASSIGN_OR_RETURN(bool exists, st.Step());
      if (!exists) return NotFoundError("external connection \"" + name + "\" does not exist");
      objects.push_back(name);
    }
  } else {
    for (const auto& t : s.on.names) {
      std::string db = t.substr(0, t.find('.'));
      std::string table = t.substr(t.find('.') + 1);
      if (db.empty()) db = current_db;
      ASSIGN_OR_RETURN(DatabaseInfo info, dir_->GetDatabase(db));
      if (table != "*") {
        ASSIGN_OR_RETURN(SqliteDb conn, SqliteDb::Open(info.path, false, true));
        ASSIGN_OR_RETURN(auto tables, DataDir::ListTables(conn));
        if (std::find(tables.begin(), tables.end(), table) == tables.end()) {
          return NotFoundError("relation \"" + db + "." + table + "\" does not exist")
              .WithDetail(ErrorDetail::kUndefinedTable);
        }
      }
      objects.push_back(db + "." + table);
    }
  }
  std::vector<std::string> grantees;
  for (const auto& g : s.grantees) {
    std::string name = Lower(g);
    ASSIGN_OR_RETURN(bool exists, Exists(name));
    if (!exists) return NotFoundError("role/user \"" + name + "\" does not exist");
    grantees.push_back(name);
  }
  RETURN_IF_ERROR(dir_->system().BeginImmediate());
  const char* sql = s.revoke ? "DELETE FROM grants WHERE grantee = ? AND object_kind = ? AND "
                               "object = ? AND (privilege = ?4 OR ?4 = 'ALL')"
                             : "INSERT OR IGNORE INTO grants VALUES (?, ?, ?, ?)";
  for (const auto& g : grantees) {
    for (const auto& o : objects) {
      for (const auto& p : s.privileges) {
        auto st = dir_->system().Prepare(sql);
        Status r = st.status();
        if (r.ok()) {
          st->Bind(1, g).Bind(2, KindName(s.on.kind)).Bind(3, o).Bind(4, p);
          r = st->Run();
        }
        if (!r.ok()) {
          dir_->system().Exec("ROLLBACK").IgnoreError();
          return r;
        }
      }
    }
  }
  RETURN_IF_ERROR(dir_->system().Exec("COMMIT"));
  return TagResult(s.revoke ? "REVOKE" : "GRANT");
}

StatusOr<ResultSet> AccessControl::Run(const Privileges& actor, const GrantRoles& s) {
  RETURN_IF_ERROR(RequireAdmin(actor, s.revoke ? "revoke roles" : "grant roles"));
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& r : s.roles) {
    std::string role = Lower(r);
    ASSIGN_OR_RETURN(bool exists, Exists(role));
    if (!exists) return NotFoundError("role/user \"" + role + "\" does not exist");
    for (const auto& m : s.members) {
      std::string member = Lower(m);
      ASSIGN_OR_RETURN(bool mexists, Exists(member));
      if (!mexists) return NotFoundError("role/user \"" + member + "\" does not exist");
      if (role == member) return InvalidArgumentError(role + " cannot be a member of itself");
      if (!s.revoke) {
        // Refuse cycles: role must not already be (transitively) a member of member.
        ASSIGN_OR_RETURN(
            SqliteStmt st,
            dir_->system().Prepare(
                "WITH RECURSIVE up(r) AS (SELECT ?1 UNION SELECT role FROM "
                "role_members JOIN up ON member = up.r) SELECT 1 FROM up WHERE r = ?2"));
        st.Bind(1, role).Bind(2, member);
        ASSIGN_OR_RETURN(bool cycle, st.Step());
        if (cycle) {
          return InvalidArgumentError("making " + member + " a member of " + role +
                                      " would create a cycle");
        }
      }
      pairs.emplace_back(role, member);
    }
  }
  for (const auto& [role, member] : pairs) {
    ASSIGN_OR_RETURN(SqliteStmt st,
                     dir_->system().Prepare(s.revoke ? "DELETE FROM role_members WHERE role = ? "
                                                       "AND member = ?"
                                                     : "INSERT OR IGNORE INTO role_members "
                                                       "VALUES (?, ?)"));
    st.Bind(1, role).Bind(2, member);
    RETURN_IF_ERROR(st.Run());
  }
  return TagResult(s.revoke ? "REVOKE" : "GRANT");
}

StatusOr<ResultSet> AccessControl::Run(const ShowRoles& s) const {
  ASSIGN_OR_RETURN(
      SqliteStmt st,
      dir_->system().Prepare(
          "SELECT name, CASE WHEN can_login = 0 THEN 'NOLOGIN' ELSE '' END, "
          "(SELECT '{' || group_concat(role, ',') || '}' FROM (SELECT role FROM role_members "
          "WHERE member = users.name ORDER BY role)) FROM users WHERE ?1 = 0 OR is_role = 0 "
          "ORDER BY name"));
  st.Bind(1, static_cast<int64_t>(s.users_only ? 1 : 0));
  ResultSet rs;
  rs.columns = {{"username"}, {"options"}, {"member_of"}};
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    rs.rows.push_back({st.ColumnText(0), st.ColumnText(1),
                       st.ColumnIsNull(2) ? std::string("{}") : st.ColumnText(2)});
  }
  return rs;
}

StatusOr<ResultSet> AccessControl::Run(const ShowGrants& s, const std::string& current_db) const {
  std::string where = "1";
  std::vector<std::string> binds;
  if (s.on) {
    where += " AND object_kind = ?";
    binds.push_back(std::string(KindName(s.on->kind)));
    if (!s.on->names.empty()) {
      where += " AND object IN (";
      for (size_t i = 0; i < s.on->names.size(); ++i) {
        std::string n = s.on->names[i];
        if (s.on->kind == GrantObject::Kind::kTable && n.starts_with(".")) n = current_db + n;
        where += i ? ",?" : "?";
        binds.push_back(n);
      }
      where += ")";
    }
  }
  if (!s.grantees.empty()) {
    where += " AND grantee IN (";
    for (size_t i = 0; i < s.grantees.size(); ++i) {
      where += i ? ",?" : "?";
      binds.push_back(Lower(s.grantees[i]));
    }
    where += ")";
  }
  ASSIGN_OR_RETURN(SqliteStmt st, dir_->system().Prepare(
                                      "SELECT object_kind, object, grantee, privilege FROM grants "
                                      "WHERE " +
                                      where + " ORDER BY 1, 2, 3, 4"));
  for (size_t i = 0; i < binds.size(); ++i) st.Bind(static_cast<int>(i + 1), binds[i]);
  ResultSet rs;
  rs.columns = {{"object_type"}, {"object_name"}, {"grantee"}, {"privilege_type"}};
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    rs.rows.push_back({st.ColumnText(0), st.ColumnText(1), st.ColumnText(2), st.ColumnText(3)});
  }
  return rs;
}

}  // namespace cofre::sql
