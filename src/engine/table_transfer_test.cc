// TransferTableRows: every row (rowid, values, overflow pages) and index entry arrives, whether
// SQLite copies records as they are or, where it cannot or would renumber rows, row by row.
#include "engine/table_transfer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

class TableTransferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("cofre-transfer-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A source file holding table t (`create`, then `extra` statements) with rows whose rowids
  // have gaps, some values past a page (overflow chains), and NULLs; and a target connection
  // holding the same definitions with no rows, the source attached as "src".
  SqliteDb Prepare(const std::string& create, const std::vector<std::string>& extra,
                   const std::vector<std::string>& target_extra) {
    const std::string src = dir_ + "/src.db";
    {
      auto db = SqliteDb::Open(src, true);
      EXPECT_THAT(db.status(), IsOk());
      EXPECT_THAT(db->Exec(create), IsOk());
      for (const auto& sql : extra) EXPECT_THAT(db->Exec(sql), IsOk());
      EXPECT_THAT(db->Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                           "WHERE i < 2000) INSERT INTO t(rowid, a, b) SELECT i * 7, i, CASE "
                           "WHEN i % 50 = 0 THEN randomblob(9000) WHEN i % 13 = 0 THEN NULL "
                           "ELSE 'v' || i END FROM n"),
                  IsOk());
    }
    auto db = SqliteDb::Open(dir_ + "/dst.db", true);
    EXPECT_THAT(db.status(), IsOk());
    EXPECT_THAT(db->Exec(create), IsOk());
    for (const auto& sql : target_extra) EXPECT_THAT(db->Exec(sql), IsOk());
    EXPECT_THAT(db->Exec("ATTACH DATABASE '" + src + "' AS src"), IsOk());
    return std::move(*db);
  }

  // Every row with its rowid and every index entry of t, as text, from schema `s`.
  static std::vector<std::string> Dump(const SqliteDb& db, const std::string& s) {
    std::vector<std::string> out;
    auto rows = db.Prepare("SELECT rowid, a, quote(b) FROM " + s + ".t ORDER BY rowid");
    EXPECT_THAT(rows.status(), IsOk());
    while (rows.ok()) {
      auto more = rows->Step();
      EXPECT_THAT(more.status(), IsOk());
      if (!more.ok() || !*more) break;
      out.push_back(rows->ColumnText(0) + "|" + rows->ColumnText(1) + "|" + rows->ColumnText(2));
    }
    return out;
  }

  static std::string IntegrityCheck(const SqliteDb& db) {
    auto result = db.QueryText("PRAGMA main.integrity_check");
    return result.ok() && *result ? **result : "error";
  }

  std::string dir_;
};

TEST_F(TableTransferTest, MatchingTableWithIndexesIsCopiedAsRecordsKeepingRowids) {
  const std::string index = "CREATE INDEX t_b ON t(b)";
  SqliteDb db = Prepare("CREATE TABLE t(a INTEGER, b)", {index}, {index});
  ASSERT_OK_AND_ASSIGN(bool copied, TransferTableRows(db, "src", "main", "t", "rowid, a, b"));
  EXPECT_TRUE(copied);
  EXPECT_EQ(Dump(db, "main"), Dump(db, "src"));
  EXPECT_EQ(Dump(db, "main").size(), 2000u);
  EXPECT_EQ(IntegrityCheck(db), "ok");
}

TEST_F(TableTransferTest, IntegerPrimaryKeyTableIsCopiedAsRecords) {
  SqliteDb db = Prepare("CREATE TABLE t(id INTEGER PRIMARY KEY, a, b)", {}, {});
  ASSERT_OK_AND_ASSIGN(bool copied, TransferTableRows(db, "src", "main", "t", "id, a, b"));
  EXPECT_TRUE(copied);
  EXPECT_EQ(Dump(db, "main"), Dump(db, "src"));
  EXPECT_EQ(IntegrityCheck(db), "ok");
}

TEST_F(TableTransferTest, TableSQLiteWouldRenumberGoesRowByRowWithItsRowids) {
  // No INTEGER PRIMARY KEY and no index: SQLite's record copy would give rows new rowids.
  SqliteDb db = Prepare("CREATE TABLE t(a, b)", {}, {});
  ASSERT_OK_AND_ASSIGN(bool copied, TransferTableRows(db, "src", "main", "t", "rowid, a, b"));
  EXPECT_FALSE(copied);
  EXPECT_EQ(Dump(db, "main"), Dump(db, "src"));
  EXPECT_EQ(Dump(db, "main").front().substr(0, 2), "7|");
}

TEST_F(TableTransferTest, IndexTheSourceLacksMeansRowByRowAndTheIndexIsFilled) {
  SqliteDb db = Prepare("CREATE TABLE t(a INTEGER, b)", {}, {"CREATE INDEX t_b ON t(b)"});
  ASSERT_OK_AND_ASSIGN(bool copied, TransferTableRows(db, "src", "main", "t", "rowid, a, b"));
  EXPECT_FALSE(copied);
  EXPECT_EQ(Dump(db, "main"), Dump(db, "src"));
  ASSERT_OK_AND_ASSIGN(auto indexed, db.QueryInt("SELECT count(*) FROM main.t INDEXED BY t_b "
                                                 "WHERE b IS NOT NULL OR b IS NULL"));
  EXPECT_EQ(indexed.value_or(0), 2000);
  EXPECT_EQ(IntegrityCheck(db), "ok");
}

TEST_F(TableTransferTest, GeneratedColumnsArriveComputedWhicheverWaySQLiteTakes) {
  // Copied as records, or (no INTEGER PRIMARY KEY with an index: SQLite cannot even plan SELECT *
  // into the table, its row-by-row fallback would give c a value) row by row by stored columns.
  struct Case {
    std::string create, columns;
    bool with_index;
  };
  for (const Case& c :
       {Case{"CREATE TABLE t(id INTEGER PRIMARY KEY, a, b, c AS (a * 2) STORED)", "id, a, b",
             false},
        Case{"CREATE TABLE t(id INTEGER PRIMARY KEY, a, b, c AS (a * 2) STORED)", "id, a, b", true},
        Case{"CREATE TABLE t(a, b, c AS (a * 2))", "rowid, a, b", true}}) {
    SCOPED_TRACE(c.create + (c.with_index ? " with an index" : ""));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::vector<std::string> extra;
    if (c.with_index) extra.push_back("CREATE INDEX t_c ON t(c)");
    SqliteDb db = Prepare(c.create, extra, extra);
    ASSERT_OK_AND_ASSIGN(bool copied, TransferTableRows(db, "src", "main", "t", c.columns));
    if (c.columns == "rowid, a, b") {
      EXPECT_FALSE(copied);
    }
    EXPECT_EQ(Dump(db, "main"), Dump(db, "src"));
    ASSERT_OK_AND_ASSIGN(auto wrong, db.QueryInt("SELECT count(*) FROM main.t WHERE c != a * 2"));
    EXPECT_EQ(wrong.value_or(-1), 0);
    EXPECT_EQ(IntegrityCheck(db), "ok");
  }
}

TEST_F(TableTransferTest, TriggerOnTheDestinationFiresAndRowsStillArrive) {
  SqliteDb db = Prepare("CREATE TABLE t(id INTEGER PRIMARY KEY, a, b)", {},
                        {"CREATE TABLE log(n)",
                         "CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO "
                         "log VALUES(new.id); END"});
  ASSERT_OK_AND_ASSIGN(bool copied, TransferTableRows(db, "src", "main", "t", "id, a, b"));
  EXPECT_FALSE(copied);
  EXPECT_EQ(Dump(db, "main"), Dump(db, "src"));
  ASSERT_OK_AND_ASSIGN(auto logged, db.QueryInt("SELECT count(*) FROM log"));
  EXPECT_EQ(logged.value_or(0), 2000);
}

TEST_F(TableTransferTest, MissingSourceTableIsAnError) {
  SqliteDb db = Prepare("CREATE TABLE t(a, b)", {}, {"CREATE TABLE u(a, b)"});
  EXPECT_THAT(TransferTableRows(db, "src", "main", "u", "rowid, a, b").status(),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cofre
