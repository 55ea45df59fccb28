// RollbackJournalForBulkCopy: moves a WAL database of cofre's own to a rollback journal while a
// large copy goes into it, and back to WAL afterwards.
//
// Into a WAL database every new page is written twice, to the WAL and again by the checkpoint,
// which copies it page by page and syncs the file a second time; into a rollback-journal
// database, pages appended past the end of the file need no journal and are written once. A
// table restore's copy of 1 GiB took 15 s through the WAL and 4 s through a journal
// (docs/performance.md, "RESTORE TABLE through a rollback journal").
//
// Invariants (docs/architecture.md §3 item 5, "Journal mode of a table restore's target"):
//   1. Leaving WAL needs the only connection to the file (SQLite's own rule): when another
//      connection has the database open, nothing changes and the copy goes through the WAL.
//   2. Before the file leaves WAL, a marker file (<database>-cofre-wal, synced with its
//      directory) records that it belongs in WAL; OpenDatabaseFile (data_dir.h) switches a file
//      with a marker back to WAL and removes the marker, so that a process killed during the
//      copy leaves the database in WAL mode at its next open.
//   3. The copy's transaction commits with synchronous = FULL, as every rollback-journal
//      transaction of cofre does.
//   4. The destructor switches back to WAL (synchronous NORMAL) and removes the marker; when
//      the switch back fails (another connection opened the file meanwhile and holds it), the
//      marker stays for the next open.
// Thread-safety: one object per connection, used on the connection's thread.
#ifndef COFRE_ENGINE_JOURNAL_SWITCH_H_
#define COFRE_ENGINE_JOURNAL_SWITCH_H_

#include <memory>
#include <string>

#include "engine/sqlite.h"
#include "util/status.h"

namespace cofre {

// The marker of invariant 2: `path` + this suffix.
inline constexpr char kWalPendingSuffix[] = "-cofre-wal";

class RollbackJournalForBulkCopy {
 public:
  // Switches the main database of `db` (the file at `path`, in WAL mode, no transaction open)
  // to a rollback journal. Returns null, having changed nothing, when the file is not in WAL
  // mode or another connection has it open. Fails only when the marker cannot be written.
  static StatusOr<std::unique_ptr<RollbackJournalForBulkCopy>> Begin(const SqliteDb& db,
                                                                     const std::string& path);
  ~RollbackJournalForBulkCopy();  // invariant 4; REQUIRES: no transaction open on `db`
  RollbackJournalForBulkCopy(const RollbackJournalForBulkCopy&) = delete;
  RollbackJournalForBulkCopy& operator=(const RollbackJournalForBulkCopy&) = delete;

 private:
  RollbackJournalForBulkCopy(const SqliteDb& db, std::string path)
      : db_(db), path_(std::move(path)) {}

  const SqliteDb& db_;
  const std::string path_;
};

// True when the file at `path` has the marker of invariant 2.
bool WalPending(const std::string& path);
// For OpenDatabaseFile: when the file at `path` has the marker, switches the main database of
// `db` (its connection, no transaction open) to WAL without waiting for a lock, and removes the
// marker. Returns true when the database is in WAL mode then; false (marker kept) when it has no
// marker, or when another connection holds the file (the table restore that wrote the marker,
// which switches it back itself).
bool ReturnToWalIfPending(const SqliteDb& db, const std::string& path);

}  // namespace cofre

#endif  // COFRE_ENGINE_JOURNAL_SWITCH_H_
