// External connections: named storage and KMS URIs (CockroachDB's CREATE EXTERNAL CONNECTION),
// kept in the system database and used as 'external://name[/sub/path]' wherever BACKUP,
// RESTORE, SHOW BACKUP(S) and ALTER BACKUP take a storage URI or a KMS URI.
//
// The URI, which may carry credentials, is stored once, sealed with the data directory's
// NodeKey (jobs/node_key.h, purpose "cofre external connection <name>"), next to its redacted
// form, which is all SHOW, errors and job records ever show. Who may do what:
//   create:  admin, or the EXTERNALCONNECTION system privilege (and nodelocal:// or file://
//            storage is admin only, as for BACKUP);
//   use:     admin, the connection's owner (its creator), or USAGE on it
//            (GRANT USAGE ON EXTERNAL CONNECTION name TO user);
//   drop:    admin, the owner, or DROP on it; SHOW lists the connections one may use.
// Thread-safety: one thread at a time per instance (it uses the DataDir's system connection).
#ifndef COFRE_SQL_EXTERNAL_CONNECTIONS_H_
#define COFRE_SQL_EXTERNAL_CONNECTIONS_H_

#include <string>
#include <vector>

#include "engine/data_dir.h"
#include "sql/privileges.h"
#include "sql/statement.h"
#include "util/result_set.h"
#include "util/status.h"

namespace cofre::sql {

class ExternalConnections {
 public:
  explicit ExternalConnections(DataDir* dir) : dir_(dir) {}
  // Creates the system table when missing.
  Status Init();

  StatusOr<ResultSet> Run(const Privileges& actor, const CreateExternalConnection& s);
  StatusOr<ResultSet> Run(const Privileges& actor, const DropExternalConnection& s);
  StatusOr<ResultSet> Run(const Privileges& actor, const ShowExternalConnections& s);

  // The URI `uri` stands for: `uri` itself unless it is external://name[/path], then the
  // connection's URI with /path appended to its path. NotFound for an unknown connection,
  // PermissionDenied without USAGE. The result may hold credentials: wipe it after use.
  StatusOr<std::string> Resolve(const Privileges& actor, const std::string& uri);
  // FailedPrecondition when one of `roles` (DROP ROLE's names) owns a connection: it would be
  // left to whoever takes the name next.
  Status RefuseOwners(const std::vector<std::string>& roles);
  // Resolves every URI of `uris` in place.
  Status ResolveAll(const Privileges& actor, std::vector<std::string>* uris);
  // Resolves the URIs of the kms and incremental_location options in place.
  Status ResolveOptions(const Privileges& actor, std::vector<Option>* options);

 private:
  DataDir* dir_;
};

// Resolves the external:// URIs of a BACKUP, RESTORE, SHOW BACKUP(S) or ALTER BACKUP in place
// (a no-op for any other statement, or when none is used).
Status ResolveExternalUris(ExternalConnections* connections, const Privileges& actor,
                           Statement* stmt);

}  // namespace cofre::sql

#endif  // COFRE_SQL_EXTERNAL_CONNECTIONS_H_
