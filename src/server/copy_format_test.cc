#include "server/copy_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "util/status_matchers.h"

namespace cofre::server {
namespace {

std::vector<CopyRow> ParseAll(const CopyStatement& s, const std::vector<std::string>& chunks) {
  std::vector<CopyRow> rows;
  CopyRowParser parser(s);
  auto add = [&](CopyRow&& r) {
    rows.push_back(std::move(r));
    return Status::OK();
  };
  for (const auto& c : chunks) EXPECT_THAT(parser.Feed(c, add), IsOk());
  EXPECT_THAT(parser.Finish(add), IsOk());
  return rows;
}

TEST(CopyFormatTest, ParsesStatements) {
  ASSERT_OK_AND_ASSIGN(
      CopyStatement s,
      ParseCopy("COPY shop.items (id, name) FROM STDIN WITH (FORMAT csv, HEADER true)"));
  EXPECT_TRUE(s.from_stdin);
  EXPECT_EQ(s.table, "shop.items");
  EXPECT_EQ(s.columns, (std::vector<std::string>{"id", "name"}));
  EXPECT_TRUE(s.csv);
  EXPECT_TRUE(s.header);
  EXPECT_EQ(s.delimiter, ',');
  ASSERT_OK_AND_ASSIGN(CopyStatement out,
                       ParseCopy("COPY (SELECT a, (b) FROM t) TO STDOUT csv header"));
  EXPECT_FALSE(out.from_stdin);
  EXPECT_EQ(out.query, "SELECT a, (b) FROM t");
  EXPECT_THAT(ParseCopy("COPY t FROM '/etc/passwd'"), StatusIs(StatusCode::kUnimplemented));
  EXPECT_THAT(ParseCopy("COPY t FROM STDIN (FORMAT binary)"), StatusIs(StatusCode::kUnimplemented));
  EXPECT_FALSE(ParseCopy("COPY (SELECT 1) FROM STDIN").ok());
}

TEST(CopyFormatTest, TextRowsAcrossChunks) {
  ASSERT_OK_AND_ASSIGN(CopyStatement s, ParseCopy("COPY t FROM STDIN"));
  auto rows = ParseAll(s, {"1\ta\\tb\t\\N\n2\tline\\", "nbreak\tx\n3\t", "last\tz"});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(*rows[0][1], "a\tb");
  EXPECT_FALSE(rows[0][2].has_value());
  EXPECT_EQ(*rows[1][1], "line\nbreak");
  EXPECT_EQ(*rows[2][1], "last");
}

TEST(CopyFormatTest, CsvQuotesNullsAndRoundTrip) {
  ASSERT_OK_AND_ASSIGN(CopyStatement s, ParseCopy("COPY t FROM STDIN WITH (FORMAT csv)"));
  auto rows = ParseAll(s, {"1,\"a, \"\"quoted\"\"\",\n2,\"multi\nline\",\"\"\n"});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(*rows[0][1], "a, \"quoted\"");
  EXPECT_FALSE(rows[0][2].has_value());  // unquoted empty: NULL
  EXPECT_EQ(*rows[1][1], "multi\nline");
  EXPECT_EQ(*rows[1][2], "");  // quoted empty: empty string
  for (const auto& r : rows) {
    auto again = ParseAll(s, {FormatCopyRow(s, r)});
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0], r);
  }
}

TEST(CopyFormatTest, RowLargerThanTheLimitIsRefused) {
  ASSERT_OK_AND_ASSIGN(CopyStatement s, ParseCopy("COPY t FROM STDIN"));
  CopyRowParser parser(s, 1024);
  EXPECT_THAT(parser.Feed(std::string(2000, 'x'), [](CopyRow&&) { return Status::OK(); }),
              StatusIs(StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace cofre::server
