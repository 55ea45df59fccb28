// IndexRecordOrder against SQLite itself: random tables of mixed-type values (integers around
// every serial-type and 2^53 / int64 boundary, reals including -0.0, infinities and values equal
// to integers, text in case / trailing-space / unicode / embedded-NUL variants, blobs, NULLs),
// indexed with every collation and direction; the records we encode from SQLite's covering index
// scan, shuffled and sorted by IndexRecordOrder, must come out in exactly SQLite's b-tree order.
#include "engine/index_record_order.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/sqlite.h"
#include "engine/sqlite_record.h"

namespace cofre {
namespace {

using sqlite_record::Type;

// A value owning its bytes.
struct TestValue {
  Type type = Type::kNull;
  int64_t i = 0;
  double r = 0;
  std::string bytes;
};

TestValue NullValue() { return {}; }
TestValue Int(int64_t v) { return {Type::kInteger, v, 0, ""}; }
TestValue Real(double v) { return {Type::kReal, 0, v, ""}; }
TestValue Text(std::string s) { return {Type::kText, 0, 0, std::move(s)}; }
TestValue Blob(std::string s) { return {Type::kBlob, 0, 0, std::move(s)}; }

std::string EncodeValues(const std::vector<TestValue>& values) {
  std::vector<sqlite_record::Value> v;
  for (const TestValue& t : values) v.push_back({t.type, t.i, t.r, t.bytes});
  std::string out;
  sqlite_record::Append(v, &out);
  return out;
}

std::string Describe(const TestValue& v) {
  switch (v.type) {
    case Type::kNull:
      return "NULL";
    case Type::kInteger:
      return std::to_string(v.i);
    case Type::kReal: {
      char buf[64];
      snprintf(buf, sizeof(buf), "%.17g", v.r);
      return buf;
    }
    case Type::kText:
    case Type::kBlob: {
      std::string s = v.type == Type::kText ? "'" : "x'";
      for (unsigned char c : v.bytes) {
        if (v.type == Type::kText && c >= 0x20 && c < 0x7f) {
          s += static_cast<char>(c);
        } else {
          char buf[8];
          snprintf(buf, sizeof(buf), "\\x%02x", c);
          s += buf;
        }
      }
      return s + "'";
    }
  }
  return "?";
}

void Bind(sqlite3_stmt* stmt, int i, const TestValue& v) {
  switch (v.type) {
    case Type::kNull:
      sqlite3_bind_null(stmt, i);
      break;
    case Type::kInteger:
      sqlite3_bind_int64(stmt, i, v.i);
      break;
    case Type::kReal:
      sqlite3_bind_double(stmt, i, v.r);
      break;
    case Type::kText:
      sqlite3_bind_text(stmt, i, v.bytes.data(), static_cast<int>(v.bytes.size()),
                        SQLITE_TRANSIENT);
      break;
    case Type::kBlob:
      sqlite3_bind_blob(stmt, i, v.bytes.data(), static_cast<int>(v.bytes.size()),
                        SQLITE_TRANSIENT);
      break;
  }
}

TestValue Column(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      return Int(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
      return Real(sqlite3_column_double(stmt, i));
    case SQLITE_TEXT: {
      const char* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return Text(std::string(p, sqlite3_column_bytes(stmt, i)));
    }
    case SQLITE_BLOB: {
      const char* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      return Blob(std::string(p ? p : "", sqlite3_column_bytes(stmt, i)));
    }
    default:
      return NullValue();
  }
}

// Values around every edge SQLite's ordering has.
std::vector<TestValue> EdgeValues() {
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t p53 = int64_t{1} << 53;
  std::vector<TestValue> v = {NullValue()};
  for (int64_t i : {int64_t{0},
                    int64_t{1},
                    int64_t{-1},
                    int64_t{2},
                    int64_t{127},
                    int64_t{128},
                    int64_t{-128},
                    int64_t{-129},
                    int64_t{32767},
                    int64_t{32768},
                    int64_t{-32769},
                    int64_t{8388607},
                    int64_t{8388608},
                    int64_t{2147483647},
                    int64_t{2147483648},
                    int64_t{-2147483649},
                    (int64_t{1} << 47) - 1,
                    int64_t{1} << 47,
                    p53 - 1,
                    p53,
                    p53 + 1,
                    p53 + 2,
                    -p53 - 1,
                    -p53,
                    kMax,
                    kMax - 1,
                    kMin,
                    kMin + 1}) {
    v.push_back(Int(i));
  }
  const double inf = std::numeric_limits<double>::infinity();
  for (double d : {0.0,
                   -0.0,
                   0.5,
                   -0.5,
                   1.0,
                   -1.0,
                   2.0,
                   1e-300,
                   -1e-300,
                   3.25,
                   127.5,
                   static_cast<double>(p53),
                   static_cast<double>(p53) + 2.0,
                   -static_cast<double>(p53),
                   9223372036854775807.0,
                   -9223372036854775808.0,
                   9223372036854774784.0,
                   1e300,
                   -1e300,
                   inf,
                   -inf}) {
    v.push_back(Real(d));
  }
  for (const char* s :
       {"",    "a",    "A",   "a ",       "A ",       "a  ",      "ab",
        "aB",  "Ab",   "b",   "B",        "_",        "[",        "`",
        "{",   "z",    "Z",   " ",        "  ",       "a\t",      "abc",
        "ABC", "abc ", "abd", "\xc3\xa9", "\xc3\x89", "\xc3\x9f", "\xe6\x97\xa5\xe6\x9c\xac",
        "\x7f"}) {
    v.push_back(Text(s));
  }
  // Embedded NULs (NOCASE stops comparing at one).
  for (std::string s : {std::string("a\0b", 3), std::string("a\0c", 3), std::string("A\0c", 3),
                        std::string("a\0", 2), std::string("\0", 1), std::string("a\0b ", 4)}) {
    v.push_back(Text(s));
  }
  for (std::string s : {std::string(), std::string("\0", 1), std::string("a"), std::string("a "),
                        std::string("A"), std::string("\xff"), std::string("\x00\x01", 2)}) {
    v.push_back(Blob(s));
  }
  return v;
}

// A random value: mostly edges, the rest random of every type, biased to collide.
TestValue RandomValue(std::mt19937_64& rng, const std::vector<TestValue>& edges) {
  switch (rng() % 8) {
    case 0:
    case 1:
    case 2:
      return edges[rng() % edges.size()];
    case 3:
      return Int(static_cast<int64_t>(rng() % 21) - 10);
    case 4:
      return Real(static_cast<double>(static_cast<int64_t>(rng() % 41) - 20) / 2);
    case 5:
    case 6: {
      static const char kAlphabet[] = "aAbB _z\x01";
      std::string s;
      for (size_t n = rng() % 5; n > 0; --n) s += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
      return Text(s);
    }
    default: {
      std::string s;
      for (size_t n = rng() % 4; n > 0; --n) s += static_cast<char>("a \0\xff"[rng() % 4]);
      return Blob(s);
    }
  }
}

const char* CollationName(Collation c) {
  switch (c) {
    case Collation::kBinary:
      return "BINARY";
    case Collation::kNoCase:
      return "NOCASE";
    case Collation::kRtrim:
      return "RTRIM";
  }
  return "";
}

class SqliteOracle {
 public:
  SqliteOracle() {
    auto db = SqliteDb::Open(":memory:", true);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }
  const SqliteDb& db() const { return db_; }

  sqlite3_stmt* Prepare(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_.get());
    return stmt;
  }

 private:
  SqliteDb db_;
};

// Builds a table of `rows` random rows over `ncols` untyped columns, indexes it with `columns`,
// reads the index in b-tree order through a covering scan and checks that sorting our encoding
// of those entries reproduces it exactly.
void CheckIndexOrder(std::mt19937_64& rng, const std::vector<IndexColumnOrder>& columns,
                     size_t rows, const std::string& column_types) {
  SqliteOracle oracle;
  const size_t ncols = columns.size();
  std::string create = "CREATE TABLE t(";
  std::string index = "CREATE INDEX i ON t(";
  std::string select = "SELECT ";
  std::string insert = "INSERT INTO t VALUES(";
  for (size_t c = 0; c < ncols; ++c) {
    const std::string name = "c" + std::to_string(c);
    create += (c ? ", " : "") + name + column_types;
    index += (c ? ", " : "") + name + " COLLATE " + CollationName(columns[c].collation) +
             (columns[c].descending ? " DESC" : " ASC");
    select += name + ", ";
    insert += c ? ", ?" : "?";
  }
  ASSERT_TRUE(oracle.db().Exec(create + ")").ok());
  ASSERT_TRUE(oracle.db().Exec(index + ")").ok());
  select += "rowid FROM t INDEXED BY i";
  const std::vector<TestValue> edges = EdgeValues();
  sqlite3_stmt* ins = oracle.Prepare(insert + ")");
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < ncols; ++c) Bind(ins, static_cast<int>(c + 1), RandomValue(rng, edges));
    ASSERT_EQ(sqlite3_step(ins), SQLITE_DONE) << sqlite3_errmsg(oracle.db().get());
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);

  std::string plan;
  sqlite3_stmt* explain = oracle.Prepare("EXPLAIN QUERY PLAN " + select);
  while (sqlite3_step(explain) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(explain, 3));
  }
  sqlite3_finalize(explain);
  ASSERT_NE(plan.find("COVERING INDEX i"), std::string::npos) << plan;

  std::vector<std::string> sqlite_order;
  std::vector<std::string> described;
  sqlite3_stmt* sel = oracle.Prepare(select);
  while (sqlite3_step(sel) == SQLITE_ROW) {
    std::vector<TestValue> values;
    std::string d;
    for (size_t c = 0; c <= ncols; ++c) {
      values.push_back(Column(sel, static_cast<int>(c)));
      d += (c ? ", " : "") + Describe(values.back());
    }
    sqlite_order.push_back(EncodeValues(values));
    described.push_back(d);
  }
  sqlite3_finalize(sel);
  ASSERT_EQ(sqlite_order.size(), rows);

  const IndexRecordOrder order(columns);
  for (size_t k = 1; k < sqlite_order.size(); ++k) {
    ASSERT_LT(order.Compare(sqlite_order[k - 1], sqlite_order[k]), 0)
        << "SQLite puts (" << described[k - 1] << ") before (" << described[k] << ")";
    ASSERT_GT(order.Compare(sqlite_order[k], sqlite_order[k - 1]), 0);
    ASSERT_LE(order.SortPrefix(sqlite_order[k - 1]), order.SortPrefix(sqlite_order[k]))
        << "(" << described[k - 1] << ") vs (" << described[k] << ")";
  }
  std::vector<std::string> ours = sqlite_order;
  std::shuffle(ours.begin(), ours.end(), rng);
  std::sort(ours.begin(), ours.end(),
            [&](const std::string& a, const std::string& b) { return order.Compare(a, b) < 0; });
  ASSERT_TRUE(ours == sqlite_order);
}

std::vector<IndexColumnOrder> RandomColumns(std::mt19937_64& rng, size_t n) {
  std::vector<IndexColumnOrder> columns;
  for (size_t c = 0; c < n; ++c) {
    columns.push_back({static_cast<Collation>(rng() % 3), rng() % 2 == 1});
  }
  return columns;
}

TEST(IndexRecordOrderTest, EveryCollationAndDirectionMatchesSqliteIndexOrder) {
  std::mt19937_64 rng(1);
  for (Collation coll : {Collation::kBinary, Collation::kNoCase, Collation::kRtrim}) {
    for (bool desc : {false, true}) {
      SCOPED_TRACE(std::string(CollationName(coll)) + (desc ? " DESC" : " ASC"));
      CheckIndexOrder(rng, {{coll, desc}}, 3000, "");
    }
  }
}

TEST(IndexRecordOrderTest, RandomMultiColumnIndexesMatchSqlite) {
  std::mt19937_64 rng(2);
  for (int round = 0; round < 30; ++round) {
    const std::vector<IndexColumnOrder> columns = RandomColumns(rng, 1 + rng() % 4);
    std::string trace;
    for (const auto& c : columns) {
      trace += std::string(CollationName(c.collation)) + (c.descending ? " DESC, " : " ASC, ");
    }
    SCOPED_TRACE("round " + std::to_string(round) + ": " + trace);
    CheckIndexOrder(rng, columns, 1500, "");
  }
}

TEST(IndexRecordOrderTest, TypedColumnsMatchSqlite) {
  // Column affinity changes what SQLite stores (integral REALs as integers, numeric text as
  // numbers); the order of what it stores must still be ours.
  std::mt19937_64 rng(3);
  for (const char* type : {" INTEGER", " REAL", " TEXT", " NUMERIC", " BLOB"}) {
    SCOPED_TRACE(type);
    CheckIndexOrder(rng, RandomColumns(rng, 2), 1500, type);
  }
}

// Every pair of edge values, under each collation, against SQLite's own comparison operators
// (operands without affinity compare as index entries do).
TEST(IndexRecordOrderTest, PairwiseComparisonMatchesSqlite) {
  SqliteOracle oracle;
  const std::vector<TestValue> values = EdgeValues();
  for (Collation coll : {Collation::kBinary, Collation::kNoCase, Collation::kRtrim}) {
    const std::string c = CollationName(coll);
    sqlite3_stmt* stmt = oracle.Prepare(
        "SELECT CASE WHEN ?1 IS NULL AND ?2 IS NULL THEN 0 WHEN ?1 IS NULL THEN -1 "
        "WHEN ?2 IS NULL THEN 1 WHEN ?1 < ?2 COLLATE " +
        c + " THEN -1 WHEN ?1 > ?2 COLLATE " + c + " THEN 1 ELSE 0 END");
    const IndexRecordOrder asc({{coll, false}});
    const IndexRecordOrder desc({{coll, true}});
    for (const TestValue& a : values) {
      for (const TestValue& b : values) {
        Bind(stmt, 1, a);
        Bind(stmt, 2, b);
        ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
        const int want = sqlite3_column_int(stmt, 0);
        sqlite3_reset(stmt);
        const std::string ra = EncodeValues({a});
        const std::string rb = EncodeValues({b});
        const int got = asc.Compare(ra, rb);
        ASSERT_EQ((got > 0) - (got < 0), want) << c << ": " << Describe(a) << " vs " << Describe(b);
        const int flipped = desc.Compare(ra, rb);
        ASSERT_EQ((flipped > 0) - (flipped < 0), -want);
        if (want < 0) {
          ASSERT_LE(asc.SortPrefix(ra), asc.SortPrefix(rb)) << Describe(a) << " " << Describe(b);
          ASSERT_GE(desc.SortPrefix(ra), desc.SortPrefix(rb));
        } else if (want == 0) {
          ASSERT_EQ(asc.SortPrefix(ra), asc.SortPrefix(rb)) << Describe(a) << " " << Describe(b);
        }
      }
    }
    sqlite3_finalize(stmt);
  }
}

// ComparePrefix(..., key columns) == 0 with no NULL is exactly when a UNIQUE index refuses the
// second row.
TEST(IndexRecordOrderTest, ComparePrefixAgreesWithSqliteUniqueIndexes) {
  std::mt19937_64 rng(4);
  const std::vector<TestValue> edges = EdgeValues();
  for (int round = 0; round < 6; ++round) {
    SqliteOracle oracle;
    const std::vector<IndexColumnOrder> columns = RandomColumns(rng, 2);
    ASSERT_TRUE(
        oracle.db()
            .Exec(std::string("CREATE TABLE u(a, b); CREATE UNIQUE INDEX ui ON u(a COLLATE ") +
                  CollationName(columns[0].collation) + ", b COLLATE " +
                  CollationName(columns[1].collation) + ")")
            .ok());
    sqlite3_stmt* ins = oracle.Prepare("INSERT INTO u VALUES(?, ?)");
    const IndexRecordOrder order(columns);
    int collisions = 0;
    for (int k = 0; k < 3000; ++k) {
      ASSERT_TRUE(oracle.db().Exec("DELETE FROM u").ok());
      const TestValue a0 = RandomValue(rng, edges);
      const TestValue b0 = RandomValue(rng, edges);
      // The second row is often a near-copy of the first.
      const TestValue a1 = rng() % 2 ? a0 : RandomValue(rng, edges);
      const TestValue b1 = rng() % 2 ? b0 : RandomValue(rng, edges);
      Bind(ins, 1, a0);
      Bind(ins, 2, b0);
      ASSERT_EQ(sqlite3_step(ins), SQLITE_DONE);
      sqlite3_reset(ins);
      Bind(ins, 1, a1);
      Bind(ins, 2, b1);
      const bool refused = sqlite3_step(ins) != SQLITE_DONE;
      sqlite3_reset(ins);
      // Keys plus distinct rowids, as in the index.
      const std::string r0 = EncodeValues({a0, b0, Int(1)});
      const std::string r1 = EncodeValues({a1, b1, Int(2)});
      const bool has_null =
          IndexRecordOrder::FieldIsNull(r0, 0) || IndexRecordOrder::FieldIsNull(r0, 1) ||
          IndexRecordOrder::FieldIsNull(r1, 0) || IndexRecordOrder::FieldIsNull(r1, 1);
      const bool collide = !has_null && order.ComparePrefix(r0, r1, 2) == 0;
      ASSERT_EQ(collide, refused) << "(" << Describe(a0) << ", " << Describe(b0) << ") vs ("
                                  << Describe(a1) << ", " << Describe(b1) << ")";
      ASSERT_NE(order.Compare(r0, r1), 0);
      collisions += refused;
    }
    sqlite3_finalize(ins);
    EXPECT_GT(collisions, 300);  // The test exercised collisions.
  }
}

TEST(IndexRecordOrderTest, NumericEdgesAreExact) {
  const IndexRecordOrder order({});
  auto cmp = [&](const TestValue& a, const TestValue& b) {
    const int r = order.Compare(EncodeValues({a}), EncodeValues({b}));
    return (r > 0) - (r < 0);
  };
  const int64_t p53 = int64_t{1} << 53;
  EXPECT_EQ(cmp(Int(p53 + 1), Real(static_cast<double>(p53))), 1);
  EXPECT_EQ(cmp(Int(p53), Real(static_cast<double>(p53))), 0);
  EXPECT_EQ(cmp(Int(std::numeric_limits<int64_t>::max()), Real(9223372036854775808.0)), -1);
  EXPECT_EQ(cmp(Int(std::numeric_limits<int64_t>::min()), Real(-9223372036854775808.0)), 0);
  EXPECT_EQ(cmp(Int(0), Real(-0.0)), 0);
  EXPECT_EQ(cmp(Real(0.0), Real(-0.0)), 0);
  EXPECT_EQ(cmp(Int(-1), Real(-0.5)), -1);
  EXPECT_EQ(cmp(Int(1), Real(1e300)), -1);
  EXPECT_EQ(
      cmp(Real(-std::numeric_limits<double>::infinity()), Int(std::numeric_limits<int64_t>::min())),
      -1);
  EXPECT_EQ(cmp(NullValue(), Real(-std::numeric_limits<double>::infinity())), -1);
  EXPECT_EQ(cmp(Real(std::numeric_limits<double>::infinity()), Text("")), -1);
  EXPECT_EQ(cmp(Text("\xff"), Blob("")), -1);
}

TEST(IndexRecordOrderTest, NanIsNullAndPrefixesAreShorter) {
  const IndexRecordOrder order({});
  std::string nan = EncodeValues({Real(std::numeric_limits<double>::quiet_NaN())});
  EXPECT_TRUE(IndexRecordOrder::FieldIsNull(nan, 0));
  EXPECT_EQ(order.Compare(nan, EncodeValues({NullValue()})), 0);
  EXPECT_LT(order.Compare(nan, EncodeValues({Int(std::numeric_limits<int64_t>::min())})), 0);

  const std::string r = EncodeValues({Int(5), NullValue(), Text("x")});
  EXPECT_FALSE(IndexRecordOrder::FieldIsNull(r, 0));
  EXPECT_TRUE(IndexRecordOrder::FieldIsNull(r, 1));
  EXPECT_FALSE(IndexRecordOrder::FieldIsNull(r, 2));
  EXPECT_FALSE(IndexRecordOrder::FieldIsNull(r, 3));  // No such field.

  // A record that is a prefix of another sorts first, even on a DESC column.
  const IndexRecordOrder desc({{Collation::kBinary, true}, {Collation::kBinary, true}});
  const std::string shorter = EncodeValues({Int(5)});
  EXPECT_LT(desc.Compare(shorter, r), 0);
  EXPECT_GT(desc.Compare(r, shorter), 0);
  EXPECT_LT(desc.Compare(EncodeValues({}), shorter), 0);
  EXPECT_EQ(desc.ComparePrefix(EncodeValues({Int(5), Int(1)}), EncodeValues({Int(5), Int(2)}), 1),
            0);
  EXPECT_NE(desc.ComparePrefix(EncodeValues({Int(5), Int(1)}), EncodeValues({Int(5), Int(2)}), 2),
            0);
}

// Mutated and random byte strings: no crash (the sanitizer build reads out of bounds loudly), and
// the order stays a total preorder, so std::sort stays safe.
TEST(IndexRecordOrderTest, CorruptRecordsCompareDeterministically) {
  std::mt19937_64 rng(5);
  const std::vector<TestValue> edges = EdgeValues();
  std::vector<std::string> records;
  for (int k = 0; k < 400; ++k) {
    std::string r = EncodeValues({RandomValue(rng, edges), RandomValue(rng, edges), Int(k)});
    switch (k % 5) {
      case 0:
        r.resize(rng() % (r.size() + 1));  // Truncated.
        break;
      case 1:
        r[rng() % r.size()] = static_cast<char>(rng());  // Flipped byte.
        break;
      case 2: {
        r.clear();  // Random bytes.
        for (size_t n = rng() % 12; n > 0; --n) r += static_cast<char>(rng());
        break;
      }
      case 3:
        r[1] = static_cast<char>(10 + rng() % 2);  // Reserved serial type.
        break;
      default:
        break;
    }
    records.push_back(r);
  }
  records.push_back(std::string("\x81", 1));      // Truncated header varint.
  records.push_back(std::string("\x02\xff", 2));  // Truncated serial type.
  records.push_back(std::string("\x01", 1));      // No fields.
  records.push_back(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", 10));  // Huge header.
  records.push_back(std::string("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff", 10));
  for (const auto& columns :
       {std::vector<IndexColumnOrder>{},
        std::vector<IndexColumnOrder>{{Collation::kNoCase, true}, {Collation::kRtrim, false}}}) {
    const IndexRecordOrder order(columns);
    for (const std::string& a : records) {
      ASSERT_EQ(order.Compare(a, a), 0);
      for (const std::string& b : records) {
        const int ab = order.Compare(a, b);
        const int ba = order.Compare(b, a);
        ASSERT_EQ((ab > 0) - (ab < 0), -((ba > 0) - (ba < 0)));
        if (ab < 0) {
          ASSERT_LE(order.SortPrefix(a), order.SortPrefix(b));
        }
      }
    }
    for (int k = 0; k < 20000; ++k) {  // Transitivity on random triples.
      const std::string& a = records[rng() % records.size()];
      const std::string& b = records[rng() % records.size()];
      const std::string& c = records[rng() % records.size()];
      if (order.Compare(a, b) <= 0 && order.Compare(b, c) <= 0) {
        ASSERT_LE(order.Compare(a, c), 0);
      }
    }
    std::vector<std::string> sorted = records;
    std::sort(sorted.begin(), sorted.end(),
              [&](const std::string& a, const std::string& b) { return order.Compare(a, b) < 0; });
    for (size_t k = 1; k < sorted.size(); ++k) {
      ASSERT_LE(order.Compare(sorted[k - 1], sorted[k]), 0);
    }
  }
}

}  // namespace
}  // namespace cofre
