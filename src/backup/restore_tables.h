// Restoring tables into an existing database (RESTORE TABLE ... WITH into_db), a step of
// RunRestore (backup/restore.h).
// Thread-safety: one call per thread.
#ifndef COFRE_BACKUP_RESTORE_TABLES_H_
#define COFRE_BACKUP_RESTORE_TABLES_H_

#include <string>
#include <vector>

#include "backup/restore.h"
#include "backup/restore_build.h"
#include "engine/data_dir.h"
#include "proto/backup_manifest.pb.h"
#include "util/status.h"

namespace cofre::restore_build {

// Restores some tables into an existing database, all in one transaction on it: only those
// tables are written, and their indexes and triggers come with them. Rows go in one of three
// ways, table by table:
//   - appended: into a WAL database of cofre's own that no other connection has open, when the
//     caller allows it (RestoreRequest::tables_through_journal), the b-trees of the tables the
//     page writer covers whole are written past the end of the target's file and linked into
//     its schema by the transaction (restore_append.h, engine/pending_append.h);
//   - copied: the other tables of a UTF-8 target are built in a staging file as a whole
//     database is, then moved in by SQLite's record copy (engine/table_transfer.h);
//   - inserted: otherwise every row goes in through INSERT.
// Either way a failed or stopped restore leaves the target as it was. `req` gives the chain's
// storage and keys, the data directory (for the staging files) and the restore's options.
Status RestoreTablesInto(const DatabaseInfo& target, const proto::Database& pdb,
                         const std::vector<std::string>& tables, RestoreProgress* progress,
                         RestoreResult* result, const RestoreRequest& req);

}  // namespace cofre::restore_build

#endif  // COFRE_BACKUP_RESTORE_TABLES_H_
