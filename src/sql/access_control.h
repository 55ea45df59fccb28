// AccessControl: the users, roles and grants of a data directory (system database tables
// `users`, `role_members` and `grants`), and the statements that change and show them.
//
// `root` and the role `admin` always exist; root is a member of admin and neither can be
// dropped. Passwords are stored only as SCRAM-SHA-256 verifiers (crypto/scram.h). User and role
// names are case-insensitive (lower-cased) as in CockroachDB.
// Changing users, roles and grants needs admin. SHOW USERS/ROLES/GRANTS are open to everyone.
// Thread-safety: one thread at a time per object; several sessions may share a data directory
// (each with its own AccessControl); SQLite serialises their writes.
#ifndef COFRE_SQL_ACCESS_CONTROL_H_
#define COFRE_SQL_ACCESS_CONTROL_H_

#include <optional>
#include <string>

#include "engine/data_dir.h"
#include "sql/access_statements.h"
#include "sql/privileges.h"
#include "util/result_set.h"

namespace cofre::sql {

inline constexpr char kRootUser[] = "root";
inline constexpr char kAdminRole[] = "admin";

class AccessControl {
 public:
  explicit AccessControl(DataDir* dir) : dir_(dir) {}

  // Creates the tables, root and admin when missing. REQUIRES: called before anything else.
  Status Init();

  struct Login {
    bool exists = false;
    bool can_login = false;
    std::optional<std::string> verifier;  // no password set: nullopt
  };
  // What authentication needs to know of `user` (exists = false for an unknown name).
  StatusOr<Login> GetLogin(const std::string& user) const;

  // The effective privileges of `user`. NotFound when the user does not exist.
  StatusOr<Privileges> Load(const std::string& user) const;

  // The statements. `actor` is the session's privileges (admin needed to change anything);
  // `current_db` resolves unqualified table names.
  StatusOr<ResultSet> Run(const Privileges& actor, const CreateRole& s);
  StatusOr<ResultSet> Run(const Privileges& actor, const AlterRole& s);
  StatusOr<ResultSet> Run(const Privileges& actor, const DropRole& s);
  StatusOr<ResultSet> Run(const Privileges& actor, const GrantPrivileges& s,
                          const std::string& current_db);
  StatusOr<ResultSet> Run(const Privileges& actor, const GrantRoles& s);
  StatusOr<ResultSet> Run(const ShowRoles& s) const;
  StatusOr<ResultSet> Run(const ShowGrants& s, const std::string& current_db) const;

  // Valid names: letters, digits, '_', '-' and '.', starting with a letter or '_', at most 63.
  static Status ValidateName(const std::string& name);

 private:
  Status RequireAdmin(const Privileges& actor, std::string_view what) const;
  StatusOr<bool> Exists(const std::string& name) const;
  Status SetOptions(const std::string& name, const RoleOptions& options);

  DataDir* dir_;
};

}  // namespace cofre::sql

#endif  // COFRE_SQL_ACCESS_CONTROL_H_
