// BulkRowEncoder: the records it makes are the table's and each sorting thread's projections,
// byte for byte as sqlite_record::Append makes them; rows that are not a rowid table's are refused.
#include "backup/bulk_row_encoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "backup/data_file_format.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fmt = data_file_format;

sqlite_record::Value Int(int64_t i) {
  sqlite_record::Value v;
  v.type = sqlite_record::Type::kInteger;
  v.i = i;
  return v;
}

std::string Record(std::vector<sqlite_record::Value> values) {
  std::string out;
  sqlite_record::Append(values, &out);
  return out;
}

// A row of a rowid table: key (7), then `values`, all integers.
std::string Row(int64_t rowid, const std::vector<int64_t>& values) {
  std::string body(1, static_cast<char>(fmt::kRecordRow));
  rowcodec::PutVarint(&body, 1);
  rowcodec::AppendInteger(&body, rowid);
  rowcodec::PutVarint(&body, values.size());
  for (int64_t v : values) rowcodec::AppendInteger(&body, v);
  return body;
}

TEST(BulkRowEncoderTest, MakesTheTableRecordAndEachThreadsProjection) {
  // Columns id (INTEGER PRIMARY KEY: NULL in the record), a, b; b was added later with DEFAULT 99,
  // so rows may hold two values.
  proto::Table table;
  table.set_name("t");
  for (const char* name : {"id", "a", "b"}) table.add_columns()->set_name(name);
  table.set_short_row_columns(2);
  std::string def;
  rowcodec::AppendInteger(&def, 99);
  table.mutable_columns(2)->set_short_row_default(def);
  ASSERT_OK_AND_ASSIGN(ShortRowDefaults defaults, ShortRowDefaults::ForTable(table));
  BulkTablePlan plan;
  plan.table = &table;
  plan.rowid_alias = 0;
  std::vector<SortThreadColumns> threads(3);
  threads[0] = {true, {2}};
  threads[1] = {false, {}};
  threads[2] = {true, {0, 1, 2}};
  BulkRowEncoder encoder(plan, defaults, threads);

  ByteBuffer out;
  ASSERT_THAT(encoder.Encode(Row(7, {7, 42}), &out), IsOk());
  std::string want(8, '\0');
  const int64_t rowid = 7;
  std::memcpy(want.data(), &rowid, 8);
  const std::string table_record = Record({sqlite_record::Value(), Int(42), Int(99)});
  const uint64_t length = table_record.size();
  want.append(reinterpret_cast<const char*>(&length), 8);
  want.append(table_record);
  for (const std::string& projection :
       {Record({Int(99)}), Record({sqlite_record::Value(), Int(42), Int(99)})}) {
    rowcodec::PutVarint(&want, projection.size());
    want.append(projection);
  }
  EXPECT_EQ(out.view(), want);

  // Appends: a second row follows the first.
  ASSERT_THAT(encoder.Encode(Row(8, {8, 1, 2}), &out), IsOk());
  EXPECT_GT(out.size(), want.size());
  EXPECT_EQ(out.view().substr(0, want.size()), want);

  std::string tombstone(1, static_cast<char>(fmt::kRecordTombstone));
  rowcodec::PutVarint(&tombstone, 1);
  rowcodec::AppendInteger(&tombstone, 9);
  ByteBuffer ignored;
  EXPECT_THAT(encoder.Encode(tombstone, &ignored), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(encoder.Encode(Row(9, {9}), &ignored), StatusIs(StatusCode::kDataLoss));
}

// A random value of every kind the data files hold, including references to the rowid.
void AppendRandomValue(std::mt19937_64& rng, std::string* body) {
  switch (rng() % 6) {
    case 0:
      body->push_back(static_cast<char>(fmt::kNull));
      break;
    case 1: {
      const int shift = static_cast<int>(rng() % 64);
      rowcodec::AppendInteger(body, static_cast<int64_t>(rng() >> shift) * (rng() % 2 ? 1 : -1));
      break;
    }
    case 2: {
      body->push_back(static_cast<char>(fmt::kReal));
      const uint64_t bits = rng();
      for (int i = 0; i < 8; ++i) body->push_back(static_cast<char>(bits >> (8 * i)));
      break;
    }
    case 3:
    case 4: {
      body->push_back(static_cast<char>(rng() % 2 ? fmt::kText : fmt::kBlob));
      const size_t n = rng() % 5 == 0 ? 100 + rng() % 300 : rng() % 20;
      rowcodec::PutVarint(body, n);
      for (size_t i = 0; i < n; ++i) body->push_back(static_cast<char>(rng()));
      break;
    }
    default:
      body->push_back(static_cast<char>(fmt::kRowidValue));
  }
}

TEST(BulkRowEncoderTest, EncodesRandomRowsAsTheRowCodecDecodesThem) {
  // Rows of 4 columns (the last two added later, with defaults) holding every kind of value:
  // each encodes to the records sqlite_record::Append makes of the values rowcodec::DecodeRecord
  // reads (completed with the defaults), and every cut of a row, or a byte added, is DataLoss.
  proto::Table table;
  table.set_name("t");
  for (const char* name : {"a", "b", "c", "d"}) table.add_columns()->set_name(name);
  table.set_short_row_columns(2);
  std::string def_c, def_d;
  rowcodec::AppendInteger(&def_c, -5);
  def_d.push_back(static_cast<char>(fmt::kText));
  rowcodec::PutVarint(&def_d, 3);
  def_d += "xyz";
  table.mutable_columns(2)->set_short_row_default(def_c);
  table.mutable_columns(3)->set_short_row_default(def_d);
  ASSERT_OK_AND_ASSIGN(ShortRowDefaults defaults, ShortRowDefaults::ForTable(table));
  BulkTablePlan plan;
  plan.table = &table;
  plan.rowid_alias = -1;
  std::vector<SortThreadColumns> threads(2);
  threads[0] = {true, {3, 0}};
  threads[1] = {true, {1, 2}};
  BulkRowEncoder encoder(plan, defaults, threads);
  std::mt19937_64 rng(5);
  for (int row = 0; row < 2000; ++row) {
    SCOPED_TRACE(row);
    const int64_t rowid = static_cast<int64_t>(rng()) >> (rng() % 64);
    std::string body(1, static_cast<char>(fmt::kRecordRow));
    rowcodec::PutVarint(&body, 1);
    rowcodec::AppendInteger(&body, rowid);
    const size_t stored = 2 + rng() % 3;
    rowcodec::PutVarint(&body, stored);
    for (size_t i = 0; i < stored; ++i) AppendRandomValue(rng, &body);

    rowcodec::Record decoded;
    ASSERT_THAT(rowcodec::DecodeRecord(body, &decoded), IsOk());
    ASSERT_THAT(defaults.Complete(&decoded.values, "test"), IsOk());
    std::vector<sqlite_record::Value> values;
    for (const rowcodec::ValueRef& v : decoded.values) {
      sqlite_record::Value out;
      if (v.tag == fmt::kInteger) out = sqlite_record::Value::Integer(v.i);
      if (v.tag == fmt::kReal) out = sqlite_record::Value::Real(v.d);
      if (v.tag == fmt::kText) out = sqlite_record::Value::Text(v.bytes);
      if (v.tag == fmt::kBlob) out = sqlite_record::Value::Blob(v.bytes);
      values.push_back(out);
    }
    std::string want(8, '\0');
    std::memcpy(want.data(), &rowid, 8);
    const std::string table_record = Record(values);
    const uint64_t length = table_record.size();
    want.append(reinterpret_cast<const char*>(&length), 8);
    want.append(table_record);
    for (const SortThreadColumns& thread : threads) {
      std::vector<sqlite_record::Value> projected;
      for (int c : thread.columns) projected.push_back(values[c]);
      const std::string projection = Record(projected);
      rowcodec::PutVarint(&want, projection.size());
      want.append(projection);
    }
    ByteBuffer out;
    out.Append("prefix");
    ASSERT_THAT(encoder.Encode(body, &out), IsOk());
    ASSERT_EQ(out.view(), "prefix" + want);

    for (size_t cut = 0; cut < body.size(); ++cut) {
      ByteBuffer ignored;
      ASSERT_THAT(encoder.Encode(std::string_view(body).substr(0, cut), &ignored),
                  StatusIs(StatusCode::kDataLoss))
          << cut;
    }
    ByteBuffer ignored;
    ASSERT_THAT(encoder.Encode(body + '\0', &ignored), StatusIs(StatusCode::kDataLoss));
  }
}

}  // namespace
}  // namespace cofre
