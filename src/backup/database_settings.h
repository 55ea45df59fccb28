// Database settings: what a backup keeps of an SQLite file besides its tables and schema objects
// (journal mode, auto_vacuum, text encoding, ANALYZE's sqlite_stat1 / sqlite_stat4 rows), read at
// BACKUP into the manifest's Database and applied at RESTORE.
//
// Statistics are written by cofre's own statements with bound values, after checks: a row must
// name a restored table and, for an index, an index of that table; stat texts hold only the
// characters SQLite writes. Nothing from the manifest is executed.
// Thread-safety: free functions on the given connection.
#ifndef COFRE_BACKUP_DATABASE_SETTINGS_H_
#define COFRE_BACKUP_DATABASE_SETTINGS_H_

#include <string>
#include <vector>

#include "backup/schema_guard.h"
#include "backup/table_schema.h"
#include "engine/sqlite.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

// Reads the file settings of `db`'s main database into `pdb`.
Status ReadFileSettings(const SqliteDb& db, proto::Database* pdb);

// Reads the sqlite_stat1 and sqlite_stat4 rows of the tables of `schema` into `pdb`.
Status ReadStatistics(const SqliteDb& db, const DatabaseSchema& schema, proto::Database* pdb);

// For a UTF-16 database: a notice for each table holding text with unpaired UTF-16 surrogates,
// which SQLite rewrites when it converts the text to UTF-8 for the backup (one more scan of each
// table; nothing for UTF-8 databases).
Status ReportUnpairedSurrogates(const SqliteDb& db, const DatabaseSchema& schema,
                                const proto::Database& pdb, std::vector<std::string>* notices);

// Applies encoding and auto_vacuum to a new, empty staging file (before any table exists).
Status ApplyFileSettings(const SqliteDb& db, const proto::Database& pdb);

// The journal mode a restored file gets: the source's ("wal" for manifests that do not say).
std::string RestoredJournalMode(const proto::Database& pdb);

// Creates (empty) the statistics tables `pdb` places before its table number `position`
// (every one not yet created when `position` is the number of tables).
Status CreateStatisticsTables(const SqliteDb& db, SchemaGuard& guard, const proto::Database& pdb,
                              int position);

// Writes the statistics of `pdb` into the restored database (all its tables and indexes exist).
// DataLoss when a row names something the backup does not restore.
Status RestoreStatistics(const SqliteDb& db, SchemaGuard& guard, const proto::Database& pdb);

}  // namespace cofre

#endif  // COFRE_BACKUP_DATABASE_SETTINGS_H_
