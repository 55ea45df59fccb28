// The abstract syntax of cofre's user, role and privilege statements (CockroachDB syntax):
//
//   CREATE USER|ROLE [IF NOT EXISTS] name [[WITH] option ...]
//       options: PASSWORD 'secret' | PASSWORD NULL | LOGIN | NOLOGIN
//   ALTER USER|ROLE [IF EXISTS] name [WITH] option ...
//   DROP USER|ROLE [IF EXISTS] name [, ...]
//   GRANT privilege [, ...] ON [TABLE] pattern [, ...] | DATABASE name [, ...] TO name [, ...]
//   GRANT SYSTEM privilege [, ...] TO name [, ...]
//   GRANT role [, ...] TO name [, ...]                (role membership)
//   REVOKE ... FROM ...                               (the same three forms)
//   SHOW USERS | SHOW ROLES
//   SHOW GRANTS [ON [TABLE] pattern | DATABASE name | SYSTEM] [FOR name [, ...]]
//
// Privilege names are upper-cased as written (ALL, SELECT, BACKUP, ...); the planner checks them.
// A password is a secret: it is never shown in errors, job records or logs.
// Thread-safety: plain values.
#ifndef COFRE_SQL_ACCESS_STATEMENTS_H_
#define COFRE_SQL_ACCESS_STATEMENTS_H_

#include <optional>
#include <string>
#include <vector>

namespace cofre::sql {

struct RoleOptions {
  // Unset: not given. Set to nullopt: PASSWORD NULL (no password login).
  std::optional<std::optional<std::string>> password;
  std::optional<bool> login;  // LOGIN / NOLOGIN
  bool operator==(const RoleOptions&) const = default;
};

struct CreateRole {
  std::string name;
  bool is_user = true;  // CREATE USER: LOGIN by default; CREATE ROLE: NOLOGIN
  bool if_not_exists = false;
  RoleOptions options;
  bool operator==(const CreateRole&) const = default;
};

struct AlterRole {
  std::string name;
  bool if_exists = false;
  RoleOptions options;
  bool operator==(const AlterRole&) const = default;
};

struct DropRole {
  std::vector<std::string> names;
  bool if_exists = false;
  bool operator==(const DropRole&) const = default;
};

// What a privilege is granted on.
struct GrantObject {
  enum class Kind { kSystem, kDatabase, kTable, kExternalConnection };
  Kind kind = Kind::kTable;
  // kDatabase: database names. kTable: "db.table" or "db.*" (db empty: the current database,
  // resolved by the planner). kExternalConnection: connection names.
  std::vector<std::string> names;
  bool operator==(const GrantObject&) const = default;
};

// GRANT / REVOKE of privileges.
struct GrantPrivileges {
  bool revoke = false;
  std::vector<std::string> privileges;
  GrantObject on;
  std::vector<std::string> grantees;
  bool operator==(const GrantPrivileges&) const = default;
};

// GRANT / REVOKE of role membership.
struct GrantRoles {
  bool revoke = false;
  std::vector<std::string> roles;
  std::vector<std::string> members;
  bool operator==(const GrantRoles&) const = default;
};

// SHOW USERS (users_only) / SHOW ROLES.
struct ShowRoles {
  bool users_only = false;
  bool operator==(const ShowRoles&) const = default;
};

struct ShowGrants {
  std::optional<GrantObject> on;
  std::vector<std::string> grantees;  // empty: everyone
  bool operator==(const ShowGrants&) const = default;
};

}  // namespace cofre::sql

#endif  // COFRE_SQL_ACCESS_STATEMENTS_H_
