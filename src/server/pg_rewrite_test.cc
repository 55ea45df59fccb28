#include "server/pg_rewrite.h"

#include <gtest/gtest.h>

#include "server/pg_types.h"
#include "util/status_matchers.h"

namespace cofre::server {
namespace {

TEST(PgRewriteTest, CastsDriversSend) {
  EXPECT_EQ(RewritePgCasts("INSERT INTO t VALUES ('\\x00ff'::bytea, 't'::bool, 5::int4)"),
            "INSERT INTO t VALUES (X'00ff', 1, CAST(5 AS INTEGER))");
  EXPECT_EQ(RewritePgCasts("SELECT $1::text, (a + 1)::float8, '2024-01-01'::date"),
            "SELECT CAST($1 AS TEXT), CAST((a + 1) AS REAL), '2024-01-01'");
  EXPECT_EQ(RewritePgCasts("SELECT 'a::b', x FROM t"), "SELECT 'a::b', x FROM t");  // in a literal
  EXPECT_EQ(RewritePgCasts("SELECT f(x)::int"), "SELECT f(x)::int");  // left for SQLite
  EXPECT_EQ(RewritePgCasts("SELECT 1.5::double precision"), "SELECT CAST(1.5 AS REAL)");
  EXPECT_EQ(RewritePgCasts("SELECT 'ab\\\\c'::bytea"), "SELECT X'61625c63'");
}

TEST(PgTypesTest, EncodeAndDecode) {
  ASSERT_OK_AND_ASSIGN(std::string i, EncodeValue(ResultSet::Type::kInt, "-2", 1));
  EXPECT_EQ(i, std::string("\xff\xff\xff\xff\xff\xff\xff\xfe", 8));
  ASSERT_OK_AND_ASSIGN(std::string b, EncodeValue(ResultSet::Type::kBool, "1", 0));
  EXPECT_EQ(b, "t");
  ASSERT_OK_AND_ASSIGN(std::string raw, EncodeValue(ResultSet::Type::kBytes, "\\x00ff", 1));
  EXPECT_EQ(raw, std::string("\0\xff", 2));
  EXPECT_THAT(EncodeValue(ResultSet::Type::kNumeric, "1.5", 1),
              StatusIs(StatusCode::kUnimplemented));
  ASSERT_OK_AND_ASSIGN(std::string ts,
                       EncodeValue(ResultSet::Type::kTimestamp, "2000-01-01 00:00:01.5", 1));
  EXPECT_EQ(ts, std::string("\0\0\0\0\0\x16\xe3\x60", 8));  // 1 500 000 µs
  ASSERT_OK_AND_ASSIGN(sql::Param back, DecodeParam(oid::kTimestamp, 1, ts, 1));
  EXPECT_EQ(*back.value, "2000-01-01 00:00:01.5");
  ASSERT_OK_AND_ASSIGN(std::string day, EncodeValue(ResultSet::Type::kDate, "1999-12-31", 1));
  EXPECT_EQ(day, std::string("\xff\xff\xff\xff", 4));
  EXPECT_FALSE(EncodeValue(ResultSet::Type::kTimestamp, "yesterday", 1).ok());
  ASSERT_OK_AND_ASSIGN(sql::Param p, DecodeParam(oid::kInt4, 1, std::string("\0\0\1\0", 4), 1));
  EXPECT_EQ(*p.value, "256");
  EXPECT_FALSE(DecodeParam(oid::kInt8, 1, std::string("abc"), 1).ok());  // wrong size
  ASSERT_OK_AND_ASSIGN(sql::Param blob, DecodeParam(oid::kBytea, 0, std::string("\\x4142"), 1));
  EXPECT_EQ(*blob.value, "AB");
  EXPECT_EQ(blob.type, sql::Param::Type::kBytes);
}

}  // namespace
}  // namespace cofre::server
