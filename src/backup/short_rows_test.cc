#include "backup/short_rows.h"

#include <gtest/gtest.h>

#include "backup/data_file_format.h"
#include "backup/table_exporter.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fmt = data_file_format;

// A table's manifest entry as a backup describes it from `db`.
proto::Table Describe(const SqliteDb& db, const std::string& name, TableSchema* schema) {
  auto s = ReadDatabaseSchema(db, "main", {name});
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  *schema = s->tables.at(0);
  proto::Table t;
  DescribeTable(*schema, &t);
  return t;
}

class ShortRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_, SqliteDb::Open(":memory:", true));
    ASSERT_THAT(db_.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, CHECK (a <> ''))"),
                IsOk());
    before_ = Describe(db_, "t", &schema_);
  }
  // The entry after `alter`, when it is an ADD COLUMN (else nullopt).
  std::optional<proto::Table> After(const std::string& alter) {
    EXPECT_THAT(db_.Exec(alter), IsOk());
    proto::Table now = Describe(db_, "t", &schema_);
    auto added = DescribeAddedColumns(db_, before_, schema_, &now);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    if (!added.ok() || !*added) return std::nullopt;
    return now;
  }
  // The value a stored row lacking column `col` of `table` reads.
  static rowcodec::ValueRef Missing(const proto::Table& table, size_t col) {
    auto d = ShortRowDefaults::ForTable(table);
    EXPECT_TRUE(d.ok());
    return d->Missing(col);
  }

  SqliteDb db_;
  TableSchema schema_;
  proto::Table before_;
};

TEST_F(ShortRowsTest, AddedColumnsReadTheirDefaultsAsSqliteDoes) {
  auto now = After(
      "ALTER TABLE t ADD COLUMN b INTEGER DEFAULT '12';"
      "ALTER TABLE t ADD COLUMN c TEXT DEFAULT 5;"
      "ALTER TABLE t ADD COLUMN d REAL DEFAULT 2;"
      "ALTER TABLE t ADD COLUMN e BLOB DEFAULT x'00ff';"
      "ALTER TABLE t ADD COLUMN f DEFAULT -3;"
      "ALTER TABLE t ADD COLUMN g");
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->short_row_columns(), 2u);
  EXPECT_EQ(Missing(*now, 2).tag, fmt::kInteger);
  EXPECT_EQ(Missing(*now, 2).i, 12);
  EXPECT_EQ(Missing(*now, 3).tag, fmt::kText);
  EXPECT_EQ(Missing(*now, 3).bytes, "5");
  EXPECT_EQ(Missing(*now, 4).tag, fmt::kReal);
  EXPECT_EQ(Missing(*now, 4).d, 2.0);
  EXPECT_EQ(Missing(*now, 5).bytes, std::string("\0\xff", 2));
  EXPECT_EQ(Missing(*now, 6).i, -3);
  EXPECT_EQ(Missing(*now, 7).tag, fmt::kNull);

  // A short row of the first layer completes to what the scan of the table returns.
  std::string body(1, static_cast<char>(fmt::kRecordRow));
  body += "\x01";  // key: one value
  rowcodec::AppendInteger(&body, 1);
  body += "\x02";  // two columns: the rowid alias and a
  body += static_cast<char>(fmt::kNull);
  body += static_cast<char>(fmt::kText);
  body += "\x01z";
  ASSERT_OK_AND_ASSIGN(ShortRowDefaults d, ShortRowDefaults::ForTable(*now));
  std::string full;
  ASSERT_THAT(d.CompleteBody(body, &full), IsOk());
  rowcodec::Record rec;
  ASSERT_THAT(rowcodec::DecodeRecord(full, &rec), IsOk());
  ASSERT_EQ(rec.values.size(), 8u);
  EXPECT_EQ(rec.values[1].bytes, "z");
  EXPECT_EQ(rec.values[2].i, 12);
  EXPECT_EQ(rec.values[7].tag, fmt::kNull);

  // A later ADD COLUMN keeps the earlier defaults for rows of the first layer.
  before_ = *now;
  auto later = After("ALTER TABLE t ADD COLUMN h TEXT DEFAULT 'later'");
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->short_row_columns(), 2u);
  EXPECT_EQ(Missing(*later, 2).i, 12);
  EXPECT_EQ(Missing(*later, 8).bytes, "later");
}

TEST_F(ShortRowsTest, OtherRedefinitionsAreNotAddColumn) {
  // A renamed column, a changed constraint, a table rebuilt: written in full.
  EXPECT_FALSE(After("ALTER TABLE t RENAME COLUMN a TO z").has_value());
  ASSERT_THAT(db_.Exec("DROP TABLE t; CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b)"), IsOk());
  EXPECT_FALSE(After("SELECT 1").has_value());
  // A default SQLite itself would refuse to add is not taken as one.
  ASSERT_THAT(db_.Exec("DROP TABLE t; CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT)"), IsOk());
  before_ = Describe(db_, "t", &schema_);
  ASSERT_THAT(db_.Exec("PRAGMA writable_schema = ON"), IsOk());
  ASSERT_THAT(
      db_.Exec("UPDATE sqlite_schema SET sql = 'CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b "
               "DEFAULT (random()))' WHERE name = 't'"),
      IsOk());
  ASSERT_THAT(db_.Exec("PRAGMA writable_schema = RESET"), IsOk());
  EXPECT_FALSE(After("SELECT 1").has_value());
}

TEST_F(ShortRowsTest, DamagedEntriesAreDataLoss) {
  auto now = After("ALTER TABLE t ADD COLUMN b DEFAULT 1");
  ASSERT_TRUE(now.has_value());
  ASSERT_OK_AND_ASSIGN(ShortRowDefaults d, ShortRowDefaults::ForTable(*now));
  std::vector<rowcodec::ValueRef> values(1);
  EXPECT_THAT(d.Complete(&values, "backup file x"), StatusIs(StatusCode::kDataLoss));
  values.resize(4);
  EXPECT_THAT(d.Complete(&values, "backup file x"), StatusIs(StatusCode::kDataLoss));
  values.resize(2);
  ASSERT_THAT(d.Complete(&values, "backup file x"), IsOk());
  EXPECT_EQ(values.size(), 3u);

  proto::Table bad = *now;
  bad.set_short_row_columns(9);
  EXPECT_THAT(ShortRowDefaults::ForTable(bad), StatusIs(StatusCode::kDataLoss));
  bad = *now;
  bad.mutable_columns(2)->set_short_row_default("\x01\x02 trailing");
  EXPECT_THAT(ShortRowDefaults::ForTable(bad), StatusIs(StatusCode::kDataLoss));
  bad.mutable_columns(2)->set_short_row_default(
      std::string(1, static_cast<char>(fmt::kRowidValue)));
  EXPECT_THAT(ShortRowDefaults::ForTable(bad), StatusIs(StatusCode::kDataLoss));
}

}  // namespace
}  // namespace cofre
