// FileState tokens (engine/file_state.h) through Snapshot::file_state: two snapshots of a file
// nobody wrote have the same token; any write by another connection (in place with the same
// size and its modification time set back, a commit left in the WAL, a checkpoint, VACUUM)
// changes it; a file written just before the snapshot has none.
#include "engine/file_state.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "engine/snapshot.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

class FileStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cofre-file-state-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    info_ = {"app", (dir_ / "app.db").string(), true};
  }
  void TearDown() override { fs::remove_all(dir_); }

  void MakeDb(const std::string& mode) {
    auto db = SqliteDb::Open(info_.path, true);
    ASSERT_THAT(db.status(), IsOk());
    ASSERT_THAT(db->QueryText("PRAGMA journal_mode=" + mode).status(), IsOk());
    ASSERT_THAT(db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INT);"
                         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
                         "WHERE x < 2000) INSERT INTO t SELECT x, 1000 FROM c"),
                IsOk());
  }

  // Lets the files' last change fall out of the racy window.
  static void Quiet() { std::this_thread::sleep_for(kRacyMargin + std::chrono::milliseconds(60)); }

  std::string Token() {
    auto snap = Snapshot::Take({info_}, SnapshotOptions{2});
    EXPECT_THAT(snap.status(), IsOk());
    return snap.ok() ? (*snap)->file_state("app") : "";
  }

  // Sets the modification time of `path` back to `mtime` (what a careless copy tool does).
  static void SetMtime(const std::string& path, const struct timespec& mtime) {
    struct timespec times[2] = {{0, UTIME_OMIT}, mtime};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

  fs::path dir_;
  DatabaseInfo info_;
};

TEST_F(FileStateTest, SameTokenOnlyWhileNobodyWrites) {
  for (const std::string mode : {"wal", "delete"}) {
    SCOPED_TRACE(mode);
    SetUp();
    MakeDb(mode);
    Quiet();
    const std::string t1 = Token();
    ASSERT_FALSE(t1.empty());
    EXPECT_EQ(Token(), t1);

    // An in-place update of the same size, its modification time set back: still seen.
    struct stat st;
    ASSERT_EQ(::stat(info_.path.c_str(), &st), 0);
    {
      auto db = SqliteDb::Open(info_.path, false);
      ASSERT_THAT(db.status(), IsOk());
      ASSERT_THAT(db->Exec("UPDATE t SET v = 1001 WHERE id = 77"), IsOk());
    }
    SetMtime(info_.path, st.st_mtim);
    Quiet();
    const std::string t2 = Token();
    ASSERT_FALSE(t2.empty());
    EXPECT_NE(t2, t1);
    EXPECT_EQ(Token(), t2);

    // VACUUM rewrites the file.
    {
      auto db = SqliteDb::Open(info_.path, false);
      ASSERT_THAT(db.status(), IsOk());
      ASSERT_THAT(db->Exec("DELETE FROM t WHERE id % 3 = 0; VACUUM"), IsOk());
    }
    Quiet();
    const std::string t3 = Token();
    ASSERT_FALSE(t3.empty());
    EXPECT_NE(t3, t2);
    EXPECT_NE(t3, t1);
    fs::remove_all(dir_);
  }
}

TEST_F(FileStateTest, CommitsLeftInTheWalAndCheckpointsChangeTheToken) {
  MakeDb("wal");
  // A writer that keeps its connection (so the WAL stays) and never checkpoints by itself.
  auto writer = SqliteDb::Open(info_.path, false);
  ASSERT_THAT(writer.status(), IsOk());
  ASSERT_THAT(writer->Exec("PRAGMA wal_autocheckpoint = 0; UPDATE t SET v = 5 WHERE id = 1"),
              IsOk());
  Quiet();
  const std::string t1 = Token();
  ASSERT_FALSE(t1.empty());
  EXPECT_EQ(Token(), t1);
  // Another commit into the WAL.
  ASSERT_THAT(writer->Exec("UPDATE t SET v = 6 WHERE id = 1"), IsOk());
  Quiet();
  const std::string t2 = Token();
  ASSERT_FALSE(t2.empty());
  EXPECT_NE(t2, t1);
  // A checkpoint that empties the WAL into the database file: same rows, other files.
  ASSERT_THAT(writer->Exec("PRAGMA wal_checkpoint(TRUNCATE)"), IsOk());
  Quiet();
  const std::string t3 = Token();
  ASSERT_FALSE(t3.empty());
  EXPECT_NE(t3, t2);
  // The WAL restarts over old frames: same size as before is not the same state.
  ASSERT_THAT(writer->Exec("UPDATE t SET v = 5 WHERE id = 1"), IsOk());
  Quiet();
  const std::string t4 = Token();
  EXPECT_NE(t4, t3);
  EXPECT_NE(t4, t1);
}

TEST_F(FileStateTest, TokenNeedsTheWalIndexInWalMode) {
  MakeDb("wal");
  Quiet();
  ASSERT_OK_AND_ASSIGN(FileStats stats, StatDatabaseFiles(info_.path));
  EXPECT_FALSE(FileStateToken(stats, stats, true, std::nullopt, 0).has_value());
  EXPECT_TRUE(FileStateToken(stats, stats, false, std::nullopt, 0).has_value());
  // Rollback modes: another change counter is another state.
  EXPECT_NE(FileStateToken(stats, stats, false, std::nullopt, 1),
            FileStateToken(stats, stats, false, std::nullopt, 2));
  FileStats later = stats;
  later.db.ctime_ns += 1;
  EXPECT_FALSE(FileStateToken(stats, later, false, std::nullopt, 0).has_value());
  // Changed within the margin before it was read: racy.
  FileStats racy = stats;
  racy.read_at_ns = std::max(racy.db.ctime_ns, racy.db.mtime_ns) + 1000;
  EXPECT_FALSE(FileStateToken(racy, racy, false, std::nullopt, 0).has_value());
  // A filesystem whose times come from another clock: never.
  FileStats remote = stats;
  remote.local_times = false;
  EXPECT_FALSE(FileStateToken(remote, remote, false, std::nullopt, 0).has_value());
}

}  // namespace
}  // namespace cofre
