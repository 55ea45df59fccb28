// Privileges: what one user may do, loaded from the system database (sql/access_control.h), and
// the SQLite authorizer that enforces them on statements cofre hands to SQLite.
//
// A user holds the privileges granted to it and to every role it belongs to (transitively).
// `admin` (root, or a member of role admin) may do everything. Object privileges:
//   system:   BACKUP, RESTORE (cluster-wide), MODIFYCLUSTERSETTING, VIEWJOB, ...
//   database: ALL, CONNECT, CREATE, DROP, BACKUP, RESTORE (and SELECT/INSERT/UPDATE/DELETE for
//             every table of the database)
//   table:    ALL, SELECT, INSERT, UPDATE, DELETE, DROP, CREATE (on "db.t", or "db.*")
// The authorizer maps each SQLite action to one of these: reads to SELECT, writes to
// INSERT/UPDATE/DELETE, CREATE/ALTER to CREATE on the database, DROP to DROP; ATTACH, DETACH,
// writing PRAGMAs and load_extension are refused for everyone but admin. cofre's own ATTACH of
// the databases a statement names runs with the authorizer suspended (Suspend()).
// Thread-safety: a Privileges value is immutable once loaded; an Authorizer belongs to one
// connection and is used by that connection's thread.
#ifndef COFRE_SQL_PRIVILEGES_H_
#define COFRE_SQL_PRIVILEGES_H_

#include <sqlite3.h>

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre::sql {

struct Privileges {
  std::string user;
  bool admin = false;
  std::set<std::string> system;                           // e.g. "BACKUP"
  std::map<std::string, std::set<std::string>> database;  // db -> privileges
  std::map<std::string, std::set<std::string>> table;     // "db.t" or "db.*" -> privileges
  // External connection name -> USAGE, DROP, ALL (sql/external_connections.h).
  std::map<std::string, std::set<std::string>> external_connection;

  bool HasSystem(std::string_view priv) const;
  // `priv` on database `db` (ALL counts for every privilege).
  bool HasDatabase(const std::string& db, std::string_view priv) const;
  // `priv` on table `db.t`: granted on the table, on db.*, or on the database.
  bool HasTable(const std::string& db, const std::string& t, std::string_view priv) const;
  // `priv` on external connection `name` (ALL counts for every privilege).
  bool HasConnection(const std::string& name, std::string_view priv) const;
  // Any privilege at all on `db` or one of its tables (enough to USE it).
  bool HasAnyOn(const std::string& db) const;
};

// PermissionDenied with detail kInsufficientPrivilege: "user u does not have P privilege on X".
Status InsufficientPrivilege(const std::string& user, std::string_view privilege,
                             const std::string& object);

// The SQLite authorizer of one passthrough connection.
class Authorizer {
 public:
  // Installs itself on `db` (replacing any authorizer). `privileges` must outlive the Authorizer
  // or the next Install. A null `privileges` (admin or embedded use) installs nothing.
  void Install(sqlite3* db, const Privileges* privileges);
  // The database the connection calls `main`.
  void set_current_database(std::string name) { current_ = std::move(name); }
  // While a Suspension lives, every action is allowed (cofre's own ATTACH/DETACH).
  class Suspension {
   public:
    explicit Suspension(Authorizer* a) : a_(a) { a_->suspended_++; }
    ~Suspension() { a_->suspended_--; }
    Suspension(const Suspension&) = delete;
    Suspension& operator=(const Suspension&) = delete;

   private:
    Authorizer* a_;
  };
  // The refusal of the last denied action (for a clear error), or OK.
  Status TakeDenial();

 private:
  static int Callback(void* self, int action, const char* a, const char* b, const char* db,
                      const char* trigger);
  int Decide(int action, const char* a, const char* b, const char* db);
  int Deny(std::string_view privilege, const std::string& object);
  std::string DatabaseName(const char* schema) const;

  const Privileges* privileges_ = nullptr;
  std::string current_;
  int suspended_ = 0;
  Status denial_;
};

}  // namespace cofre::sql

#endif  // COFRE_SQL_PRIVILEGES_H_
