#include "backup/row_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "backup/data_file_format.h"

namespace cofre::rowcodec {
namespace {

namespace fmt = data_file_format;

// A row record of key (rowid) and the given pre-encoded values.
std::string RowRecord(int64_t rowid, const std::vector<std::string>& values) {
  std::string body(1, static_cast<char>(fmt::kRecordRow));
  PutVarint(&body, 1);
  AppendInteger(&body, rowid);
  PutVarint(&body, values.size());
  for (const auto& v : values) body += v;
  return body;
}

std::string Int(int64_t v) {
  std::string out;
  AppendInteger(&out, v);
  return out;
}

const std::string kRowidRef(1, static_cast<char>(fmt::kRowidValue));
const std::string kNullValue(1, static_cast<char>(fmt::kNull));

TEST(RowCodecTest, VarintsReadBackAtTheEndOfTheInputAndWithRoomAfterThem) {
  // Every length of varint (1..10 bytes), read where the input ends right after it (the checked
  // path) and where 10 more bytes follow (the unchecked one); cut short, it is refused either way.
  std::mt19937_64 rng(3);
  for (int round = 0; round < 5000; ++round) {
    const uint64_t v = rng() >> (rng() % 64);
    std::string encoded;
    rowcodec::PutVarint(&encoded, v);
    for (const std::string& in : {encoded, encoded + std::string(10, '\x80')}) {
      size_t pos = 0;
      uint64_t got = 0;
      ASSERT_TRUE(rowcodec::GetVarint(in, &pos, &got)) << v;
      EXPECT_EQ(got, v);
      EXPECT_EQ(pos, encoded.size());
    }
    size_t pos = 0;
    uint64_t got = 0;
    EXPECT_FALSE(
        rowcodec::GetVarint(std::string_view(encoded).substr(0, encoded.size() - 1), &pos, &got));
  }
  // Ten bytes that all continue are no varint, with or without room after them.
  const std::string endless(20, '\xff');
  for (size_t n : {size_t{10}, size_t{20}}) {
    size_t pos = 0;
    uint64_t got = 0;
    EXPECT_FALSE(rowcodec::GetVarint(std::string_view(endless).substr(0, n), &pos, &got));
  }
}

TEST(RowCodecTest, RowidReferenceDecodesAsTheKey) {
  Record rec;
  ASSERT_TRUE(DecodeRecord(RowRecord(-77, {kRowidRef, Int(5), kNullValue}), &rec).ok());
  ASSERT_EQ(rec.values.size(), 3u);
  EXPECT_EQ(rec.values[0].tag, fmt::kInteger);
  EXPECT_EQ(rec.values[0].i, -77);
  EXPECT_EQ(rec.values[1].i, 5);
  EXPECT_EQ(rec.values[2].tag, fmt::kNull);
}

TEST(RowCodecTest, RowidReferenceOutsideARowidRowIsCorrupt) {
  Record rec;
  // In a key.
  std::string body(1, static_cast<char>(fmt::kRecordTombstone));
  PutVarint(&body, 1);
  body += kRowidRef;
  EXPECT_EQ(DecodeRecord(body, &rec).code(), StatusCode::kDataLoss);
  // In a row whose key is text (a WITHOUT ROWID table).
  body.assign(1, static_cast<char>(fmt::kRecordRow));
  PutVarint(&body, 1);
  body += std::string(1, static_cast<char>(fmt::kText)) + '\x01' + 'k';
  PutVarint(&body, 1);
  body += kRowidRef;
  EXPECT_EQ(DecodeRecord(body, &rec).code(), StatusCode::kDataLoss);
}

TEST(RowCodecTest, SameRowComparesValuesNotEncodings) {
  // cofre 0.1 wrote the INTEGER PRIMARY KEY in full; 0.2 refers to the key: the same row.
  EXPECT_TRUE(SameRow(RowRecord(9, {Int(9), Int(1)}), RowRecord(9, {kRowidRef, Int(1)})));
  EXPECT_FALSE(SameRow(RowRecord(9, {Int(8), Int(1)}), RowRecord(9, {kRowidRef, Int(1)})));
  EXPECT_FALSE(SameRow(RowRecord(9, {Int(9), Int(1)}), RowRecord(9, {kRowidRef, Int(2)})));
  EXPECT_FALSE(SameRow(RowRecord(9, {Int(9)}), RowRecord(10, {kRowidRef})));
  EXPECT_FALSE(SameRow(RowRecord(9, {Int(9)}), RowRecord(9, {kRowidRef, kNullValue})));
  // -0.0 and 0.0 are different values (restores are bit-exact).
  std::string zero(1, static_cast<char>(fmt::kReal)), negzero = zero;
  zero.append(8, '\0');
  negzero.append(7, '\0');
  negzero.push_back('\x80');
  EXPECT_FALSE(SameRow(RowRecord(1, {zero}), RowRecord(1, {negzero})));
  EXPECT_FALSE(SameRow(RowRecord(1, {zero}), "\x01garbage"));
}

// AppendColumn encodes what SQLite holds, bit for bit, whatever the type (one SQLite read per
// column): integers at the extremes, -0.0, text with a NUL and multi-byte characters, long text
// (two-byte length), empty and long blobs, NULL.
TEST(RowCodecTest, AppendColumnEncodesEveryTypeBitExact) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9", -1, &stmt, nullptr),
            SQLITE_OK);
  const std::string text("a\0b\xc3\xa9", 5);
  const std::string long_text(300, 'x');
  const std::string blob(70000, '\x01');
  sqlite3_bind_int64(stmt, 1, INT64_MIN);
  sqlite3_bind_int64(stmt, 2, INT64_MAX);
  sqlite3_bind_double(stmt, 3, -0.0);
  sqlite3_bind_text(stmt, 4, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  sqlite3_bind_text(stmt, 5, long_text.data(), static_cast<int>(long_text.size()), SQLITE_STATIC);
  sqlite3_bind_blob(stmt, 6, "", 0, SQLITE_STATIC);
  sqlite3_bind_blob(stmt, 7, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
  sqlite3_bind_null(stmt, 8);
  sqlite3_bind_text(stmt, 9, "", 0, SQLITE_STATIC);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  std::string enc;
  for (int c = 0; c < 9; ++c) AppendColumn(&enc, stmt, c);
  sqlite3_finalize(stmt);
  sqlite3_close(db);

  std::vector<ValueRef> v(9);
  size_t pos = 0;
  for (auto& value : v) ASSERT_TRUE(DecodeValue(enc, &pos, &value).ok());
  EXPECT_EQ(pos, enc.size());
  EXPECT_EQ(v[0].tag, fmt::kInteger);
  EXPECT_EQ(v[0].i, INT64_MIN);
  EXPECT_EQ(v[1].i, INT64_MAX);
  EXPECT_EQ(v[2].tag, fmt::kReal);
  EXPECT_TRUE(std::signbit(v[2].d));
  EXPECT_EQ(v[2].d, 0.0);
  EXPECT_EQ(v[3].tag, fmt::kText);
  EXPECT_EQ(v[3].bytes, text);
  EXPECT_EQ(v[4].bytes, long_text);
  EXPECT_EQ(v[5].tag, fmt::kBlob);
  EXPECT_EQ(v[5].bytes, "");
  EXPECT_EQ(v[6].tag, fmt::kBlob);
  EXPECT_EQ(v[6].bytes, blob);
  EXPECT_EQ(v[7].tag, fmt::kNull);
  EXPECT_EQ(v[8].tag, fmt::kText);
  EXPECT_EQ(v[8].bytes, "");
}

}  // namespace
}  // namespace cofre::rowcodec
