// BulkRowEncoder: the records it makes are the table's and each sorting thread's projections,
// byte for byte as sqlite_record::Append makes them; rows that are not a rowid table's are refused.
#include "backup/bulk_row_encoder.h"

#include <gtest/gtest.h>

#include <cstring>

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

  std::string out;
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
  EXPECT_EQ(out, want);

  // Appends: a second row follows the first.
  ASSERT_THAT(encoder.Encode(Row(8, {8, 1, 2}), &out), IsOk());
  EXPECT_GT(out.size(), want.size());
  EXPECT_EQ(out.substr(0, want.size()), want);

  std::string tombstone(1, static_cast<char>(fmt::kRecordTombstone));
  rowcodec::PutVarint(&tombstone, 1);
  rowcodec::AppendInteger(&tombstone, 9);
  std::string ignored;
  EXPECT_THAT(encoder.Encode(tombstone, &ignored), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(encoder.Encode(Row(9, {9}), &ignored), StatusIs(StatusCode::kDataLoss));
}

}  // namespace
}  // namespace cofre
