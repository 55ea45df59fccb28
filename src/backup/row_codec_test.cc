#include "backup/row_codec.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cofre::rowcodec
