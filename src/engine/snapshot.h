// Snapshot: a consistent read view of each of several database files, shared by several reader
// connections per file, taken without ever needing a file's write lock.
//
// Each database is snapshotted on its own with read transactions only (BEGIN, then a read that
// pins the state):
//   - WAL mode: a reader never blocks writers nor waits for them. Several readers of one file
//     see the same state when no commit landed while they started; a probe connection's
//     PRAGMA data_version, read before the first reader and after each later one, proves it.
//     A reader that started after a commit is dropped (and the whole set retried a few times).
//   - Rollback-journal modes (DELETE, TRUNCATE, PERSIST, MEMORY): the first reader's SHARED lock
//     freezes the file, so later readers see the same state. The price is the writers': no
//     commit can complete while the snapshot is held (Snapshot::rollback_journal() says so,
//     callers tell the user).
// A busy file (a writer holding PENDING/EXCLUSIVE in rollback mode, a WAL recovery, an exclusive
// locking mode) is retried with backoff until `timeout`; the error then names the database, what
// held it and how long cofre waited. Nothing here changes a file's journal mode or settings.
// Across databases the guarantee is per file: each database is exact at its own snapshot time;
// databases are snapshotted one after another, so two databases' states may be up to skew_micros()
// apart (bounded by the timeout).
// Thread-safety: each reader connection may be used by one thread at a time; distinct readers
// from different threads concurrently.
#ifndef COFRE_ENGINE_SNAPSHOT_H_
#define COFRE_ENGINE_SNAPSHOT_H_

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/data_dir.h"
#include "engine/page_view.h"
#include "engine/sqlite.h"

namespace cofre {

struct SnapshotOptions {
  // Readers wanted per database (>= 1). Fewer may be granted on a busy file (never 0).
  int readers_per_database = 1;
  // Total time to wait for all databases' snapshots while they are busy.
  std::chrono::milliseconds timeout{30000};
};

class Snapshot {
 public:
  static StatusOr<std::unique_ptr<Snapshot>> Take(const std::vector<DatabaseInfo>& databases,
                                                  const SnapshotOptions& options);
  ~Snapshot();

  // Reader `i` of database `name`. REQUIRES: name was given to Take; i < readers_per_database().
  const SqliteDb& reader(const std::string& name, int i = 0) const;
  // Readers available for every database (the fewest any database got; at least 1).
  int readers_per_database() const { return readers_; }
  // Microseconds since the epoch when the last database's snapshot was taken (the backup's end
  // time: every database's state is at most skew_micros() older).
  int64_t time_micros() const { return time_micros_; }
  // Time between the first and the last database's snapshot (0 for one database).
  int64_t skew_micros() const { return time_micros_ - first_micros_; }
  // When database `name`'s snapshot was taken.
  int64_t time_micros(const std::string& name) const { return dbs_.at(name).time_micros; }
  // Databases in a rollback-journal mode, whose writers cannot commit while this lives.
  std::vector<std::string> rollback_journal() const;
  // The pages of database `name` as this snapshot sees them (engine/page_view.h). Unavailable
  // when the snapshot could not pin them (a WAL whose index was busy): callers read rows instead.
  StatusOr<std::unique_ptr<PageView>> OpenPageView(const std::string& name) const;
  // A token of database `name`'s files at this snapshot (engine/file_state.h): a later snapshot
  // with the same token sees the same content. Empty when it could not be proved (a write
  // landed while the snapshot was taken, a file changed too recently, a WAL index not captured).
  const std::string& file_state(const std::string& name) const { return dbs_.at(name).file_state; }

 private:
  struct Db {
    std::vector<SqliteDb> readers;
    int64_t time_micros = 0;
    bool rollback_journal = false;
    std::optional<WalSnapshotHeader> wal;
    std::string path;
    std::string file_state;
  };
  Snapshot() = default;
  std::map<std::string, Db> dbs_;
  int readers_ = 1;
  int64_t time_micros_ = 0;
  int64_t first_micros_ = 0;
};

}  // namespace cofre

#endif  // COFRE_ENGINE_SNAPSHOT_H_
