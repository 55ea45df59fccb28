#include "engine/snapshot.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "engine/file_state.h"
#include "engine/readahead_vfs.h"

namespace cofre {

namespace {

using Clock = std::chrono::steady_clock;

// Attempts that may end with fewer readers than wanted before those are accepted.
constexpr int kFullSetAttempts = 8;
// Short sleeps: in rollback-journal mode a busy writer leaves readers brief windows between its
// commits, and only frequent attempts meet them (each costs a lock attempt, no I/O).
constexpr auto kFirstBackoff = std::chrono::microseconds(100);
constexpr auto kMaxBackoff = std::chrono::microseconds(2000);

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsBusy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

// Runs `sql` (one statement) and stores the first column of its first row in `*out` when given.
// Returns the SQLite result code, so that busy can be told from other failures.
int RunOne(sqlite3* db, const char* sql, int64_t* out = nullptr) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW && out) *out = sqlite3_column_int64(stmt, 0);
  while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

// Starts a read transaction that pins the file's current state.
int BeginRead(const SqliteDb& db) {
  int rc = RunOne(db.get(), "BEGIN");
  if (rc != SQLITE_OK) return rc;
  rc = RunOne(db.get(), "SELECT count(*) FROM sqlite_schema");
  if (rc != SQLITE_OK) RunOne(db.get(), "ROLLBACK");
  return rc;
}

std::string Seconds(Clock::duration d) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.1f s",
           std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0);
  return buf;
}

struct Attempt {
  int rc = SQLITE_OK;  // busy, or another failure of the first reader
  std::string message;
  int readers = 0;  // readers on one state (0 when the first could not start)
  bool rollback_journal = false;
  std::optional<WalSnapshotHeader> wal;  // WAL mode: the snapshot's wal-index header
};

// One attempt at starting `readers` on one state of the file (see snapshot.h).
// `wal_header` says whether the file looked like WAL before: only then is the probe read first
// (in rollback mode it would need a SHARED lock of its own, a second chance to meet a writer).
Attempt TryOnce(std::vector<SqliteDb>& readers, const SqliteDb& probe, bool wal_header) {
  Attempt a;
  int64_t before = 0;
  bool probed = false;
  if (wal_header) {
    a.rc = RunOne(probe.get(), "PRAGMA data_version", &before);
    probed = a.rc == SQLITE_OK;
  }
  if (a.rc == SQLITE_OK) a.rc = BeginRead(readers[0]);
  if (a.rc != SQLITE_OK) {
    a.message = sqlite3_errstr(a.rc);
    return a;
  }
  a.readers = 1;
  const char* mode = nullptr;
  sqlite3_stmt* stmt = nullptr;
  std::string journal;
  if (sqlite3_prepare_v2(readers[0].get(), "PRAGMA journal_mode", -1, &stmt, nullptr) ==
          SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW &&
      (mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)))) {
    journal = mode;
  }
  sqlite3_finalize(stmt);
  a.rollback_journal = journal != "wal";
  for (size_t i = 1; i < readers.size(); ++i) {
    if (BeginRead(readers[i]) != SQLITE_OK) break;
    if (!a.rollback_journal) {
      // WAL: the reader is on the first one's state only if nothing committed since `before`
      // (unknown when the file became WAL after its header was read: then one reader only).
      int64_t now = 0;
      if (!probed || RunOne(probe.get(), "PRAGMA data_version", &now) != SQLITE_OK ||
          now != before) {
        RunOne(readers[i].get(), "ROLLBACK");
        break;
      }
    }
    ++a.readers;
  }
  if (probed && !a.rollback_journal) {
    // The wal-index header the readers started from, for reading pages (engine/page_view.h):
    // valid only when still nothing committed.
    auto header = ReadWalSnapshotHeader(readers[0].get());
    int64_t now = 0;
    if (header && RunOne(probe.get(), "PRAGMA data_version", &now) == SQLITE_OK && now == before) {
      a.wal = std::move(header);
    }
  }
  return a;
}

void EndReads(std::vector<SqliteDb>& readers) {
  for (auto& r : readers) {
    if (!sqlite3_get_autocommit(r.get())) RunOne(r.get(), "ROLLBACK");
  }
}

}  // namespace

StatusOr<std::unique_ptr<Snapshot>> Snapshot::Take(const std::vector<DatabaseInfo>& databases,
                                                   const SnapshotOptions& options) {
  RETURN_IF_ERROR(ReadAheadVfs::Register());
  std::unique_ptr<Snapshot> snap(new Snapshot());
  const int wanted = std::max(1, options.readers_per_database);
  snap->readers_ = wanted;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + options.timeout;
  for (const auto& info : databases) {
    RETURN_IF_ERROR(DataDir::CheckFileExists(info));
    Db& db = snap->dbs_[info.name];
    // Connections first, so that the readers start within microseconds of each other. Busy is
    // handled here (backoff), not by SQLite's busy handler.
    // Readers read the database file in runs (engine/readahead_vfs.h).
    for (int i = 0; i < wanted; ++i) {
      ASSIGN_OR_RETURN(SqliteDb r, SqliteDb::Open(info.path, false, false, ReadAheadVfs::kName));
      sqlite3_busy_timeout(r.get(), 0);
      db.readers.push_back(std::move(r));
    }
    ASSIGN_OR_RETURN(SqliteDb probe, SqliteDb::Open(info.path, false));
    sqlite3_busy_timeout(probe.get(), 0);
    const Clock::time_point db_start = Clock::now();
    std::chrono::microseconds backoff = kFirstBackoff;
    int attempts = 0;
    Attempt a;
    StatusOr<FileStats> stats_before = FileStats();
    while (true) {
      ++attempts;
      // The files' state around the attempt: equal before and after, it is the snapshot's.
      stats_before = StatDatabaseFiles(info.path);
      a = TryOnce(db.readers, probe, FileHeaderSaysWal(info.path));
      if (a.readers == 0 && !IsBusy(a.rc)) {
        return UnavailableError("cannot start a read snapshot of database \"" + info.name +
                                "\": " + a.message);
      }
      const bool out_of_time = Clock::now() >= deadline;
      if (a.readers == wanted || (a.readers > 0 && (attempts >= kFullSetAttempts || out_of_time))) {
        break;
      }
      EndReads(db.readers);
      if (out_of_time) {
        const std::string held =
            FileHeaderSaysWal(info.path)
                ? "another connection held the file exclusively (a WAL recovery or an "
                  "application using locking_mode=EXCLUSIVE)"
                : "writers held its PENDING/EXCLUSIVE lock (in rollback-journal mode every "
                  "commit locks readers out while it writes)";
        return UnavailableError("cannot take a snapshot of database \"" + info.name + "\": " +
                                held + "; waited " + Seconds(Clock::now() - db_start) + " (" +
                                std::to_string(attempts) + " attempts, last: " + a.message + ")")
            .WithHint("wait longer with BACKUP ... WITH snapshot_timeout = '2m'");
      }
      std::this_thread::sleep_for(std::min<Clock::duration>(backoff, deadline - Clock::now()));
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
    // Keep only the readers on the snapshot's state.
    for (size_t i = static_cast<size_t>(a.readers); i < db.readers.size(); ++i) {
      if (!sqlite3_get_autocommit(db.readers[i].get())) RunOne(db.readers[i].get(), "ROLLBACK");
    }
    db.readers.resize(static_cast<size_t>(a.readers));
    db.rollback_journal = a.rollback_journal;
    db.wal = std::move(a.wal);
    db.path = info.path;
    auto stats_after = StatDatabaseFiles(info.path);
    auto counter = a.rollback_journal ? ReadChangeCounter(info.path) : StatusOr<uint32_t>(0);
    if (stats_before.ok() && stats_after.ok() && counter.ok()) {
      db.file_state =
          FileStateToken(*stats_before, *stats_after, !a.rollback_journal, db.wal, *counter)
              .value_or("");
    }
    db.time_micros = NowMicros();
    if (snap->first_micros_ == 0) snap->first_micros_ = db.time_micros;
    snap->time_micros_ = db.time_micros;
    snap->readers_ = std::min(snap->readers_, a.readers);
  }
  if (snap->first_micros_ == 0) snap->first_micros_ = snap->time_micros_ = NowMicros();
  return snap;
}

Snapshot::~Snapshot() {
  for (auto& [name, db] : dbs_) EndReads(db.readers);
}

const SqliteDb& Snapshot::reader(const std::string& name, int i) const {
  return dbs_.at(name).readers.at(static_cast<size_t>(i));
}

StatusOr<std::unique_ptr<PageView>> Snapshot::OpenPageView(const std::string& name) const {
  const Db& db = dbs_.at(name);
  if (db.rollback_journal) return PageView::OpenFrozen(db.path);
  if (db.wal) return PageView::OpenWal(db.path, *db.wal);
  return UnavailableError("the snapshot of database \"" + name +
                          "\" did not capture its WAL state: its pages cannot be read directly");
}

std::vector<std::string> Snapshot::rollback_journal() const {
  std::vector<std::string> out;
  for (const auto& [name, db] : dbs_) {
    if (db.rollback_journal) out.push_back(name);
  }
  return out;
}

}  // namespace cofre
