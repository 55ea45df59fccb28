#include "backup/schema_guard.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

class SchemaGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("schema_guard_test." + std::to_string(getpid()));
    fs::create_directories(dir_);
    auto db = SqliteDb::Open((dir_ / "db.sqlite").string(), /*create=*/true);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    // A table that exists before the restore and must stay untouched.
    ASSERT_TRUE(db_.Exec("CREATE TABLE other(a); INSERT INTO other VALUES(1)").ok());
    guard_ = std::make_unique<SchemaGuard>(db_, std::set<std::string>{"t"});
  }
  void TearDown() override {
    guard_.reset();
    db_ = SqliteDb();
    fs::remove_all(dir_);
  }

  static ExpectedObject Table(const std::string& name) {
    return {SchemaKind::kTable, name, name, "table d." + name};
  }
  static ExpectedObject On(SchemaKind kind, const std::string& name, const std::string& table) {
    return {kind, name, table, std::string(SchemaKindName(kind)) + " d." + name};
  }

  // The refusal of `sql` as `want`: DataLoss naming the object.
  void ExpectRefused(const ExpectedObject& want, const std::string& sql) {
    Status st = guard_->Create(want, sql);
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << sql << " -> " << st.ToString();
    EXPECT_NE(st.message().find(want.label), std::string::npos) << st.ToString();
  }

  int64_t Count(const std::string& sql) {
    auto n = db_.QueryInt(sql);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() && *n ? **n : -1;
  }

  fs::path dir_;
  SqliteDb db_;
  std::unique_ptr<SchemaGuard> guard_;
};

TEST_F(SchemaGuardTest, CreatesWhatCofreWrites) {
  ASSERT_TRUE(guard_
                  ->Create(Table("t"),
                           "CREATE TABLE t(a INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "b TEXT CHECK(length(b) < 9) DEFAULT (lower('X')), c AS (b || 'x'))")
                  .ok());
  ASSERT_TRUE(db_.Exec("INSERT INTO t(b) VALUES('y')").ok());
  EXPECT_TRUE(
      guard_->Create(On(SchemaKind::kIndex, "i", "t"), "CREATE INDEX i ON t(lower(b)) WHERE a > 0")
          .ok());
  EXPECT_TRUE(guard_
                  ->Create(On(SchemaKind::kView, "v", "v"),
                           "CREATE VIEW v AS SELECT * FROM t JOIN other -- note")
                  .ok());
  EXPECT_TRUE(guard_
                  ->Create(On(SchemaKind::kTrigger, "tr", "t"),
                           "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM other; END "
                           "/* trailing comment */ ")
                  .ok());
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_schema WHERE name IN ('t','i','v','tr')"), 4);
  EXPECT_TRUE(
      guard_->Create(Table("t"), "CREATE TABLE k(a PRIMARY KEY, b UNIQUE) WITHOUT ROWID").code() ==
      StatusCode::kDataLoss);
  EXPECT_TRUE(
      guard_->Create(Table("k"), "CREATE TABLE k(a PRIMARY KEY, b UNIQUE) WITHOUT ROWID").ok());
  // Quoted names with odd characters are names like any other.
  EXPECT_TRUE(guard_->Create(Table("we\"ird t"), "CREATE TABLE \"we\"\"ird t\"(x)").ok());
}

TEST_F(SchemaGuardTest, RefusesASecondStatement) {
  std::string path = (dir_ / "attached.db").string();
  ExpectRefused(Table("t"),
                "CREATE TABLE t(a); ATTACH DATABASE '" + path + "' AS p; CREATE TABLE p.x(a)");
  ExpectRefused(Table("t"), "CREATE TABLE t(a); DELETE FROM other");
  ExpectRefused(Table("t"), "CREATE TABLE t(a) /* hidden */; -- c\n DROP TABLE other");
  ExpectRefused(Table("t"), "CREATE TABLE t(a); /* */ ; VACUUM INTO '" + path + "'");
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(Count("SELECT count(*) FROM other"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_schema WHERE name = 't'"), 0);
}

TEST_F(SchemaGuardTest, RefusesOtherStatementsInPlaceOfACreate) {
  std::string path = (dir_ / "attached.db").string();
  ExpectRefused(Table("t"), "ATTACH DATABASE '" + path + "' AS p");
  ExpectRefused(Table("t"), "VACUUM INTO '" + path + "'");
  ExpectRefused(Table("t"), "PRAGMA writable_schema = ON");
  ExpectRefused(Table("t"), "DELETE FROM other");
  ExpectRefused(Table("t"), "INSERT INTO t VALUES(1)");
  ExpectRefused(Table("t"), "SELECT load_extension('/tmp/x.so')");
  ExpectRefused(Table("t"), "DROP TABLE other");
  ExpectRefused(Table("t"), "");
  ExpectRefused(Table("t"), "-- only a comment");
  ExpectRefused(Table("t"), "CREATE TABLE t(a");  // does not parse
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(Count("SELECT count(*) FROM other"), 1);
}

TEST_F(SchemaGuardTest, RefusesTheWrongKindOrName) {
  ExpectRefused(Table("t"), "CREATE TABLE u(a)");
  ExpectRefused(Table("t"), "CREATE VIEW t AS SELECT 1");
  ExpectRefused(Table("t"), "CREATE TEMP TABLE t(a)");
  ExpectRefused(Table("t"), "CREATE VIRTUAL TABLE t USING fts5(a)");
  ExpectRefused(Table("t"), "CREATE TABLE t AS SELECT * FROM other");
  ExpectRefused(Table("t"), "CREATE TABLE temp.t(a)");
  ASSERT_TRUE(guard_->Create(Table("t"), "CREATE TABLE t(a, b)").ok());
  // An index or trigger named as expected, but on another table of the database.
  ExpectRefused(On(SchemaKind::kIndex, "i", "t"), "CREATE INDEX i ON other(a)");
  ExpectRefused(On(SchemaKind::kIndex, "i", "t"), "CREATE INDEX j ON t(a)");
  ExpectRefused(On(SchemaKind::kIndex, "i", "t"), "CREATE TABLE i(a)");
  ExpectRefused(On(SchemaKind::kTrigger, "tr", "t"),
                "CREATE TRIGGER tr AFTER UPDATE ON other BEGIN DELETE FROM other; END");
  ExpectRefused(On(SchemaKind::kTrigger, "tr", "t"),
                "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END");
  ExpectRefused(On(SchemaKind::kView, "v", "v"), "CREATE TEMP VIEW v AS SELECT 1");
  ExpectRefused(On(SchemaKind::kView, "v", "v"), "CREATE INDEX v ON t(a)");
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_schema"), 2);  // other and t
}

TEST_F(SchemaGuardTest, RefusesOtherDatabases) {
  // Nothing can be attached, so a schema-qualified name into another database fails.
  ExpectRefused(Table("t"), "CREATE TABLE p.t(a)");
  ASSERT_TRUE(guard_->Create(Table("t"), "CREATE TABLE main.t(a)").ok());
  ExpectRefused(On(SchemaKind::kView, "v", "v"), "CREATE VIEW p.v AS SELECT 1");
  // A view in main may not name another database (SQLite refuses it at creation).
  ExpectRefused(On(SchemaKind::kView, "v", "v"), "CREATE VIEW v AS SELECT * FROM p.x");
}

TEST_F(SchemaGuardTest, AStagingFileIsReadableByCofreStatementsOnly) {
  // A table restore attaches its staging file before the guard is installed.
  guard_.reset();
  const std::string staging = (dir_ / "staging.db").string();
  {
    ASSERT_OK_AND_ASSIGN(SqliteDb s, SqliteDb::Open(staging, true));
    ASSERT_THAT(s.Exec("CREATE TABLE t(a); INSERT INTO t VALUES(7)"), IsOk());
  }
  ASSERT_THAT(db_.Exec("ATTACH DATABASE '" + staging + "' AS staging"), IsOk());
  guard_ = std::make_unique<SchemaGuard>(db_, std::set<std::string>{"t"});
  ASSERT_THAT(guard_->Create(Table("t"), "CREATE TABLE t(a)"), IsOk());
  // (Column by column: SQLite's whole-record transfer reads no column, so asks no question.)
  const std::string copy = "INSERT INTO main.t(rowid, a) SELECT rowid, a FROM staging.t";
  EXPECT_THAT(db_.Exec(copy), StatusIs(StatusCode::kPermissionDenied));
  guard_->AllowReadsOf("staging");
  EXPECT_THAT(db_.Exec(copy), IsOk());
  EXPECT_EQ(Count("SELECT count(*) FROM main.t"), 1);
  // Still nothing but reads, and no manifest statement reads it.
  EXPECT_FALSE(db_.Exec("DELETE FROM staging.t").ok());
  ExpectRefused(On(SchemaKind::kView, "v", "v"), "CREATE VIEW v AS SELECT * FROM staging.t");
  guard_.reset();
  ASSERT_THAT(db_.Exec("DETACH DATABASE staging"), IsOk());
}

TEST_F(SchemaGuardTest, TriggerBodiesAreStoredNotRun) {
  ASSERT_TRUE(guard_->Create(Table("t"), "CREATE TABLE t(a)").ok());
  // ATTACH is not a statement a trigger body can hold.
  ExpectRefused(On(SchemaKind::kTrigger, "tr", "t"),
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN ATTACH '/tmp/x' AS p; END");
  ASSERT_TRUE(guard_
                  ->Create(On(SchemaKind::kTrigger, "tr", "t"),
                           "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM other; END")
                  .ok());
  EXPECT_EQ(Count("SELECT count(*) FROM other"), 1);
  // While the guard is in place, the trigger cannot write `other` either.
  EXPECT_FALSE(db_.Exec("INSERT INTO t VALUES(1)").ok());
  EXPECT_EQ(Count("SELECT count(*) FROM other"), 1);
}

TEST_F(SchemaGuardTest, CofreStatementsWriteOnlyTheRestoredTables) {
  ASSERT_TRUE(guard_->Create(Table("t"), "CREATE TABLE t(a)").ok());
  EXPECT_TRUE(db_.Exec("INSERT INTO main.t VALUES(1)").ok());
  EXPECT_TRUE(db_.Exec("PRAGMA cache_size = -8000").ok());
  EXPECT_EQ(db_.Exec("DELETE FROM other").code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(db_.Exec("ATTACH DATABASE ':memory:' AS p").ok());
  EXPECT_FALSE(db_.Exec("PRAGMA writable_schema = ON").ok());
  EXPECT_FALSE(db_.Exec("SELECT load_extension('x')").ok());
  EXPECT_FALSE(db_.Exec("DROP TABLE other").ok());
  EXPECT_FALSE(db_.Exec("CREATE TABLE z(a)").ok());
  EXPECT_EQ(Count("SELECT count(*) FROM other"), 1);
}

// Reindex rebuilds an index of a restored table, and only that: REINDEX as a statement of its
// own stays refused, and so does an index of another table.
TEST_F(SchemaGuardTest, ReindexRebuildsOnlyIndexesOfRestoredTables) {
  guard_.reset();  // an index of the table that was there before
  ASSERT_TRUE(db_.Exec("CREATE INDEX other_a ON other(a)").ok());
  guard_ = std::make_unique<SchemaGuard>(db_, std::set<std::string>{"t"});
  ASSERT_TRUE(guard_->Create(Table("t"), "CREATE TABLE t(a)").ok());
  ASSERT_TRUE(guard_->Create(On(SchemaKind::kIndex, "t_a", "t"), "CREATE INDEX t_a ON t(a)").ok());
  ASSERT_TRUE(db_.Exec("INSERT INTO main.t VALUES(3), (1), (2)").ok());
  EXPECT_TRUE(guard_->Reindex("t_a").ok());
  EXPECT_TRUE(guard_->Reindex("T_A").ok());  // SQLite's names are case-insensitive
  EXPECT_EQ(Count("SELECT count(*) FROM t INDEXED BY t_a WHERE a > 0"), 3);
  EXPECT_EQ(guard_->Reindex("other_a").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(guard_->Reindex("missing").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(db_.Exec("REINDEX main.t_a").ok());
  EXPECT_FALSE(db_.Exec("REINDEX main.other_a").ok());
  EXPECT_FALSE(db_.Exec("REINDEX").ok());
}

TEST_F(SchemaGuardTest, RefusesLoadExtensionInConstraintsAndDefaults) {
  ExpectRefused(Table("t"), "CREATE TABLE t(a CHECK(load_extension('/tmp/x.so')))");
  ExpectRefused(Table("t"), "CREATE TABLE t(a, b AS (load_extension('/tmp/x.so')))");
  ASSERT_TRUE(guard_->Create(Table("t"), "CREATE TABLE t(a)").ok());
  ExpectRefused(On(SchemaKind::kIndex, "i", "t"),
                "CREATE INDEX i ON t(a) WHERE load_extension('/tmp/x.so')");
}

TEST_F(SchemaGuardTest, ChecksAreCaseInsensitiveLikeSqlite) {
  EXPECT_TRUE(guard_->Create(Table("T"), "create table t(a)").ok());
}

TEST(SchemaKindTest, UnknownTypesAreDataLossNamingTheObject) {
  proto::SchemaObject obj;
  obj.set_type("table");
  obj.set_name("x");
  StatusOr<ExpectedObject> want = ExpectedSchemaObject("d", obj);
  EXPECT_EQ(want.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(want.status().message().find("d.x"), std::string::npos);
}

TEST_F(SchemaGuardTest, VirtualTablesCreateOnlyTheirOwnShadowTables) {
  proto::Database pdb;
  pdb.set_name("d");
  for (const char* shadow : {"ft_data", "ft_idx", "ft_content", "ft_docsize", "ft_config"}) {
    auto* t = pdb.add_tables();
    t->set_name(shadow);
    t->set_virtual_table("ft");
  }
  proto::VirtualTable vt;
  vt.set_name("ft");
  vt.set_module("fts5");
  auto want = ExpectedVirtualTable(pdb, vt);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  // Another module, another name, more statements, a module cofre never restores.
  ExpectRefused(*want, "CREATE VIRTUAL TABLE ft USING dbstat");
  ExpectRefused(*want, "CREATE VIRTUAL TABLE ft2 USING fts5(a)");
  ExpectRefused(*want, "CREATE VIRTUAL TABLE ft USING fts5(a); DELETE FROM other");
  ExpectRefused(*want, "CREATE TABLE ft(a)");
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'ft%'"), 0);
  // The shadow tables it creates must be the ones the backup holds.
  auto fewer = *want;
  fewer.shadow_tables.erase("ft_config");
  ExpectRefused(fewer, "CREATE VIRTUAL TABLE ft USING fts5(a, b)");
  ASSERT_TRUE(guard_->Create(*want, "CREATE VIRTUAL TABLE ft USING fts5(a, b)").ok());
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'ft%'"), 6);
  vt.set_module("csv");
  EXPECT_EQ(ExpectedVirtualTable(pdb, vt).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(Count("SELECT a FROM other"), 1);
}

TEST_F(SchemaGuardTest, StatisticsOnlyInTheirOwnStep) {
  EXPECT_FALSE(db_.Exec("ANALYZE main.sqlite_schema").ok());
  guard_->AllowStatistics(true);
  ASSERT_TRUE(db_.Exec("ANALYZE main.sqlite_schema").ok());
  EXPECT_FALSE(db_.Exec("INSERT INTO other VALUES(2)").ok());
  ASSERT_TRUE(db_.Exec("INSERT INTO sqlite_stat1 VALUES('other', NULL, '1')").ok());
  guard_->AllowStatistics(false);
  EXPECT_FALSE(db_.Exec("INSERT INTO sqlite_stat1 VALUES('other', NULL, '1')").ok());
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_stat1"), 1);
}

}  // namespace
}  // namespace cofre
