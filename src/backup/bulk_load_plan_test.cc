#include "backup/bulk_load_plan.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace cofre {
namespace {

// A staging database in memory with `sql` run, and the manifest tables that go with it.
class BulkLoadPlanTest : public ::testing::Test {
 protected:
  void Create(const std::vector<std::string>& sql) {
    auto db = SqliteDb::Open(":memory:", /*create=*/true);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    for (const auto& s : sql) ASSERT_TRUE(db_.Exec(s).ok()) << s;
    auto q = db_.Prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY rowid");
    ASSERT_TRUE(q.ok());
    while (*q->Step()) {
      proto::Table* t = pdb_.add_tables();
      t->set_name(q->ColumnText(0));
      auto cols = db_.Prepare("SELECT name FROM pragma_table_info(?1)");
      ASSERT_TRUE(cols.ok());
      cols->Bind(1, t->name());
      while (*cols->Step()) t->add_columns()->set_name(cols->ColumnText(0));
    }
    auto idx = db_.Prepare(
        "SELECT name, tbl_name, sql FROM sqlite_schema "
        "WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid");
    ASSERT_TRUE(idx.ok());
    while (*idx->Step()) {
      proto::SchemaObject* o = pdb_.add_objects();
      o->set_type("index");
      o->set_name(idx->ColumnText(0));
      o->set_table_name(idx->ColumnText(1));
      o->set_sql(idx->ColumnText(2));
    }
  }

  const BulkTablePlan* Table(const BulkLoadPlan& plan, const std::string& name) {
    for (const auto& t : plan.tables) {
      if (t.table->name() == name) return &t;
    }
    return nullptr;
  }

  static const BulkIndexPlan* Index(const BulkTablePlan& t, const std::string& name) {
    for (const auto& i : t.indexes) {
      if (i.name == name) return &i;
    }
    return nullptr;
  }

  static bool Unplanned(const BulkLoadPlan& plan, const std::string& name) {
    return std::count(plan.unplanned_indexes.begin(), plan.unplanned_indexes.end(), name) == 1;
  }

  SqliteDb db_;
  proto::Database pdb_;
};

TEST_F(BulkLoadPlanTest, RowidAliasAndIndexColumns) {
  Create({"CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE, b REAL, c UNIQUE)",
          "CREATE INDEX t_id_b ON t (id, b DESC)", "CREATE INDEX t_a ON t (a COLLATE RTRIM)"});
  auto plan = PlanBulkLoad(db_, pdb_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const BulkTablePlan* t = Table(*plan, "t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->rowid_alias, 0);
  EXPECT_GT(t->root_page, 1u);
  ASSERT_EQ(t->indexes.size(), 3u);
  const BulkIndexPlan* id_b = Index(*t, "t_id_b");
  ASSERT_NE(id_b, nullptr);
  EXPECT_EQ(id_b->sources, (std::vector<int>{-1, 2}));  // the alias is read as the rowid
  ASSERT_EQ(id_b->order.size(), 3u);
  EXPECT_FALSE(id_b->order[0].descending);
  EXPECT_TRUE(id_b->order[1].descending);
  EXPECT_FALSE(id_b->unique);
  const BulkIndexPlan* a = Index(*t, "t_a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->order[0].collation, Collation::kRtrim);
  const BulkIndexPlan* c = Index(*t, "sqlite_autoindex_t_1");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->unique);
  EXPECT_EQ(c->sources, (std::vector<int>{3}));
  EXPECT_TRUE(plan->unplanned_indexes.empty());
}

TEST_F(BulkLoadPlanTest, DescendingIntegerPrimaryKeyIsNotAnAlias) {
  Create({"CREATE TABLE q (x INTEGER PRIMARY KEY DESC, y)",
          "CREATE TABLE p (x INTEGER, y, PRIMARY KEY (x DESC))"});
  auto plan = PlanBulkLoad(db_, pdb_);
  ASSERT_TRUE(plan.ok());
  ASSERT_NE(Table(*plan, "q"), nullptr);
  EXPECT_EQ(Table(*plan, "q")->rowid_alias, -1);
  ASSERT_EQ(Table(*plan, "q")->indexes.size(), 1u);
  EXPECT_TRUE(Table(*plan, "q")->indexes[0].unique);
  EXPECT_EQ(Table(*plan, "p")->rowid_alias, 0);
}

TEST_F(BulkLoadPlanTest, IndexesSqliteMustBuildAreDroppedAndRebuilt) {
  Create({"CREATE TABLE e (id INTEGER PRIMARY KEY, s TEXT, n INT)",
          "CREATE INDEX e_lower ON e (lower(s))", "CREATE INDEX e_part ON e (n) WHERE n > 1",
          "CREATE INDEX e_plain ON e (n)"});
  auto plan = PlanBulkLoad(db_, pdb_);
  ASSERT_TRUE(plan.ok());
  const BulkTablePlan* e = Table(*plan, "e");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->indexes.size(), 1u);
  EXPECT_EQ(e->indexes[0].name, "e_plain");
  EXPECT_TRUE(Unplanned(*plan, "e_lower"));
  EXPECT_TRUE(Unplanned(*plan, "e_part"));
}

TEST_F(BulkLoadPlanTest, TablesSqliteMustLoad) {
  Create({"CREATE TABLE g (a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL)",
          "CREATE INDEX g_a ON g (a)", "CREATE TABLE w (k TEXT PRIMARY KEY, v) WITHOUT ROWID",
          "CREATE INDEX w_v ON w (v)", "CREATE TABLE u (a TEXT, b TEXT, UNIQUE (a, b))",
          "CREATE INDEX u_expr ON u (a || b)"});
  auto plan = PlanBulkLoad(db_, pdb_);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(Table(*plan, "g"), nullptr);
  EXPECT_EQ(Table(*plan, "w"), nullptr);
  EXPECT_TRUE(Unplanned(*plan, "g_a"));
  EXPECT_TRUE(Unplanned(*plan, "w_v"));
  ASSERT_NE(Table(*plan, "u"), nullptr);  // its UNIQUE index is plain
  EXPECT_TRUE(Unplanned(*plan, "u_expr"));
}

TEST_F(BulkLoadPlanTest, ManifestColumnsThatDifferFromTheTableAreLoadedBySqlite) {
  Create({"CREATE TABLE t (a, b)"});
  pdb_.mutable_tables(0)->mutable_columns(1)->set_name("renamed");
  auto plan = PlanBulkLoad(db_, pdb_);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->tables.empty());
}

}  // namespace
}  // namespace cofre
