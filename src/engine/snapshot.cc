#include "engine/snapshot.h"

#include <algorithm>
#include <chrono>

namespace cofre {

StatusOr<std::unique_ptr<Snapshot>> Snapshot::Take(const std::vector<DatabaseInfo>& databases,
                                                   int readers_per_database) {
  std::unique_ptr<Snapshot> snap(new Snapshot());
  snap->readers_ = std::max(1, readers_per_database);
  std::vector<DatabaseInfo> ordered = databases;
  std::sort(ordered.begin(), ordered.end(),
            [](const DatabaseInfo& a, const DatabaseInfo& b) { return a.path < b.path; });

  // 1. Stop writers: hold every file's write lock.
  std::vector<SqliteDb> lockers;
  for (const auto& db : ordered) {
    RETURN_IF_ERROR(DataDir::CheckFileExists(db));
    ASSIGN_OR_RETURN(SqliteDb locker, OpenDatabaseFile(db.path));
    Status st = locker.Exec("BEGIN IMMEDIATE");
    if (!st.ok()) {
      return st.Annotate("cannot take a consistent snapshot of database \"" + db.name + "\"");
    }
    lockers.push_back(std::move(locker));
  }
  // 2. Start every read transaction while nothing can commit.
  for (const auto& db : ordered) {
    auto& readers = snap->readers_by_db_[db.name];
    for (int i = 0; i < snap->readers_; ++i) {
      ASSIGN_OR_RETURN(SqliteDb reader, SqliteDb::Open(db.path, false));
      RETURN_IF_ERROR(reader.Exec("BEGIN"));
      // Reading the schema opens the read transaction now rather than at first use.
      ASSIGN_OR_RETURN(auto n, reader.QueryInt("SELECT count(*) FROM sqlite_schema"));
      (void)n;
      readers.push_back(std::move(reader));
    }
  }
  snap->time_micros_ = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  // 3. Let writers go.
  for (auto& locker : lockers) locker.Exec("ROLLBACK").IgnoreError();
  return snap;
}

Snapshot::~Snapshot() {
  for (auto& [name, readers] : readers_by_db_) {
    for (auto& r : readers) r.Exec("ROLLBACK").IgnoreError();
  }
}

const SqliteDb& Snapshot::reader(const std::string& name, int i) const {
  return readers_by_db_.at(name).at(i);
}

}  // namespace cofre
