// The environment variables the cofre command reads into sql::OperationSettings, once, at the
// start of `cofre sql`, `cofre start` and `cofre demo` (library code never reads the
// environment):
//   COFRE_BACKUP_TARGET_FILE_BYTES  span/file target size of backups (tests: small values
//                                   exercise span splitting and compaction on small data)
//   COFRE_BACKUP_THREADS            export threads of full and incremental backups (1..64)
//   COFRE_BACKUP_MIN_PIECE_ROWS     smallest rowid range a table is split into for export
//   COFRE_BACKUP_FRAME_BYTES        frame size of data files (tests: small values make many
//                                   frames on small data, for partial read-back)
//   COFRE_RESTORE_BULK=0            RESTORE inserts every row through SQLite (comparisons)
// Tests only, never in production:
//   COFRE_TEST_PASSPHRASE_ITERATIONS  PBKDF2 iterations of new passphrase chains (>= 1000)
//   COFRE_TEST_KILL_AT_CHECKPOINT=N   a runner BACKUP job kills the server at its N-th checkpoint
//   COFRE_TEST_PAUSE_AT_CHECKPOINTS=N1,N2,...  ... pauses itself at those checkpoints
//   COFRE_TEST_KILL_AFTER_COMMIT=1    ... kills the server right after its BACKUP committed
// Unset, empty or unparsable values keep the default.
// Thread-safety: call before starting threads (reads the process environment).
#ifndef COFRE_CLI_ENVIRONMENT_SETTINGS_H_
#define COFRE_CLI_ENVIRONMENT_SETTINGS_H_

#include "sql/operation_settings.h"

namespace cofre {

sql::OperationSettings OperationSettingsFromEnvironment();

}  // namespace cofre

#endif  // COFRE_CLI_ENVIRONMENT_SETTINGS_H_
