#include "engine/journal_switch.h"

#include <sys/stat.h>

#include "util/file_util.h"

namespace cofre {

namespace {

std::string MarkerPath(const std::string& path) { return path + kWalPendingSuffix; }

// Removes the marker (best effort: a marker left behind only switches a WAL file to WAL).
void ClearWalPending(const std::string& path) {
  RemoveFileIfExists(MarkerPath(path), "the WAL marker").IgnoreError();
}

// Asks for journal mode `mode` on the main database of `db`; returns the mode it is in then
// ("" when even that cannot be read). A switch that fails (the file is locked by another
// connection, among others) leaves the mode as it was.
std::string SetJournalMode(const SqliteDb& db, const std::string& mode) {
  StatusOr<std::optional<std::string>> got = db.QueryText("PRAGMA main.journal_mode = " + mode);
  if (!got.ok()) got = db.QueryText("PRAGMA main.journal_mode");
  if (!got.ok() || !got->has_value()) return "";
  return **got;
}

// SetJournalMode without waiting for another connection's lock; the connection's busy timeout
// is as it was afterwards.
StatusOr<std::string> SetJournalModeNow(const SqliteDb& db, const std::string& mode) {
  ASSIGN_OR_RETURN(std::optional<int64_t> timeout, db.QueryInt("PRAGMA busy_timeout"));
  RETURN_IF_ERROR(db.Exec("PRAGMA busy_timeout = 0"));
  std::string now = SetJournalMode(db, mode);
  RETURN_IF_ERROR(db.Exec("PRAGMA busy_timeout = " + std::to_string(timeout.value_or(0))));
  return now;
}

}  // namespace

StatusOr<std::unique_ptr<RollbackJournalForBulkCopy>> RollbackJournalForBulkCopy::Begin(
    const SqliteDb& db, const std::string& path) {
  ASSIGN_OR_RETURN(std::optional<std::string> mode, db.QueryText("PRAGMA main.journal_mode"));
  if (mode.value_or("") != "wal") return std::unique_ptr<RollbackJournalForBulkCopy>();
  // Invariant 2: the marker is on disk before the file leaves WAL.
  RETURN_IF_ERROR(
      WriteFileAtomically(MarkerPath(path), "", "the WAL marker of a table restore's target"));
  // Invariant 1: another connection holding the file makes the switch fail at once.
  ASSIGN_OR_RETURN(const std::string now, SetJournalModeNow(db, "delete"));
  if (now != "delete") {
    // Still in WAL; a mode that cannot be read keeps the marker, which at worst switches the
    // file to WAL at its next open.
    if (now == "wal") ClearWalPending(path);
    return std::unique_ptr<RollbackJournalForBulkCopy>();
  }
  RETURN_IF_ERROR(db.Exec("PRAGMA main.synchronous = FULL"));  // invariant 3
  return std::unique_ptr<RollbackJournalForBulkCopy>(new RollbackJournalForBulkCopy(db, path));
}

RollbackJournalForBulkCopy::~RollbackJournalForBulkCopy() {
  if (SetJournalMode(db_, "wal") != "wal") return;  // the marker stays (invariant 4)
  db_.Exec("PRAGMA main.synchronous = NORMAL").IgnoreError();
  ClearWalPending(path_);
}

bool WalPending(const std::string& path) {
  struct stat st;
  return ::stat(MarkerPath(path).c_str(), &st) == 0;
}

bool ReturnToWalIfPending(const SqliteDb& db, const std::string& path) {
  if (!WalPending(path)) return false;
  StatusOr<std::string> now = SetJournalModeNow(db, "wal");
  if (!now.ok() || *now != "wal") return false;
  ClearWalPending(path);
  return true;
}

}  // namespace cofre
