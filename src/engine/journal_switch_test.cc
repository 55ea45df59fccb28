// RollbackJournalForBulkCopy against real SQLite files: a WAL database held by one connection
// takes a copy through a rollback journal and goes back to WAL; another open connection keeps it
// in WAL; a process that stopped in between (the object never destroyed) leaves a marker that
// the next OpenDatabaseFile acts on, without waiting for a copy still running.
#include "engine/journal_switch.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "engine/data_dir.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

class JournalSwitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cofre-journal-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "d.sqlite").string();
    auto db = OpenDatabaseFile(path_);  // a new file of cofre's own: WAL
    ASSERT_THAT(db.status(), IsOk());
    ASSERT_THAT(db->Exec("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)"), IsOk());
    ASSERT_THAT(db->Close(), IsOk());
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Mode(const SqliteDb& db) {
    auto m = db.QueryText("PRAGMA main.journal_mode");
    return m.ok() ? m->value_or("") : "error: " + m.status().ToString();
  }
  bool Marker() const { return fs::exists(path_ + kWalPendingSuffix); }

  fs::path dir_;
  std::string path_;
};

TEST_F(JournalSwitchTest, TheOnlyConnectionCopiesThroughAJournalThenReturnsToWal) {
  ASSERT_OK_AND_ASSIGN(SqliteDb db, OpenDatabaseFile(path_));
  ASSERT_EQ(Mode(db), "wal");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<RollbackJournalForBulkCopy> journal,
                         RollbackJournalForBulkCopy::Begin(db, path_));
    ASSERT_NE(journal, nullptr);
    EXPECT_EQ(Mode(db), "delete");
    EXPECT_TRUE(Marker());
    EXPECT_EQ(db.QueryInt("PRAGMA main.synchronous")->value_or(-1), 2);  // FULL
    ASSERT_THAT(db.Exec("BEGIN IMMEDIATE; INSERT INTO t(b) SELECT hex(randomblob(500)) FROM "
                        "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                        "WHERE x < 2000) SELECT x FROM c); COMMIT"),
                IsOk());
    EXPECT_FALSE(fs::exists(path_ + "-wal"));
  }
  EXPECT_EQ(Mode(db), "wal");
  EXPECT_EQ(db.QueryInt("PRAGMA main.synchronous")->value_or(-1), 1);  // NORMAL
  EXPECT_FALSE(Marker());
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM t")->value_or(-1), 2000);
  EXPECT_EQ(db.QueryText("PRAGMA integrity_check")->value_or(""), "ok");
}

TEST_F(JournalSwitchTest, AnotherOpenConnectionKeepsTheDatabaseInWal) {
  ASSERT_OK_AND_ASSIGN(SqliteDb other, OpenDatabaseFile(path_));
  ASSERT_EQ(other.QueryInt("SELECT count(*) FROM t")->value_or(-1), 0);  // holds the file
  ASSERT_OK_AND_ASSIGN(SqliteDb db, OpenDatabaseFile(path_));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RollbackJournalForBulkCopy> journal,
                       RollbackJournalForBulkCopy::Begin(db, path_));
  EXPECT_EQ(journal, nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));  // no waiting
  EXPECT_EQ(Mode(db), "wal");
  EXPECT_FALSE(Marker());
  // The connection's busy timeout is back for the copy that follows.
  EXPECT_EQ(db.QueryInt("PRAGMA busy_timeout")->value_or(-1), SqliteDb::kBusyTimeoutMs);
}

TEST_F(JournalSwitchTest, AFileOfAnotherJournalModeIsLeftAlone) {
  {
    ASSERT_OK_AND_ASSIGN(SqliteDb db, SqliteDb::Open(path_, false));
    ASSERT_EQ(db.QueryText("PRAGMA journal_mode = delete")->value_or(""), "delete");
  }
  ASSERT_OK_AND_ASSIGN(SqliteDb db, OpenDatabaseFile(path_));  // keeps its rollback journal
  ASSERT_EQ(Mode(db), "delete");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RollbackJournalForBulkCopy> journal,
                       RollbackJournalForBulkCopy::Begin(db, path_));
  EXPECT_EQ(journal, nullptr);
  EXPECT_FALSE(Marker());
  EXPECT_EQ(Mode(db), "delete");
}

TEST_F(JournalSwitchTest, AStoppedCopyLeavesAMarkerTheNextOpenActsOn) {
  // A child process switches, writes, and stops without switching back (no destructor runs).
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto db = OpenDatabaseFile(path_);
    if (!db.ok()) ::_exit(2);
    auto journal = RollbackJournalForBulkCopy::Begin(*db, path_);
    if (!journal.ok() || *journal == nullptr) ::_exit(3);
    if (!db->Exec("INSERT INTO t(b) VALUES ('kept')").ok()) ::_exit(4);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_TRUE(Marker());
  {
    // While another connection reads the file (a copy about to start, say), the switch back
    // cannot happen; the open does not wait for it and works in the file's current mode,
    // marker kept.
    ASSERT_OK_AND_ASSIGN(SqliteDb reading, SqliteDb::Open(path_, false));
    ASSERT_EQ(Mode(reading), "delete");
    ASSERT_THAT(reading.Exec("BEGIN; SELECT count(*) FROM t"), IsOk());
    const auto start = std::chrono::steady_clock::now();
    auto opened = OpenDatabaseFile(path_);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    ASSERT_THAT(opened.status(), IsOk());
    EXPECT_EQ(Mode(*opened), "delete");
    EXPECT_EQ(opened->QueryInt("SELECT count(*) FROM t")->value_or(-1), 1);
    EXPECT_TRUE(Marker());
    ASSERT_THAT(reading.Exec("COMMIT"), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(SqliteDb db, OpenDatabaseFile(path_));
  EXPECT_EQ(Mode(db), "wal");
  EXPECT_FALSE(Marker());
  EXPECT_EQ(db.QueryText("SELECT group_concat(b) FROM t")->value_or(""), "kept");
}

}  // namespace
}  // namespace cofre
