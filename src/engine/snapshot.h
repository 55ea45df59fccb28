// Snapshot: one consistent read view of several database files, shared by several connections.
//
// SQLite has no shared snapshots in this build, so Snapshot takes them the safe way: it briefly
// takes the write lock of every file (BEGIN IMMEDIATE, in a fixed order, waiting for writers up
// to the busy timeout), opens a read transaction on every reader connection while no writer can
// commit, then releases the write locks. All readers therefore see the same committed state of
// every file, whoever writes to them (cofre or any other SQLite client), and writers are blocked
// only for the milliseconds this takes. Readers keep their transactions until destruction.
// Thread-safety: each reader connection may be used by one thread at a time; distinct readers
// from different threads concurrently.
#ifndef COFRE_ENGINE_SNAPSHOT_H_
#define COFRE_ENGINE_SNAPSHOT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/data_dir.h"
#include "engine/sqlite.h"

namespace cofre {

class Snapshot {
 public:
  // Opens `readers_per_database` (>= 1) connections per database, all on one consistent state.
  static StatusOr<std::unique_ptr<Snapshot>> Take(const std::vector<DatabaseInfo>& databases,
                                                  int readers_per_database);
  ~Snapshot();

  // Reader `i` of database `name`. REQUIRES: name was given to Take; i < readers_per_database.
  const SqliteDb& reader(const std::string& name, int i = 0) const;
  int readers_per_database() const { return readers_; }
  // Microseconds since the epoch at which the snapshot was taken (the backup's end time).
  int64_t time_micros() const { return time_micros_; }

 private:
  Snapshot() = default;
  std::map<std::string, std::vector<SqliteDb>> readers_by_db_;
  int readers_ = 1;
  int64_t time_micros_ = 0;
};

}  // namespace cofre

#endif  // COFRE_ENGINE_SNAPSHOT_H_
