// SqliteDb::BeginImmediate: a write transaction begun while a statement of the same connection
// still reads is refused every time, not only when another connection happened to commit in
// between (then SQLite itself fails at once with "database is locked", without waiting).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/sqlite.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

class SqliteTransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() /
             ("cofre-sqlite-tx-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    ASSERT_OK_AND_ASSIGN(SqliteDb db, SqliteDb::Open(path_, true));
    ASSERT_THAT(db.QueryText("PRAGMA journal_mode=WAL").status(), IsOk());
    ASSERT_THAT(db.Exec("CREATE TABLE t(k TEXT PRIMARY KEY, v INT); INSERT INTO t VALUES('a', 1)"),
                IsOk());
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  }
  std::string path_;
};

TEST_F(SqliteTransactionTest, WhatSQLiteDoesWhenAReaderBecomesAWriterAfterAnotherCommit) {
  ASSERT_OK_AND_ASSIGN(SqliteDb a, SqliteDb::Open(path_, false));
  ASSERT_OK_AND_ASSIGN(SqliteDb b, SqliteDb::Open(path_, false));
  ASSERT_OK_AND_ASSIGN(SqliteStmt read, a.Prepare("SELECT v FROM t WHERE k = 'a'"));
  ASSERT_OK_AND_ASSIGN(bool row, read.Step());
  ASSERT_TRUE(row);
  ASSERT_THAT(b.Exec("UPDATE t SET v = 2"), IsOk());
  // SQLite's own failure, immediate despite the busy timeout: the race the guard below removes.
  EXPECT_FALSE(a.Exec("BEGIN IMMEDIATE").ok());
}

TEST_F(SqliteTransactionTest, BeginImmediateRefusesWhileAStatementReads) {
  ASSERT_OK_AND_ASSIGN(SqliteDb a, SqliteDb::Open(path_, false));
  {
    ASSERT_OK_AND_ASSIGN(SqliteStmt read, a.Prepare("SELECT v FROM t WHERE k = 'a'"));
    ASSERT_OK_AND_ASSIGN(bool row, read.Step());
    ASSERT_TRUE(row);
    // No other connection committed: SQLite would allow it, the guard does not.
    EXPECT_THAT(a.BeginImmediate(), StatusIs(StatusCode::kInternal));
  }
  // Once the reader is gone, and after a reader that ran to its end, it begins.
  ASSERT_OK_AND_ASSIGN(SqliteStmt done, a.Prepare("SELECT v FROM t WHERE k = 'zz'"));
  ASSERT_OK_AND_ASSIGN(bool row, done.Step());
  EXPECT_FALSE(row);
  ASSERT_THAT(a.BeginImmediate(), IsOk());
  ASSERT_THAT(a.Exec("UPDATE t SET v = 3; COMMIT"), IsOk());
  EXPECT_EQ(a.QueryInt("SELECT v FROM t")->value_or(0), 3);
}

}  // namespace
}  // namespace cofre
