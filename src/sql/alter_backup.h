// ALTER BACKUP: changing which KMS keys unlock an encrypted backup chain without touching its
// data (docs/architecture.md §4, docs/kms.md).
//
//   ALTER BACKUP LATEST|'subdir' IN 'collection'
//       ADD NEW_KMS = 'uri' | ('uri', ...) WITH OLD_KMS = 'uri' | ('uri', ...)
//       [DROP KMS = 'uri' | ('uri', ...) WITH OLD_KMS = ...]   (cofre extension)
//       [...more commands]
//
// Each command first unlocks the chain's data key with its OLD_KMS URIs (the first that works),
// proving the caller holds a key of the chain; ADD then wraps the data key with every new URI
// (all must succeed), DROP removes the entries its URIs' keys made. The commands apply in
// order to one copy of ENCRYPTION-INFO, which is written once, as the next version
// (BumpVersion), atomically, and only if every command succeeded and at least one key source
// remains. Data files, manifests and incrementals are never rewritten: the chain's data key
// stays the same, only the set of keys wrapping it changes.
// Passphrase chains are refused (the statement names KMS keys only); a passphrase entry of a
// chain that has one is kept as is.
// Thread-safety: one thread at a time per context.
#ifndef COFRE_SQL_ALTER_BACKUP_H_
#define COFRE_SQL_ALTER_BACKUP_H_

#include "sql/backup_statements.h"
#include "sql/statement.h"
#include "util/result_set.h"

namespace cofre::sql {

// Runs the statement; returns the tag "ALTER BACKUP". On error nothing is written.
StatusOr<ResultSet> ExecuteAlterBackup(const ExecContext& ctx, const AlterBackup& stmt);

}  // namespace cofre::sql

#endif  // COFRE_SQL_ALTER_BACKUP_H_
