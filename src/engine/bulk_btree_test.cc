// Bulk b-tree building against real SQLite: a reference database is filled by SQLite itself; the
// same schema is created in a staging file whose trees are then written by the bulk builders
// from the reference's rows and index entries (in index order, as SQLite reads them). The result
// must pass PRAGMA integrity_check, read back equal to the reference through every table and
// index (with plans that use the index), and stay a healthy database under further writes.
#include "engine/bulk_btree.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "engine/sqlite.h"
#include "engine/sqlite_record.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Helpers

class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "/bulk_btree_XXXXXX";
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// One value as SQLite returns it (storage class and contents).
struct Cell {
  int type = SQLITE_NULL;
  int64_t i = 0;
  double r = 0;
  std::string bytes;
  bool operator==(const Cell& o) const {
    return type == o.type && i == o.i && std::memcmp(&r, &o.r, sizeof r) == 0 && bytes == o.bytes;
  }
};
using Row = std::vector<Cell>;

std::string Show(const Row& row) {
  std::string s = "(";
  for (const Cell& c : row) {
    if (s.size() > 1) s += ", ";
    switch (c.type) {
      case SQLITE_INTEGER:
        s += std::to_string(c.i);
        break;
      case SQLITE_FLOAT:
        s += std::to_string(c.r);
        break;
      case SQLITE_TEXT:
        s += "'" + c.bytes.substr(0, 40) + "'";
        break;
      case SQLITE_BLOB:
        s += "blob[" + std::to_string(c.bytes.size()) + "]";
        break;
      default:
        s += "NULL";
    }
  }
  return s + ")";
}

SqliteDb OpenDb(const std::string& path, bool create = false) {
  auto db = SqliteDb::Open(path, create);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(*db) : SqliteDb();
}

void Exec(const SqliteDb& db, const std::string& sql) {
  Status s = db.Exec(sql);
  ASSERT_TRUE(s.ok()) << sql << ": " << s.ToString();
}

Cell ReadCell(sqlite3_stmt* st, int k) {
  Cell c;
  c.type = sqlite3_column_type(st, k);
  if (c.type == SQLITE_INTEGER) c.i = sqlite3_column_int64(st, k);
  if (c.type == SQLITE_FLOAT) c.r = sqlite3_column_double(st, k);
  if (c.type == SQLITE_TEXT || c.type == SQLITE_BLOB) {
    const void* p = c.type == SQLITE_TEXT ? static_cast<const void*>(sqlite3_column_text(st, k))
                                          : sqlite3_column_blob(st, k);
    c.bytes.assign(static_cast<const char*>(p), sqlite3_column_bytes(st, k));
  }
  return c;
}

// Runs `sql` (binding `params` as ?1..) and calls `fn` per row.
void ForEachRow(const SqliteDb& db, const std::string& sql, const std::function<void(Row&)>& fn,
                const std::vector<Cell>& params = {}) {
  auto st = db.Prepare(sql);
  ASSERT_TRUE(st.ok()) << sql << ": " << st.status().ToString();
  for (size_t k = 0; k < params.size(); ++k) {
    const Cell& p = params[k];
    const int idx = static_cast<int>(k) + 1;
    if (p.type == SQLITE_INTEGER) st->Bind(idx, p.i);
    if (p.type == SQLITE_FLOAT) st->Bind(idx, p.r);
    if (p.type == SQLITE_TEXT) st->Bind(idx, std::string_view(p.bytes));
    if (p.type == SQLITE_BLOB) st->BindBlob(idx, p.bytes);
    if (p.type == SQLITE_NULL) st->BindNull(idx);
  }
  const int n = sqlite3_column_count(st->get());
  for (;;) {
    auto more = st->Step();
    ASSERT_TRUE(more.ok()) << sql << ": " << more.status().ToString();
    if (!*more) break;
    Row row;
    for (int k = 0; k < n; ++k) row.push_back(ReadCell(st->get(), k));
    fn(row);
  }
}

std::vector<Row> Query(const SqliteDb& db, const std::string& sql,
                       const std::vector<Cell>& params = {}) {
  std::vector<Row> rows;
  ForEachRow(
      db, sql, [&](Row& r) { rows.push_back(std::move(r)); }, params);
  return rows;
}

std::string QueryJoined(const SqliteDb& db, const std::string& sql) {
  std::string out;
  for (const Row& r : Query(db, sql)) {
    if (!out.empty()) out += "\n";
    out +=
        r.empty() ? "" : r[0].bytes + (r[0].type == SQLITE_INTEGER ? std::to_string(r[0].i) : "");
  }
  return out;
}

// The detail lines of EXPLAIN QUERY PLAN `sql`.
std::string Plan(const SqliteDb& db, const std::string& sql) {
  std::string out;
  for (const Row& r : Query(db, "EXPLAIN QUERY PLAN " + sql)) out += r[3].bytes + "\n";
  return out;
}

std::string Record(const Row& row) {
  std::vector<sqlite_record::Value> values;
  for (const Cell& c : row) {
    sqlite_record::Value v;
    switch (c.type) {
      case SQLITE_INTEGER:
        v.type = sqlite_record::Type::kInteger, v.i = c.i;
        break;
      case SQLITE_FLOAT:
        v.type = sqlite_record::Type::kReal, v.r = c.r;
        break;
      case SQLITE_TEXT:
        v.type = sqlite_record::Type::kText, v.bytes = c.bytes;
        break;
      case SQLITE_BLOB:
        v.type = sqlite_record::Type::kBlob, v.bytes = c.bytes;
        break;
      default:
        break;
    }
    values.push_back(v);
  }
  std::string out;
  sqlite_record::Append(values, &out);
  return out;
}

// One b-tree of the schema, and how to read its entries in order from the reference.
struct Tree {
  std::string name;   // table or index name
  std::string table;  // the table it belongs to
  uint32_t root = 0;
  bool is_index_btree = false;  // index, or WITHOUT ROWID table
  bool without_rowid_table = false;
  std::string select;     // columns of its records, as SQL
  std::string order_by;   // its key order, as SQL
  int ipk_column = -1;    // rowid tables: the INTEGER PRIMARY KEY column (stored as NULL)
  std::string first_key;  // SQL of the first key column with its collation
};

std::string Q(const std::string& ident) { return QuoteIdent(ident); }

// Fills select/order_by from PRAGMA index_xinfo of `index`.
void DescribeIndex(const SqliteDb& db, const std::string& index, Tree* t) {
  for (const Row& r : Query(db, "SELECT cid, name, desc, coll, key FROM pragma_index_xinfo(" +
                                    QuoteLiteral(index) + ")")) {
    const std::string col = r[0].i == -1 ? "rowid" : Q(r[1].bytes);
    const std::string key = col + " COLLATE " + r[3].bytes + (r[2].i ? " DESC" : "");
    t->select += (t->select.empty() ? "" : ", ") + col;
    t->order_by += (t->order_by.empty() ? "" : ", ") + key;
    if (t->first_key.empty()) t->first_key = col + " COLLATE " + r[3].bytes;
  }
}

std::vector<Tree> ReadTrees(const SqliteDb& db) {
  std::vector<Tree> trees;
  for (const Row& r : Query(db,
                            "SELECT type, name, tbl_name, rootpage FROM sqlite_schema "
                            "WHERE type IN ('table','index') AND rootpage > 0 "
                            "AND name NOT LIKE 'sqlite_stat%' ORDER BY rootpage")) {
    Tree t;
    t.name = r[1].bytes;
    t.table = r[2].bytes;
    t.root = static_cast<uint32_t>(r[3].i);
    if (r[0].bytes == "index") {
      t.is_index_btree = true;
      DescribeIndex(db, t.name, &t);
    } else {
      auto wr = Query(db, "SELECT wr FROM pragma_table_list WHERE name = " + QuoteLiteral(t.name));
      t.without_rowid_table = !wr.empty() && wr[0][0].i == 1;
      if (t.without_rowid_table) {
        t.is_index_btree = true;
        auto pk = Query(db, "SELECT name FROM pragma_index_list(" + QuoteLiteral(t.name) +
                                ") WHERE origin = 'pk'");
        EXPECT_EQ(pk.size(), 1u);
        DescribeIndex(db, pk[0][0].bytes, &t);
      } else {
        auto pk = Query(db, "SELECT cid, upper(type) FROM pragma_table_info(" +
                                QuoteLiteral(t.name) + ") WHERE pk > 0");
        if (pk.size() == 1 && pk[0][1].bytes == "INTEGER")
          t.ipk_column = static_cast<int>(pk[0][0].i);
        t.select = "rowid, *";
        t.order_by = "rowid";
      }
    }
    trees.push_back(std::move(t));
  }
  return trees;
}

// Builds the table tree from `rows` (rowid first) in parts: the rows are cut where `cuts` says
// (ascending row positions; equal cuts make empty parts); the first piece goes to the builder,
// each other piece to a part of its own filled on a thread of its own, appended in order.
Status BuildTableInParts(BulkFileWriter* writer, const Tree& tree, std::vector<Row> rows,
                         const std::vector<size_t>& cuts) {
  ASSIGN_OR_RETURN(auto b, writer->BuildTable(tree.root));
  auto add = [&](TableBtreeBuilder& builder, size_t from, size_t to) -> Status {
    for (size_t k = from; k < to; ++k) {
      Row row = rows[k];
      const int64_t rowid = row[0].i;
      row.erase(row.begin());
      if (tree.ipk_column >= 0) row[tree.ipk_column] = Cell();
      RETURN_IF_ERROR(builder.Add(rowid, Record(row)));
    }
    return Status::OK();
  };
  std::vector<size_t> bounds = {0};
  for (size_t cut : cuts) bounds.push_back(std::min(cut, rows.size()));
  bounds.push_back(rows.size());
  std::vector<std::unique_ptr<TableBtreeBuilder>> parts;
  std::vector<Status> results(bounds.size() - 1);
  std::vector<std::thread> threads;
  for (size_t p = 1; p + 1 < bounds.size(); ++p) {
    parts.push_back(b->NewPart());
    threads.emplace_back([&, p, part = parts.back().get()] {
      results[p] = add(*part, bounds[p], bounds[p + 1]);
      if (results[p].ok()) results[p] = part->Finish();
    });
  }
  results[0] = add(*b, bounds[0], bounds[1]);
  for (auto& t : threads) t.join();
  for (const Status& st : results) RETURN_IF_ERROR(st);
  for (auto& part : parts) RETURN_IF_ERROR(b->AppendPart(*part));
  return b->Finish();
}

// Streams `tree`'s entries from the reference database into a new builder; with `cuts`, a table
// is built in parts (BuildTableInParts).
Status BuildTree(BulkFileWriter* writer, const std::string& ref_path, const Tree& tree,
                 const std::vector<size_t>& cuts = {}) {
  SqliteDb ref = OpenDb(ref_path);
  const std::string sql =
      "SELECT " + tree.select + " FROM " + Q(tree.table) + " ORDER BY " + tree.order_by;
  Status status;
  if (tree.is_index_btree) {
    ASSIGN_OR_RETURN(auto b, writer->BuildIndex(tree.root));
    ForEachRow(ref, sql, [&](Row& row) {
      if (status.ok()) status = b->Add(Record(row));
    });
    if (!status.ok()) return status;
    return b->Finish();
  }
  if (!cuts.empty()) return BuildTableInParts(writer, tree, Query(ref, sql), cuts);
  ASSIGN_OR_RETURN(auto b, writer->BuildTable(tree.root));
  ForEachRow(ref, sql, [&](Row& row) {
    const int64_t rowid = row[0].i;
    row.erase(row.begin());
    if (tree.ipk_column >= 0) row[tree.ipk_column] = Cell();  // SQLite stores NULL there
    if (status.ok()) status = b->Add(rowid, Record(row));
  });
  if (!status.ok()) return status;
  return b->Finish();
}

// Creates the staging file as RESTORE does: page size, journal off, schema, connection closed.
void CreateStaging(const std::string& path, uint32_t page_size, const std::string& schema) {
  SqliteDb db = OpenDb(path, /*create=*/true);
  Exec(db, "PRAGMA page_size=" + std::to_string(page_size) + "; PRAGMA journal_mode=OFF;");
  Exec(db, schema);
  ASSERT_TRUE(db.Close().ok());
}

enum class Mode { kThreads, kSequential, kInterleaved };

struct Scenario {
  uint32_t page_size = 512;
  std::string schema;
  std::string populate;  // SQL run on the reference database
  std::string mutate;    // SQL run on both databases afterwards
  Mode mode = Mode::kThreads;
  BulkFileWriter::Options options;
  // Non-empty: table trees are built in parts cut at these rows (BuildTableInParts).
  std::vector<size_t> table_cuts;
};

struct Outcome {
  std::map<std::string, int> depth;  // tree name -> levels (1: the root is a leaf)
  int64_t page_count = 0;
  int64_t freelist = 0;
};

int Depth(const SqliteDb& db, const std::string& name) {
  auto r = Query(db,
                 "SELECT min(d), max(d) FROM (SELECT length(path) - length(replace(path, '/', '')) "
                 "AS d FROM dbstat WHERE name = " +
                     QuoteLiteral(name) + " AND pagetype = 'leaf')");
  EXPECT_EQ(r[0][0].i, r[0][1].i) << name << ": leaves at different depths";
  return static_cast<int>(r[0][1].i);
}

// Asserts that `db` and `ref` hold the same entries in every tree, reading each index through
// a plan that uses it, by full scan and by point lookups.
void ExpectSameContents(const SqliteDb& db, const SqliteDb& ref, const std::vector<Tree>& trees) {
  for (const Tree& t : trees) {
    SCOPED_TRACE("tree " + t.name);
    const bool secondary = t.is_index_btree && !t.without_rowid_table;
    const std::string from = Q(t.table) + (secondary ? " INDEXED BY " + Q(t.name) : "");
    const std::string scan = "SELECT " + t.select + " FROM " + from + " ORDER BY " + t.order_by;
    if (secondary) {
      const std::string plan = Plan(db, scan);
      EXPECT_NE(plan.find("INDEX " + t.name), std::string::npos) << plan;
    }
    const std::vector<Row> want = Query(ref, scan);
    const std::vector<Row> got = Query(db, scan);
    ASSERT_EQ(got.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) {
      ASSERT_TRUE(got[k] == want[k])
          << "entry " << k << ": " << Show(got[k]) << " vs " << Show(want[k]);
    }
    // Point lookups descend through the interior pages.
    const std::string key = t.is_index_btree ? t.first_key : "rowid";
    const std::string lookup =
        "SELECT " + t.select + " FROM " + from + " WHERE " + key + " = ?1 ORDER BY " + t.order_by;
    if (secondary) {
      const std::string plan = Plan(db, lookup);
      EXPECT_NE(plan.find("SEARCH"), std::string::npos) << plan;
      EXPECT_NE(plan.find("INDEX " + t.name), std::string::npos) << plan;
    }
    const size_t step = want.size() / 25 + 1;
    for (size_t k = 0; k < want.size(); k += step) {
      const Cell probe = want[k][0];
      if (probe.type == SQLITE_NULL) continue;
      EXPECT_EQ(Query(db, lookup, {probe}).size(), Query(ref, lookup, {probe}).size())
          << "lookup of " << Show({probe});
      auto a = Query(db, lookup, {probe});
      auto b = Query(ref, lookup, {probe});
      EXPECT_TRUE(a == b) << "lookup of " << Show({probe});
    }
  }
}

Outcome RunScenario(const Scenario& sc) {
  Outcome out;
  TempDir dir;
  const std::string ref_path = dir.File("ref.db");
  const std::string path = dir.File("bulk.db");
  {
    SqliteDb ref = OpenDb(ref_path, /*create=*/true);
    Exec(ref, "PRAGMA page_size=" + std::to_string(sc.page_size));
    Exec(ref, sc.schema);
    Exec(ref, "BEGIN; " + sc.populate + "; COMMIT;");
  }
  CreateStaging(path, sc.page_size, sc.schema);
  std::vector<Tree> trees;
  {
    SqliteDb db = OpenDb(path);
    trees = ReadTrees(db);
  }
  {
    auto writer = BulkFileWriter::Open(path, sc.options);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    if (!writer.ok()) return out;
    EXPECT_EQ((*writer)->page_size(), sc.page_size);
    if (sc.mode == Mode::kThreads) {
      std::vector<std::thread> threads;
      std::vector<Status> results(trees.size());
      for (size_t k = 0; k < trees.size(); ++k) {
        threads.emplace_back(
            [&, k] { results[k] = BuildTree(writer->get(), ref_path, trees[k], sc.table_cuts); });
      }
      for (auto& th : threads) th.join();
      for (size_t k = 0; k < trees.size(); ++k) {
        EXPECT_TRUE(results[k].ok()) << trees[k].name << ": " << results[k].ToString();
      }
    } else if (sc.mode == Mode::kSequential) {
      for (const Tree& t : trees) {
        Status s = BuildTree(writer->get(), ref_path, t, sc.table_cuts);
        EXPECT_TRUE(s.ok()) << t.name << ": " << s.ToString();
      }
    } else {
      // All builders open at once, fed one entry each in turn: their page runs interleave.
      SqliteDb ref = OpenDb(ref_path);
      std::vector<std::vector<Row>> entries;
      for (const Tree& t : trees) {
        entries.push_back(
            Query(ref, "SELECT " + t.select + " FROM " + Q(t.table) + " ORDER BY " + t.order_by));
      }
      std::vector<std::unique_ptr<TableBtreeBuilder>> tables(trees.size());
      std::vector<std::unique_ptr<IndexBtreeBuilder>> indexes(trees.size());
      for (size_t k = 0; k < trees.size(); ++k) {
        if (trees[k].is_index_btree) {
          indexes[k] = std::move((*writer)->BuildIndex(trees[k].root).value());
        } else {
          tables[k] = std::move((*writer)->BuildTable(trees[k].root).value());
        }
      }
      for (size_t i = 0;; ++i) {
        bool any = false;
        for (size_t k = 0; k < trees.size(); ++k) {
          if (i > entries[k].size()) continue;
          any = true;
          if (i == entries[k].size()) {
            Status s = indexes[k] ? indexes[k]->Finish() : tables[k]->Finish();
            EXPECT_TRUE(s.ok()) << s.ToString();
            continue;
          }
          Row row = entries[k][i];
          Status s;
          if (indexes[k]) {
            s = indexes[k]->Add(Record(row));
          } else {
            const int64_t rowid = row[0].i;
            row.erase(row.begin());
            if (trees[k].ipk_column >= 0) row[trees[k].ipk_column] = Cell();
            s = tables[k]->Add(rowid, Record(row));
          }
          EXPECT_TRUE(s.ok()) << s.ToString();
        }
        if (!any) break;
      }
    }
    Status s = (*writer)->Finish();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  SqliteDb db = OpenDb(path);
  SqliteDb ref = OpenDb(ref_path);
  EXPECT_EQ(QueryJoined(db, "PRAGMA integrity_check"), "ok");
  out.page_count = Query(db, "PRAGMA page_count")[0][0].i;
  out.freelist = Query(db, "PRAGMA freelist_count")[0][0].i;
  for (const Tree& t : trees) out.depth[t.name] = Depth(db, t.name);
  ExpectSameContents(db, ref, trees);
  if (::testing::Test::HasFailure()) return out;

  // SQLite keeps working on the result: more writes, then the same checks.
  if (!sc.mutate.empty()) {
    Exec(ref, "BEGIN; " + sc.mutate + "; COMMIT;");
    Exec(db, "BEGIN; " + sc.mutate + "; COMMIT;");
    EXPECT_EQ(QueryJoined(db, "PRAGMA integrity_check"), "ok");
    ExpectSameContents(db, ref, trees);
  }
  return out;
}

// `WITH RECURSIVE` row source of n rows numbered 1..n as x.
std::string Rows(int64_t n) {
  return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " +
         std::to_string(n) + ") ";
}

const char* kMixedSchema =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB, n INT, misc);"
    "CREATE INDEX t_name ON t(name);"
    "CREATE INDEX t_score_desc ON t(score DESC, n);"
    "CREATE INDEX t_nocase ON t(name COLLATE NOCASE, misc);"
    "CREATE UNIQUE INDEX t_data ON t(data);";

std::string MixedRows(int64_t n) {
  return Rows(n) +
         "INSERT INTO t SELECT x * 3 - 1000, "
         "CASE WHEN x % 11 = 0 THEN NULL ELSE printf('Name-%05d-%s', (x * 7919) % 1000, "
         "substr('abcdefghijklmnopqrstuvwxyz', 1 + x % 26)) END, "
         "CASE WHEN x % 13 = 0 THEN NULL ELSE (x % 97) * 1.25 - 30 END, "
         "CASE WHEN x % 17 = 0 THEN NULL ELSE zeroblob(x % 50) || x END, "
         "(x * 2654435761) % 100003 - 50000, "
         "CASE x % 5 WHEN 0 THEN NULL WHEN 1 THEN x WHEN 2 THEN x / 7.0 WHEN 3 THEN 'm' || x "
         "ELSE CAST(x AS BLOB) END FROM c";
}

const char* kMixedMutate =
    "INSERT INTO t(name, score, data, n, misc) SELECT name || '+', score + 1, data || x'ff', n, "
    "misc FROM t WHERE id % 4 = 0;"
    "UPDATE t SET name = upper(name), misc = 'updated' WHERE id % 5 = 1;"
    "DELETE FROM t WHERE id % 3 = 0";

// ---------------------------------------------------------------------------------------------
// Shapes

TEST(BulkBtreeTest, EmptyTablesKeepTheirEmptyRoots) {
  Scenario sc;
  sc.schema = kMixedSchema;
  sc.populate = "SELECT 1";
  sc.mutate = MixedRows(50);
  Outcome o = RunScenario(sc);
  EXPECT_EQ(o.depth["t"], 1);
  EXPECT_EQ(o.freelist, 0);
}

TEST(BulkBtreeTest, OneRow) {
  Scenario sc;
  sc.schema = kMixedSchema;
  sc.populate = MixedRows(1);
  sc.mutate = kMixedMutate;
  Outcome o = RunScenario(sc);
  EXPECT_EQ(o.depth["t"], 1);
  EXPECT_EQ(o.depth["t_name"], 1);
  EXPECT_EQ(o.freelist, 0);
}

// Every row count from 0 to 120 with fixed-size rows at 512-byte pages walks through one full
// leaf, one more row, two and three leaves, and the index cases where the last entry would be a
// separator with nothing after it.
TEST(BulkBtreeTest, EveryRowCountAroundPageBoundaries) {
  for (int n = 0; n <= 120; ++n) {
    SCOPED_TRACE("rows " + std::to_string(n));
    Scenario sc;
    sc.schema = "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT); CREATE INDEX t_b ON t(b);";
    sc.populate = Rows(n) + "INSERT INTO t SELECT x, printf('%020d', x) FROM c WHERE " +
                  std::to_string(n) + " > 0";
    sc.mutate = "INSERT INTO t(b) VALUES('zz'), ('aa'); DELETE FROM t WHERE a % 2 = 0";
    sc.mode = n % 2 ? Mode::kSequential : Mode::kThreads;
    Outcome o = RunScenario(sc);
    if (HasFailure()) return;
    if (n <= 10) {
      EXPECT_EQ(o.depth["t"], 1);
    }
    if (n >= 40) {
      EXPECT_EQ(o.depth["t"], 2);
    }
    // One builder after the other reuse each other's leftovers; concurrent ones may leave the
    // unused rest of one run below the other's pages, on the freelist.
    if (sc.mode == Mode::kSequential) {
      EXPECT_EQ(o.freelist, 0);
    } else {
      EXPECT_LT(o.freelist, 64);
    }
  }
}

// A table built in parts (on threads of their own, appended in order) reads back as the same
// rows: cuts before the first row, after the last, next to each other (empty parts), at a leaf's
// end and one row past it, at 512-byte pages (few rows a leaf) with overflowing rows.
TEST(BulkBtreeTest, TablesBuiltInPartsAcrossLeafBoundaries) {
  const std::vector<std::vector<size_t>> cut_sets = {
      {0}, {1}, {2}, {40}, {200}, {200, 200}, {0, 0, 3}, {7, 8, 9, 10}, {1, 100, 101, 199}};
  for (int n : {0, 1, 9, 10, 11, 200, 3000}) {
    for (const auto& cuts : cut_sets) {
      std::string trace = "rows " + std::to_string(n) + ", cuts";
      for (size_t c : cuts) trace += " " + std::to_string(c);
      SCOPED_TRACE(trace);
      Scenario sc;
      sc.schema = "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT); CREATE INDEX t_b ON t(b);";
      // Every 7th row overflows its leaf.
      sc.populate = Rows(n) +
                    "INSERT INTO t SELECT x * 2, CASE WHEN x % 7 = 0 THEN printf('%01200d', x) "
                    "ELSE printf('%020d', x) END FROM c WHERE " +
                    std::to_string(n) + " > 0";
      sc.mutate = "INSERT INTO t(b) VALUES('zz'), ('aa'); DELETE FROM t WHERE a % 3 = 0";
      sc.mode = cuts.size() % 2 ? Mode::kSequential : Mode::kThreads;
      sc.table_cuts = cuts;
      Outcome o = RunScenario(sc);
      if (HasFailure()) return;
      if (n >= 3000) {
        EXPECT_GE(o.depth["t"], 3);
      }
    }
  }
}

TEST(BulkBtreeTest, ThousandsOfRowsMakeThreeOrMoreLevels) {
  Scenario sc;
  sc.schema = kMixedSchema;
  sc.populate = MixedRows(6000);
  sc.mutate = kMixedMutate;
  Outcome o = RunScenario(sc);
  EXPECT_GE(o.depth["t"], 3);
  EXPECT_GE(o.depth["t_name"], 3);
  EXPECT_GE(o.depth["t_nocase"], 3);
}

TEST(BulkBtreeTest, ManyRowsSequentialBuildersAtDefaultPageSize) {
  Scenario sc;
  sc.page_size = 4096;
  sc.schema = kMixedSchema;
  sc.populate = MixedRows(40000);
  sc.mutate = kMixedMutate;
  sc.mode = Mode::kSequential;
  Outcome o = RunScenario(sc);
  EXPECT_GE(o.depth["t"], 2);
}

TEST(BulkBtreeTest, LargestAndSmallestPageSizes) {
  for (uint32_t page_size : {512u, 1024u, 65536u}) {
    SCOPED_TRACE("page size " + std::to_string(page_size));
    Scenario sc;
    sc.page_size = page_size;
    sc.schema = kMixedSchema;
    sc.populate = MixedRows(page_size == 65536 ? 30000 : 3000) +
                  "; INSERT INTO t(name, data) VALUES ('big', randomblob(200000))";
    sc.mutate = kMixedMutate;
    RunScenario(sc);
  }
}

TEST(BulkBtreeTest, NegativeAndHugeRowids) {
  Scenario sc;
  sc.schema = "CREATE TABLE t(a TEXT, b INT); CREATE INDEX t_b ON t(b, a);";
  sc.populate =
      "INSERT INTO t(rowid, a, b) VALUES (-9223372036854775808, 'min', 1), (-1, 'm1', 2), "
      "(0, 'zero', 3), (1, 'one', 4), (9223372036854775807, 'max', 5), "
      "(140737488355328, 'p48', 6), (-140737488355329, 'n48', 7);" +
      Rows(3000) +
      "INSERT INTO t(rowid, a, b) SELECT (x - 1500) * 3074457345618258, 'r' || x, x % 10 "
      "FROM c WHERE x != 1500";
  sc.mutate = "DELETE FROM t WHERE b = 3; INSERT INTO t(rowid, a, b) VALUES (5, 'five', 5)";
  // Whole, then in parts whose leaves' rowids jump across the whole range (the parts' leaf lists
  // hold differences from one leaf's largest rowid to the next).
  for (const std::vector<size_t>& cuts :
       {std::vector<size_t>{}, std::vector<size_t>{1, 1501, 2999}}) {
    SCOPED_TRACE("cuts " + std::to_string(cuts.size()));
    sc.table_cuts = cuts;
    Outcome o = RunScenario(sc);
    EXPECT_GE(o.depth["t"], 3);
  }
}

// Payload sizes around every spill boundary of 512-byte pages: table leaves keep up to
// X = 477 bytes local, index cells X = 102 (M = 39); beyond that K or M bytes stay local.
TEST(BulkBtreeTest, PayloadsAcrossEveryOverflowBoundary) {
  std::string values;
  // The record of (b) is 3 bytes of header (size, blob serial type of 2 bytes) + blob for
  // blobs of 58..8191 bytes; the index record adds the rowid (1-2 bytes).
  for (int len : {1,    30,   36,   37,   38,   58,   90,   97,    98,     99,     100, 101,
                  102,  150,  300,  470,  471,  472,  473,  474,   475,    476,    480, 505,
                  506,  507,  508,  509,  510,  600,  985,  986,   987,    988,    989, 990,
                  1000, 1497, 1498, 1499, 1500, 1501, 5000, 65536, 100000, 1048576}) {
    for (int copy = 0; copy < 3; ++copy) {
      values += std::string(values.empty() ? "" : ", ") + "(" + std::to_string(len) + ", " +
                std::to_string(copy) + ")";
    }
  }
  Scenario sc;
  sc.schema =
      "CREATE TABLE t(n INT, copy INT, b BLOB, s TEXT); CREATE INDEX t_b ON t(b);"
      "CREATE INDEX t_s ON t(s, n);";
  sc.populate = "INSERT INTO t(n, copy) VALUES " + values +
                "; UPDATE t SET b = CAST(substr(hex(zeroblob(n)), 1, n) AS BLOB) || char(copy), "
                "s = substr(printf('%.*c', n, 'q'), 1, n) || copy";
  sc.mutate = "UPDATE t SET b = b || x'00' WHERE rowid % 2 = 0; DELETE FROM t WHERE copy = 1";
  RunScenario(sc);
}

TEST(BulkBtreeTest, WithoutRowidTableAndItsIndex) {
  Scenario sc;
  sc.schema =
      "CREATE TABLE kv(k TEXT, j INT, v BLOB, PRIMARY KEY (k DESC, j)) WITHOUT ROWID;"
      "CREATE INDEX kv_v ON kv(v);"
      "CREATE TABLE other(a UNIQUE, b);";
  sc.populate = Rows(5000) +
                "INSERT INTO kv SELECT 'key' || (x % 700), x, randomblob(x % 300) FROM c;" +
                Rows(2000) + "INSERT INTO other SELECT x * x, x FROM c";
  sc.mutate =
      "DELETE FROM kv WHERE j % 3 = 0; INSERT INTO kv VALUES ('new', 1, x'01');"
      "INSERT INTO other VALUES (-1, -1)";
  Outcome o = RunScenario(sc);
  EXPECT_GE(o.depth["kv"], 3);
  EXPECT_GE(o.depth["sqlite_autoindex_other_1"], 2);
}

TEST(BulkBtreeTest, ManyTablesInterleavedLeaveAFreelistSqliteAccepts) {
  Scenario sc;
  std::string populate;
  for (int k = 0; k < 6; ++k) {
    const std::string t = "t" + std::to_string(k);
    sc.schema += "CREATE TABLE " + t +
                 "(a INTEGER PRIMARY KEY, b TEXT, c REAL);"
                 "CREATE INDEX " +
                 t + "_b ON " + t + "(b);";
    populate += Rows(100 + 700 * k) + "INSERT INTO " + t +
                " SELECT x, hex(randomblob(1 + x % 40)), x / 3.0 FROM c;";
    sc.mutate += "INSERT INTO " + t + "(b, c) SELECT b, c FROM " + t + " WHERE a % 2 = 0;";
  }
  sc.populate = populate + "SELECT 1";
  sc.mutate += "SELECT 1";
  sc.mode = Mode::kInterleaved;
  sc.options.run_pages = 300;  // leftovers of more than one trunk page
  Outcome o = RunScenario(sc);
  EXPECT_GT(o.freelist, 120);
}

TEST(BulkBtreeTest, ConcurrentBuildersOnManyThreads) {
  Scenario sc;
  for (int k = 0; k < 4; ++k) {
    const std::string t = "t" + std::to_string(k);
    sc.schema += "CREATE TABLE " + t +
                 "(a INTEGER PRIMARY KEY, b TEXT, c BLOB);"
                 "CREATE INDEX " +
                 t + "_b ON " + t +
                 "(b);"
                 "CREATE INDEX " +
                 t + "_c ON " + t + "(c, b);";
    sc.populate += Rows(4000 + 1000 * k) + "INSERT INTO " + t +
                   " SELECT x, 'v' || ((x * 37) % 1009), randomblob(x % 700) FROM c;";
    sc.mutate += "DELETE FROM " + t + " WHERE a % 7 = 0;";
  }
  sc.populate += "SELECT 1";
  sc.mutate += "SELECT 1";
  sc.options.run_pages = 16;
  // The file is synced on a thread of its own every 64 KiB while the builders write it.
  sc.options.sync_behind_bytes = 64 << 10;
  RunScenario(sc);
}

// The page holding SQLite's lock byte is never used. Moving the lock byte to 64 KiB (as SQLite's
// own tests do) puts it at page 129 of a 512-byte-page file.
TEST(BulkBtreeTest, SkipsTheLockBytePage) {
  const int old = sqlite3_test_control(SQLITE_TESTCTRL_PENDING_BYTE, 0x10000);
  Scenario sc;
  sc.schema = kMixedSchema;
  sc.populate = MixedRows(3000);
  sc.mutate = kMixedMutate;
  sc.options.pending_byte = 0x10000;
  Outcome o = RunScenario(sc);
  sqlite3_test_control(SQLITE_TESTCTRL_PENDING_BYTE, old);
  EXPECT_GT(o.page_count, 129);
}

// ---------------------------------------------------------------------------------------------
// Refusals

std::string MakeStaging(const TempDir& dir, const std::string& pragmas,
                        const std::string& schema = "CREATE TABLE t(a); CREATE INDEX i ON t(a);") {
  const std::string path = dir.File("s.db");
  SqliteDb db = OpenDb(path, /*create=*/true);
  Exec(db, pragmas);
  Exec(db, schema);
  EXPECT_TRUE(db.Close().ok());
  return path;
}

void ExpectRefused(const std::string& path, const std::string& fragment) {
  auto w = BulkFileWriter::Open(path);
  ASSERT_FALSE(w.ok()) << "expected refusal mentioning " << fragment;
  EXPECT_EQ(w.status().code(), StatusCode::kFailedPrecondition) << w.status().ToString();
  EXPECT_NE(w.status().message().find(fragment), std::string::npos) << w.status().ToString();
}

TEST(BulkBtreeRefusalTest, WrongPreconditions) {
  {
    TempDir d;
    ExpectRefused(MakeStaging(d, "PRAGMA encoding='UTF-16le'"), "UTF-16le");
  }
  {
    TempDir d;
    ExpectRefused(MakeStaging(d, "PRAGMA auto_vacuum=FULL"), "auto_vacuum");
  }
  {
    TempDir d;
    ExpectRefused(MakeStaging(d, "PRAGMA auto_vacuum=INCREMENTAL"), "auto_vacuum");
  }
  {
    TempDir d;
    ExpectRefused(MakeStaging(d, "PRAGMA journal_mode=WAL", "CREATE TABLE t(a)"), "WAL");
  }
  {
    TempDir d;
    ExpectRefused(MakeStaging(d, "PRAGMA journal_mode=OFF",
                              "CREATE TABLE t(a); INSERT INTO t SELECT randomblob(3000) FROM "
                              "(SELECT 1 UNION ALL SELECT 2); DELETE FROM t;"),
                  "freelist");
  }
  {
    TempDir d;
    const std::string path = d.File("r.db");
    SqliteDb db = OpenDb(path, /*create=*/true);
    int reserve = 8;
    ASSERT_EQ(sqlite3_file_control(db.get(), "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve),
              SQLITE_OK);
    Exec(db, "CREATE TABLE t(a)");
    ASSERT_TRUE(db.Close().ok());
    ExpectRefused(path, "reserved bytes");
  }
  {
    TempDir d;
    const std::string path = MakeStaging(d, "PRAGMA journal_mode=OFF");
    { std::ofstream(path + "-wal") << "x"; }
    ExpectRefused(path, "-wal");
  }
  {
    TempDir d;
    const std::string path = d.File("junk.db");
    { std::ofstream(path) << std::string(4096, 'j'); }
    ExpectRefused(path, "not a SQLite database");
  }
  {
    TempDir d;
    const std::string path = MakeStaging(d, "PRAGMA page_size=4096");
    {  // page size 3000 is not a power of two
      FILE* f = std::fopen(path.c_str(), "r+b");
      std::fseek(f, 16, SEEK_SET);
      const unsigned char size[2] = {0x0b, 0xb8};
      std::fwrite(size, 1, 2, f);
      std::fclose(f);
    }
    ExpectRefused(path, "page size 3000");
  }
  {
    TempDir d;
    auto w = BulkFileWriter::Open(d.File("missing.db"));
    EXPECT_EQ(w.status().code(), StatusCode::kNotFound) << w.status().ToString();
  }
}

struct Staged {
  TempDir dir;
  std::string path;
  uint32_t table_root = 0, index_root = 0;
  std::unique_ptr<BulkFileWriter> writer;
};

std::unique_ptr<Staged> Stage() {
  auto s = std::make_unique<Staged>();
  s->path = MakeStaging(s->dir, "PRAGMA page_size=512; PRAGMA journal_mode=OFF");
  {
    SqliteDb db = OpenDb(s->path);
    s->table_root = Query(db, "SELECT rootpage FROM sqlite_schema WHERE name='t'")[0][0].i;
    s->index_root = Query(db, "SELECT rootpage FROM sqlite_schema WHERE name='i'")[0][0].i;
  }
  auto w = BulkFileWriter::Open(s->path);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  if (w.ok()) s->writer = std::move(*w);
  return s;
}

std::string R(int64_t v) {
  std::string out;
  sqlite_record::Value value{sqlite_record::Type::kInteger, v, 0, {}};
  sqlite_record::Append({&value, 1}, &out);
  return out;
}

TEST(BulkBtreeRefusalTest, OutOfOrderAndDuplicateRowids) {
  for (int64_t bad : {int64_t{5}, int64_t{4}}) {
    auto s = Stage();
    auto b = s->writer->BuildTable(s->table_root);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ASSERT_TRUE((*b)->Add(3, R(3)).ok());
    ASSERT_TRUE((*b)->Add(5, R(5)).ok());
    Status st = (*b)->Add(bad, R(bad));
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("rowid " + std::to_string(bad) +
                                " is not greater than the "
                                "previous rowid 5"),
              std::string::npos)
        << st.ToString();
    // Sticky: the builder and the writer refuse to go on.
    EXPECT_EQ((*b)->Add(9, R(9)).code(), StatusCode::kInvalidArgument);
    EXPECT_FALSE((*b)->Finish().ok());
    Status fin = s->writer->Finish();
    EXPECT_EQ(fin.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(fin.message().find("failed"), std::string::npos) << fin.ToString();
  }
}

TEST(BulkBtreeRefusalTest, PartsOutOfOrderUnfinishedOrNotAppended) {
  {
    // A part whose rows do not come after the builder's.
    auto s = Stage();
    auto b = s->writer->BuildTable(s->table_root);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    auto part = (*b)->NewPart();
    ASSERT_TRUE((*b)->Add(5, R(5)).ok());
    ASSERT_TRUE(part->Add(5, R(5)).ok());
    ASSERT_TRUE(part->Finish().ok());
    Status st = (*b)->AppendPart(*part);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
    EXPECT_NE(st.message().find("rowid 5 is not greater than the previous rowid 5"),
              std::string::npos)
        << st.ToString();
    EXPECT_EQ(s->writer->Finish().code(), StatusCode::kFailedPrecondition);
  }
  {
    // Appended before it finished, then twice.
    auto s = Stage();
    auto b = s->writer->BuildTable(s->table_root);
    ASSERT_TRUE(b.ok());
    auto part = (*b)->NewPart();
    ASSERT_TRUE(part->Add(1, R(1)).ok());
    EXPECT_EQ((*b)->AppendPart(*part).code(), StatusCode::kFailedPrecondition);
    ASSERT_TRUE(part->Finish().ok());
    ASSERT_TRUE((*b)->AppendPart(*part).ok());
    EXPECT_EQ((*b)->AppendPart(*part).code(), StatusCode::kFailedPrecondition);
  }
  {
    // A part never appended: the builder cannot finish, nor the writer.
    auto s = Stage();
    auto b = s->writer->BuildTable(s->table_root);
    ASSERT_TRUE(b.ok());
    auto part = (*b)->NewPart();
    ASSERT_TRUE(part->Add(1, R(1)).ok());
    ASSERT_TRUE(part->Finish().ok());
    Status st = (*b)->Finish();
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(st.message().find("never appended"), std::string::npos) << st.ToString();
    EXPECT_EQ(s->writer->Finish().code(), StatusCode::kFailedPrecondition);
  }
  {
    // A failed part fails its builder.
    auto s = Stage();
    auto b = s->writer->BuildTable(s->table_root);
    ASSERT_TRUE(b.ok());
    auto part = (*b)->NewPart();
    ASSERT_TRUE(part->Add(3, R(3)).ok());
    EXPECT_EQ(part->Add(2, R(2)).code(), StatusCode::kInvalidArgument);
    EXPECT_FALSE(part->Finish().ok());
    EXPECT_EQ((*b)->AppendPart(*part).code(), StatusCode::kInvalidArgument);
    EXPECT_FALSE((*b)->Finish().ok());
    EXPECT_EQ(s->writer->Finish().code(), StatusCode::kFailedPrecondition);
  }
}

TEST(BulkBtreeRefusalTest, MalformedRecordsNameTheRow) {
  auto s = Stage();
  auto b = s->writer->BuildTable(s->table_root);
  ASSERT_TRUE(b.ok());
  Status st = (*b)->Add(42, "\x02\x01");  // an int8 without its byte
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("rowid 42"), std::string::npos) << st.ToString();
  auto ib = s->writer->BuildIndex(s->index_root);
  ASSERT_TRUE(ib.ok());
  EXPECT_EQ((*ib)->Add("").code(), StatusCode::kInvalidArgument);
}

TEST(BulkBtreeRefusalTest, WrongRootPages) {
  auto s = Stage();
  EXPECT_EQ(s->writer->BuildTable(s->index_root).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->writer->BuildIndex(s->table_root).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->writer->BuildTable(1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->writer->BuildTable(99).status().code(), StatusCode::kInvalidArgument);
  auto b = s->writer->BuildTable(s->table_root);
  ASSERT_TRUE(b.ok());
  auto again = s->writer->BuildTable(s->table_root);
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("already exists"), std::string::npos);
}

TEST(BulkBtreeRefusalTest, RootPageThatIsNotEmpty) {
  TempDir d;
  const std::string path =
      MakeStaging(d, "PRAGMA journal_mode=OFF", "CREATE TABLE t(a); INSERT INTO t VALUES (1);");
  auto w = BulkFileWriter::Open(path);
  ASSERT_TRUE(w.ok());
  auto b = (*w)->BuildTable(2);
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(b.status().message().find("1 cells"), std::string::npos) << b.status().ToString();
}

TEST(BulkBtreeRefusalTest, FinishNeedsEveryBuilderFinished) {
  auto s = Stage();
  auto b = s->writer->BuildTable(s->table_root);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->Add(1, R(1)).ok());
  Status st = s->writer->Finish();
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("still being built"), std::string::npos) << st.ToString();
  {
    auto ib = s->writer->BuildIndex(s->index_root);
    ASSERT_TRUE(ib.ok());
  }  // abandoned
  ASSERT_TRUE((*b)->Finish().ok());
  st = s->writer->Finish();
  EXPECT_NE(st.message().find("abandoned"), std::string::npos) << st.ToString();
}

TEST(BulkBtreeRefusalTest, FinishTwiceAndBuildAfterFinish) {
  auto s = Stage();
  ASSERT_TRUE(s->writer->Finish().ok());
  EXPECT_EQ(s->writer->Finish().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s->writer->BuildTable(s->table_root).status().code(), StatusCode::kFailedPrecondition);
  SqliteDb db = OpenDb(s->path);
  EXPECT_EQ(QueryJoined(db, "PRAGMA integrity_check"), "ok");
}

// A full disk (here: the file size limit, EFBIG) is reported as ResourceExhausted "disk full".
TEST(BulkBtreeRefusalTest, DiskFullIsResourceExhausted) {
  auto s = Stage();
  auto b = s->writer->BuildTable(s->table_root);
  ASSERT_TRUE(b.ok());
  struct rlimit old;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 256 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  Status st;
  const std::string payload = R(7) + std::string();
  std::string rec;
  sqlite_record::Value v{sqlite_record::Type::kBlob, 0, 0, std::string_view()};
  std::string blob(1000, 'b');
  v.bytes = blob;
  sqlite_record::Append({&v, 1}, &rec);
  for (int64_t i = 1; i < 2000 && st.ok(); ++i) st = (*b)->Add(i, rec);
  if (st.ok()) st = (*b)->Finish();
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
  EXPECT_NE(st.message().find("disk full while writing page"), std::string::npos) << st.ToString();
  EXPECT_EQ(s->writer->Finish().code(), StatusCode::kFailedPrecondition);
}

// ---------------------------------------------------------------------------------------------
// Throughput (run with --gtest_also_run_disabled_tests): 1M rows of ~250 bytes, bulk builder
// against SQLite inserting the same records.

TEST(BulkBtreeBench, DISABLED_Table1MRows) {
  const int64_t kRows = 1000000;
  TempDir dir;
  // Records made up front so only the builder is timed.
  std::vector<std::string> records;
  records.reserve(kRows);
  uint64_t bytes = 0;
  std::string text(200, 't');
  for (int64_t i = 0; i < kRows; ++i) {
    for (int k = 0; k < 8; ++k) text[k * 25] = static_cast<char>('a' + (i >> (3 * k)) % 26);
    sqlite_record::Value v[4];
    v[1].type = sqlite_record::Type::kInteger, v[1].i = i * 7919;
    v[2].type = sqlite_record::Type::kReal, v[2].r = i / 3.0;
    v[3].type = sqlite_record::Type::kText, v[3].bytes = text;
    std::string rec;
    sqlite_record::Append(v, &rec);
    bytes += rec.size() + 8;
    records.push_back(std::move(rec));
  }
  const std::string schema = "CREATE TABLE t(id INTEGER PRIMARY KEY, n INT, r REAL, s TEXT)";
  const std::string path = dir.File("bulk.db");
  CreateStaging(path, 4096, schema);
  const auto t0 = std::chrono::steady_clock::now();
  auto w = BulkFileWriter::Open(path);
  ASSERT_TRUE(w.ok());
  auto b = (*w)->BuildTable(2);
  ASSERT_TRUE(b.ok());
  for (int64_t i = 0; i < kRows; ++i) ASSERT_TRUE((*b)->Add(i + 1, records[i]).ok());
  ASSERT_TRUE((*b)->Finish().ok());
  const double build_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE((*w)->Finish().ok());
  const double bulk_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // An index on n of the same rows: (n, rowid) records in index order.
  std::vector<std::pair<int64_t, int64_t>> keys;
  keys.reserve(kRows);
  for (int64_t i = 0; i < kRows; ++i) keys.emplace_back((i * 7919) % 1000003, i + 1);
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> index_records;
  index_records.reserve(kRows);
  uint64_t index_bytes = 0;
  for (const auto& [n, rowid] : keys) {
    sqlite_record::Value v[2];
    v[0].type = v[1].type = sqlite_record::Type::kInteger;
    v[0].i = n, v[1].i = rowid;
    std::string rec;
    sqlite_record::Append(v, &rec);
    index_bytes += rec.size();
    index_records.push_back(std::move(rec));
  }
  const std::string ipath = dir.File("index.db");
  CreateStaging(ipath, 4096, schema + "; CREATE INDEX t_n ON t(n)");
  const auto t2 = std::chrono::steady_clock::now();
  {
    auto iw = BulkFileWriter::Open(ipath);
    ASSERT_TRUE(iw.ok());
    auto ib = (*iw)->BuildIndex(3);
    ASSERT_TRUE(ib.ok()) << ib.status().ToString();
    for (const std::string& rec : index_records) ASSERT_TRUE((*ib)->Add(rec).ok());
    ASSERT_TRUE((*ib)->Finish().ok());
    ASSERT_TRUE((*iw)->Finish().ok());
  }
  const double index_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();

  const std::string ref = dir.File("sqlite.db");
  CreateStaging(ref, 4096, schema);
  const auto t1 = std::chrono::steady_clock::now();
  {
    SqliteDb db = OpenDb(ref);
    Exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN");
    auto st = db.Prepare("INSERT INTO t VALUES (NULL, ?, ?, ?)");
    ASSERT_TRUE(st.ok());
    for (int64_t i = 0; i < kRows; ++i) {
      for (int k = 0; k < 8; ++k) text[k * 25] = static_cast<char>('a' + (i >> (3 * k)) % 26);
      st->Bind(1, i * 7919).Bind(2, i / 3.0).Bind(3, std::string_view(text));
      ASSERT_TRUE(st->Run().ok());
      ASSERT_TRUE(st->Reset().ok());
    }
    Exec(db, "COMMIT");
  }
  const double sqlite_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  SqliteDb db = OpenDb(path);
  EXPECT_EQ(QueryJoined(db, "PRAGMA integrity_check"), "ok");
  printf("bulk builder: %lld rows, %.1f MB in %.2f s: %.0f rows/s, %.0f MB/s (incl. fsync)\n",
         static_cast<long long>(kRows), bytes / 1e6, bulk_s, kRows / bulk_s, bytes / 1e6 / bulk_s);
  printf("  of which building %.2f s (%.0f rows/s, %.0f MB/s), header + fsync %.2f s\n", build_s,
         kRows / build_s, bytes / 1e6 / build_s, bulk_s - build_s);
  printf("bulk index builder: %lld entries, %.1f MB in %.2f s: %.0f entries/s (incl. fsync)\n",
         static_cast<long long>(kRows), index_bytes / 1e6, index_s, kRows / index_s);
  printf("sqlite insert (journal off, synchronous off): %.2f s: %.0f rows/s\n", sqlite_s,
         kRows / sqlite_s);
}

}  // namespace
}  // namespace cofre
