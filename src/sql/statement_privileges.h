// The privileges cofre's own statements need (CockroachDB's rules):
//   BACKUP of the cluster: admin or SYSTEM BACKUP. Of databases: SYSTEM BACKUP or BACKUP on each
//     database. Of tables: SYSTEM BACKUP, or BACKUP or SELECT on each table.
//   RESTORE of the cluster or of databases: admin or SYSTEM RESTORE. Of tables: SYSTEM RESTORE
//     or RESTORE on the database restored into.
//   SHOW BACKUP(S), ALTER BACKUP: SYSTEM BACKUP or SYSTEM RESTORE (ALTER: SYSTEM BACKUP).
//   nodelocal:// and file:// URIs, and CREATE DATABASE ... FROM FILE: admin only (they reach the
//     server's own file system).
//   CREATE DATABASE: admin. DROP DATABASE: DROP on the database. USE: anyone (CONNECT is public).
// Each check returns OK or PermissionDenied with detail kInsufficientPrivilege.
// Thread-safety: pure functions.
#ifndef COFRE_SQL_STATEMENT_PRIVILEGES_H_
#define COFRE_SQL_STATEMENT_PRIVILEGES_H_

#include <string>

#include "sql/privileges.h"
#include "sql/statement.h"

namespace cofre::sql {

Status CheckPrivileges(const Privileges& p, const Backup& s, const std::string& current_db);
Status CheckPrivileges(const Privileges& p, const Restore& s, const std::string& current_db);
Status CheckPrivileges(const Privileges& p, const ShowBackups& s);
Status CheckPrivileges(const Privileges& p, const ShowBackup& s);
Status CheckPrivileges(const Privileges& p, const AlterBackup& s);
Status CheckPrivileges(const Privileges& p, const CreateDatabase& s);
Status CheckPrivileges(const Privileges& p, const DropDatabase& s);

}  // namespace cofre::sql

#endif  // COFRE_SQL_STATEMENT_PRIVILEGES_H_
