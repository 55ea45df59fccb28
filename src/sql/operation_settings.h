// OperationSettings: how cofre's own operations run beyond what a statement says: the size and
// threads of backups, the restore path, and test-only failpoints. The command line fills them
// once from the environment (cli/environment_settings.h names the variables); library code
// never reads the environment. The defaults are production's.
// Thread-safety: a plain value, copied into each session and statement.
#ifndef COFRE_SQL_OPERATION_SETTINGS_H_
#define COFRE_SQL_OPERATION_SETTINGS_H_

#include <cstdint>
#include <vector>

namespace cofre::sql {

struct OperationSettings {
  // BACKUP (docs/performance.md). 0 keeps backup::BackupSettings' default.
  uint64_t backup_target_file_bytes = 0;  // span/file target size (tests: splitting, compaction)
  int backup_threads = 0;                 // full and incremental export threads (at most 64)
  uint64_t backup_min_piece_rows = 0;     // smallest rowid range a table is split into
  uint64_t backup_frame_bytes = 0;        // data file frame size (tests: many frames on small data)
  // RESTORE writes b-tree pages directly where it can; false: every row through SQLite's INSERT
  // (for comparisons and tests).
  bool restore_bulk_pages = true;
  // RESTORE TABLE into a WAL database of cofre's own that no other connection has open moves the
  // rows in through a rollback journal, writing them once instead of twice
  // (engine/journal_switch.h); connections that open the database meanwhile wait for the copy.
  // On in `cofre sql`, which holds its data directory alone; off in the server, whose sessions
  // open databases at any time.
  bool restore_tables_through_journal = false;

  // Tests only; never set in production.
  // PBKDF2 iterations for new passphrase chains (0: the default; clamped to >= 1000).
  uint32_t test_passphrase_iterations = 0;
  // A runner BACKUP job kills its process (SIGKILL) when a checkpoint first holds finished spans
  // of N tables (0: never); pauses itself, as PAUSE JOB does, at the counts listed; kills its
  // process right after its BACKUP committed, before its job record says so. Each point fires
  // once per process (sql/backup_resume.h).
  uint64_t test_kill_at_checkpoint = 0;
  std::vector<uint64_t> test_pause_at_checkpoints;
  bool test_kill_after_commit = false;
  // RESTORE TABLE kills its process (SIGKILL) inside the copy's transaction, once the first
  // table went in.
  bool test_kill_during_table_copy = false;
};

}  // namespace cofre::sql

#endif  // COFRE_SQL_OPERATION_SETTINGS_H_
