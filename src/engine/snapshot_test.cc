// Snapshot: never needs the write lock (a writer in the middle of a transaction does not delay it
// in WAL mode), all readers of a file see one state while another thread commits back to back,
// a file held exclusively fails after the timeout with the database, the cause and the wait, and
// the file's journal mode is never changed.
#include "engine/snapshot.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace cofre {
namespace {

namespace fs = std::filesystem;

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cofre-snapshot-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  DatabaseInfo MakeDb(const std::string& mode) {
    DatabaseInfo info{"app", (dir_ / "app.db").string(), true};
    auto db = SqliteDb::Open(info.path, true);
    EXPECT_TRUE(db.ok());
    EXPECT_TRUE(db->QueryText("PRAGMA journal_mode=" + mode).ok());
    EXPECT_TRUE(db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INT);"
                         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
                         "WHERE x < 100) INSERT INTO t SELECT x, 0 FROM c")
                    .ok());
    return info;
  }

  std::string Mode(const DatabaseInfo& info) {
    auto db = SqliteDb::Open(info.path, false);
    EXPECT_TRUE(db.ok());
    return db->QueryText("PRAGMA journal_mode")->value_or("");
  }

  fs::path dir_;
};

TEST_F(SnapshotTest, WalWriterInTransactionDoesNotDelayTheSnapshot) {
  DatabaseInfo info = MakeDb("wal");
  auto writer = SqliteDb::Open(info.path, false);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->Exec("BEGIN IMMEDIATE; UPDATE t SET v = 1").ok());
  const auto start = std::chrono::steady_clock::now();
  auto snap = Snapshot::Take({info}, SnapshotOptions{4, std::chrono::milliseconds(500)});
  ASSERT_TRUE(snap.ok()) << snap.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
  EXPECT_EQ((*snap)->readers_per_database(), 4);
  EXPECT_TRUE((*snap)->rollback_journal().empty());
  // The writer commits while the snapshot lives; the readers keep the state before.
  ASSERT_TRUE(writer->Exec("COMMIT").ok());
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(*(*snap)->reader("app", i).QueryInt("SELECT sum(v) FROM t"), 0);
  }
  EXPECT_EQ(Mode(info), "wal");
}

TEST_F(SnapshotTest, ReadersShareOneStateUnderBackToBackCommits) {
  for (const std::string mode : {"wal", "delete"}) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    DatabaseInfo info = MakeDb(mode);
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      auto db = SqliteDb::Open(info.path, false);
      ASSERT_TRUE(db.ok());
      while (!stop) db->Exec("BEGIN IMMEDIATE; UPDATE t SET v = v + 1; COMMIT").IgnoreError();
    });
    for (int round = 0; round < 20; ++round) {
      auto snap = Snapshot::Take({info}, SnapshotOptions{4, std::chrono::milliseconds(30000)});
      EXPECT_TRUE(snap.ok()) << mode << ": " << snap.status().message();
      if (!snap.ok()) break;
      EXPECT_EQ((*snap)->rollback_journal().size(), mode == "wal" ? 0u : 1u);
      std::optional<int64_t> first;
      for (int i = 0; i < (*snap)->readers_per_database(); ++i) {
        auto sum = (*snap)->reader("app", i).QueryInt("SELECT sum(v) FROM t");
        EXPECT_TRUE(sum.ok());
        if (!sum.ok()) break;
        if (!first) first = **sum;
        EXPECT_EQ(**sum, *first) << mode << ": reader " << i << " is on another state";
      }
      // The state stays while the writer goes on committing.
      if (mode == "wal") std::this_thread::sleep_for(std::chrono::milliseconds(20));
      for (int i = 0; first && i < (*snap)->readers_per_database(); ++i) {
        EXPECT_EQ(*(*snap)->reader("app", i).QueryInt("SELECT sum(v) FROM t"), first)
            << mode << ": reader " << i << " left its snapshot";
      }
    }
    stop = true;
    writer.join();
    EXPECT_EQ(Mode(info), mode);
  }
}

TEST_F(SnapshotTest, FileHeldExclusivelyFailsAfterTheTimeoutNamingTheCause) {
  DatabaseInfo info = MakeDb("delete");
  auto holder = SqliteDb::Open(info.path, false);
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(holder->Exec("BEGIN EXCLUSIVE").ok());
  const auto start = std::chrono::steady_clock::now();
  auto snap = Snapshot::Take({info}, SnapshotOptions{2, std::chrono::milliseconds(300)});
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(snap.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(snap.status().message().find("database \"app\""), std::string::npos);
  EXPECT_NE(snap.status().message().find("PENDING/EXCLUSIVE"), std::string::npos);
  EXPECT_NE(snap.status().message().find("waited 0.3 s"), std::string::npos)
      << snap.status().message();
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_LT(waited, std::chrono::milliseconds(2000));
  ASSERT_TRUE(holder->Exec("ROLLBACK").ok());
  EXPECT_TRUE(Snapshot::Take({info}, SnapshotOptions{2}).ok());
  EXPECT_EQ(Mode(info), "delete");
}

}  // namespace
}  // namespace cofre

namespace cofre {
namespace {

// POSIX locks belong to the process: reading the files must not drop the locks that this
// process's connections hold (closing any descriptor of a file would).
TEST_F(SnapshotTest, ReadingPagesKeepsTheProcessLocks) {
  for (const std::string mode : {"delete", "wal"}) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    DatabaseInfo info = MakeDb(mode);
    auto snap = Snapshot::Take({info}, SnapshotOptions{2});
    ASSERT_TRUE(snap.ok()) << snap.status().message();
    {
      auto view = (*snap)->OpenPageView("app");
      ASSERT_TRUE(view.ok()) << mode << ": " << view.status().message();
      std::string page;
      ASSERT_TRUE((*view)->Read(1, &page).ok());
      PageReader reader(**view);  // its own file object
      ASSERT_TRUE(reader.Read(2, 0).ok());
    }
    EXPECT_EQ(FileHeaderSaysWal(info.path), mode == "wal");
    // Another process (locks within one process are SQLite's own bookkeeping) must still find
    // the file held: in rollback mode it cannot commit, in WAL mode a checkpoint cannot finish.
    const std::string script =
        mode == "delete"
            ? "import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=0, "
              "isolation_level=None); c.execute('BEGIN IMMEDIATE'); "
              "c.execute('UPDATE t SET v = 7'); c.execute('COMMIT')"
            : "import sqlite3,sys; c=sqlite3.connect(sys.argv[1], isolation_level=None); "
              "c.execute('UPDATE t SET v = 7'); "
              "sys.exit(0 if c.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()[0] else 1)";
    const int rc =
        std::system(("python3 -c \"" + script + "\" " + info.path + " 2>/dev/null").c_str());
    if (mode == "delete") {
      EXPECT_NE(rc, 0) << "another process committed: the snapshot's SHARED lock was dropped";
    } else {
      EXPECT_EQ(rc, 0) << "a checkpoint completed: the snapshot's WAL read lock was dropped";
    }
    EXPECT_EQ(*(*snap)->reader("app").QueryInt("SELECT sum(v) FROM t"), 0);
  }
}

}  // namespace
}  // namespace cofre
