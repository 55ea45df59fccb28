#include "engine/index_sort_key.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace cofre {
namespace {

using sqlite_record::Type;
using sqlite_record::Value;

int Sign(int v) { return (v > 0) - (v < 0); }

// Values around every boundary the two orders must agree on.
std::vector<Value> EdgeValues(std::vector<std::string>* storage) {
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  std::vector<Value> v = {Value{},
                          Value::Integer(0),
                          Value::Integer(1),
                          Value::Integer(-1),
                          Value::Integer(kMax),
                          Value::Integer(kMin),
                          Value::Integer(kMax - 1),
                          Value::Integer(kMin + 1),
                          Value::Integer((int64_t{1} << 53) + 1),
                          Value::Integer(int64_t{1} << 53),
                          Value::Integer(-(int64_t{1} << 53) - 1),
                          Value::Integer(1000),
                          Value::Real(0.0),
                          Value::Real(-0.0),
                          Value::Real(1.0),
                          Value::Real(-1.5),
                          Value::Real(1e300),
                          Value::Real(-1e300),
                          Value::Real(9007199254740992.0),
                          Value::Real(9223372036854775808.0),
                          Value::Real(-9223372036854775808.0),
                          Value::Real(0.5),
                          Value::Real(1000.0),
                          Value::Real(std::numeric_limits<double>::infinity()),
                          Value::Real(-std::numeric_limits<double>::infinity()),
                          Value::Real(5e-324)};
  *storage = {"",
              "a",
              "A",
              "ab",
              "aB",
              "a ",
              "a  ",
              "b",
              "abc",
              std::string("a\0b", 3),
              std::string("\0", 1),
              "\xff",
              "Z",
              "z",
              "é",
              "É"};
  for (const auto& s : *storage) {
    v.push_back(Value::Text(s));
    v.push_back(Value::Blob(s));
  }
  return v;
}

std::string Record(const std::vector<Value>& fields) {
  std::string out;
  sqlite_record::Append(fields, &out);
  return out;
}

std::string Key(const std::vector<Value>& fields, const std::vector<IndexColumnOrder>& order) {
  std::string out;
  EXPECT_TRUE(index_sort_key::Append(fields, order, &out));
  return out;
}

TEST(IndexSortKeyTest, ByteOrderIsIndexOrderForEveryPairOfEdgeValues) {
  std::vector<std::string> storage;
  const std::vector<Value> values = EdgeValues(&storage);
  for (Collation c : {Collation::kBinary, Collation::kRtrim, Collation::kNoCase}) {
    for (bool desc : {false, true}) {
      const std::vector<IndexColumnOrder> order = {{c, desc}};
      const IndexRecordOrder reference(order);
      for (const Value& a : values) {
        if (c == Collation::kNoCase && a.type == Type::kText &&
            a.bytes.find('\0') != std::string_view::npos) {
          continue;
        }
        for (const Value& b : values) {
          if (c == Collation::kNoCase && b.type == Type::kText &&
              b.bytes.find('\0') != std::string_view::npos) {
            continue;
          }
          const std::vector<Value> fa = {a, Value::Integer(7)}, fb = {b, Value::Integer(7)};
          EXPECT_EQ(Sign(Key(fa, order).compare(Key(fb, order))),
                    Sign(reference.Compare(Record(fa), Record(fb))))
              << "collation " << static_cast<int>(c) << " desc " << desc;
        }
      }
    }
  }
}

TEST(IndexSortKeyTest, RandomMultiFieldEntriesSortLikeTheRecords) {
  std::mt19937_64 rng(7);
  std::vector<std::string> storage;
  const std::vector<Value> pool = EdgeValues(&storage);
  for (int round = 0; round < 200; ++round) {
    std::vector<IndexColumnOrder> order;
    const int nfields = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < nfields; ++f) {
      order.push_back({static_cast<Collation>(rng() % 2 ? 0 : 1 + rng() % 2), rng() % 2 == 0});
    }
    const IndexRecordOrder reference(order);
    for (int pair = 0; pair < 200; ++pair) {
      std::vector<Value> fa, fb;
      for (int f = 0; f < nfields; ++f) {
        auto pick = [&] {
          Value v = pool[rng() % pool.size()];
          bool nul = v.type == Type::kText && v.bytes.find('\0') != std::string_view::npos;
          return nul && order[f].collation == Collation::kNoCase ? Value::Text("x") : v;
        };
        fa.push_back(pick());
        fb.push_back(rng() % 3 == 0 ? fa.back() : pick());
      }
      fa.push_back(Value::Integer(static_cast<int64_t>(rng() % 5)));
      fb.push_back(Value::Integer(static_cast<int64_t>(rng() % 5)));
      ASSERT_EQ(Sign(Key(fa, order).compare(Key(fb, order))),
                Sign(reference.Compare(Record(fa), Record(fb))));
    }
  }
}

TEST(IndexSortKeyTest, NoCaseTextWithANulByteIsRefused) {
  std::string out;
  const std::string text("a\0b", 3);
  EXPECT_FALSE(index_sort_key::Append(std::vector<Value>{Value::Text(text)},
                                      std::vector<IndexColumnOrder>{{Collation::kNoCase, false}},
                                      &out));
  EXPECT_TRUE(index_sort_key::Append(std::vector<Value>{Value::Text(text)},
                                     std::vector<IndexColumnOrder>{{Collation::kBinary, false}},
                                     &out));
}

TEST(IndexSortKeyTest, NanSortsAsNull) {
  const std::vector<IndexColumnOrder> order = {{}};
  EXPECT_EQ(Key({Value::Real(std::nan("")), Value::Integer(1)}, order),
            Key({Value{}, Value::Integer(1)}, order));
}

}  // namespace
}  // namespace cofre
