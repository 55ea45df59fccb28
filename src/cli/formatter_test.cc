#include "cli/formatter.h"

#include <gtest/gtest.h>

#include "cli/json_format.h"
#include "cli/utf8.h"

namespace cofre::cli {
namespace {

using Kind = ResultSet::Kind;

ResultSet JobResult() {
  ResultSet r;
  r.columns = {{"job_id", Kind::kNumber},
               {"status", Kind::kText},
               {"fraction_completed", Kind::kNumber},
               {"rows", Kind::kNumber},
               {"index_entries", Kind::kNumber},
               {"bytes", Kind::kNumber}};
  r.rows = {{"594193600274956289", "succeeded", "1", "2689", "1217", "1420108"}};
  return r;
}

ResultSet Tag(std::string tag) {
  ResultSet r;
  r.tag = std::move(tag);
  return r;
}

TEST(FormatNameTest, ParsesEveryName) {
  for (OutputFormat f :
       {OutputFormat::kTable, OutputFormat::kCsv, OutputFormat::kTsv, OutputFormat::kJson}) {
    StatusOr<OutputFormat> parsed = ParseOutputFormat(OutputFormatName(f));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, f);
  }
  StatusOr<OutputFormat> bad = ParseOutputFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'xml'"), std::string::npos);
}

TEST(TableFormatTest, MatchesCockroachDocsSample) {
  EXPECT_EQ(
      FormatResult(JobResult(), OutputFormat::kTable),
      "        job_id       |  status   | fraction_completed | rows | index_entries |  bytes\n"
      "---------------------+-----------+--------------------+------+---------------+----------\n"
      "  594193600274956289 | succeeded |                  1 | 2689 |          1217 | 1420108\n"
      "(1 row)\n");
}

TEST(TableFormatTest, RowCountFooterAndNull) {
  ResultSet r;
  r.columns = {{"id", Kind::kNumber}, {"name", Kind::kText}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kTable),
            "  id | name\n"
            "-----+-------\n"
            "(0 rows)\n");
  r.rows = {{"1", "ann"}, {"22", std::nullopt}, {std::nullopt, "bob"}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kTable),
            "   id  | name\n"
            "-------+-------\n"
            "     1 | ann\n"
            "    22 | NULL\n"
            "  NULL | bob\n"
            "(3 rows)\n");
}

TEST(TableFormatTest, EmptyLastCellLeavesNoTrailingSpace) {
  ResultSet r;
  r.columns = {{"a", Kind::kText}, {"b", Kind::kText}};
  r.rows = {{"x", ""}, {"", "y"}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kTable),
            "  a | b\n"
            "----+----\n"
            "  x |\n"
            "    | y\n"
            "(2 rows)\n");
}

TEST(TableFormatTest, MultiLineValuesSpanLines) {
  ResultSet r;
  r.columns = {{"id", Kind::kNumber}, {"note", Kind::kText}, {"n", Kind::kNumber}};
  r.rows = {{"1", "first line\nsecond", "10"}, {"2", "one", "7"}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kTable),
            "  id |    note    | n\n"
            "-----+------------+-----\n"
            "   1 | first line | 10\n"
            "     | second     |\n"
            "   2 | one        |  7\n"
            "(2 rows)\n");
}

TEST(TableFormatTest, MultiLineHeader) {
  ResultSet r;
  r.columns = {{"a\nbb", Kind::kText}};
  r.rows = {{"xyz"}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kTable),
            "   a\n"
            "  bb\n"
            "-------\n"
            "  xyz\n"
            "(1 row)\n");
}

TEST(TableFormatTest, ControlCharactersAreEscaped) {
  ResultSet r;
  r.columns = {{"v", Kind::kText}, {"w", Kind::kText}};
  r.rows = {{"a\tb\r", std::string("\x01z", 2)}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kTable),
            "    v    |   w\n"
            "---------+--------\n"
            "  a\\tb\\r | \\x01z\n"
            "(1 row)\n");
}

TEST(TableFormatTest, AlignsByDisplayWidth) {
  ResultSet r;
  r.columns = {{"name", Kind::kText}, {"x", Kind::kNumber}};
  r.rows = {{"héllo", "1"}, {"日本", "2"}, {"e\u0301", "3"}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kTable),
            "  name  | x\n"
            "--------+----\n"
            "  héllo | 1\n"
            "  日本  | 2\n"
            "  e\u0301     | 3\n"
            "(3 rows)\n");
}

TEST(TableFormatTest, TagOnly) {
  EXPECT_EQ(FormatResult(Tag("CREATE TABLE"), OutputFormat::kTable), "CREATE TABLE\n");
  EXPECT_EQ(FormatResult(Tag(""), OutputFormat::kTable), "");
}

TEST(TableFormatTest, ShortRowsShowBlanks) {
  ResultSet r;
  r.columns = {{"a", Kind::kText}, {"b", Kind::kText}};
  r.rows = {{"x"}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kTable),
            "  a | b\n"
            "----+----\n"
            "  x |\n"
            "(1 row)\n");
}

TEST(CsvFormatTest, QuotesPerRfc4180) {
  ResultSet r;
  r.columns = {{"id", Kind::kNumber}, {"text, quoted", Kind::kText}};
  r.rows = {{"1", "plain"}, {"2", "has,comma"}, {"3", "say \"hi\""},          {"4", "two\nlines"},
            {"5", "cr\r"},  {"6", ""},          {std::nullopt, std::nullopt}, {"8", " spaces "}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kCsv),
            "id,\"text, quoted\"\n"
            "1,plain\n"
            "2,\"has,comma\"\n"
            "3,\"say \"\"hi\"\"\"\n"
            "4,\"two\nlines\"\n"
            "5,\"cr\r\"\n"
            "6,\"\"\n"
            ",\n"
            "8, spaces \n");
}

TEST(CsvFormatTest, EmptyResultHasHeaderOnly) {
  ResultSet r;
  r.columns = {{"a", Kind::kText}, {"b", Kind::kText}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kCsv), "a,b\n");
  EXPECT_EQ(FormatResult(Tag("INSERT 3"), OutputFormat::kCsv), "INSERT 3\n");
}

TEST(TsvFormatTest, EscapesAndNull) {
  ResultSet r;
  r.columns = {{"id", Kind::kNumber}, {"v", Kind::kText}};
  r.rows = {{"1", "a\tb"},
            {"2", "x\ny\r"},
            {"3", "back\\slash"},
            {"4", std::nullopt},
            {"5", "\"quoted\", comma"}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kTsv),
            "id\tv\n"
            "1\ta\\tb\n"
            "2\tx\\ny\\r\n"
            "3\tback\\\\slash\n"
            "4\tNULL\n"
            "5\t\"quoted\", comma\n");
  EXPECT_EQ(FormatResult(Tag("DROP TABLE"), OutputFormat::kTsv), "DROP TABLE\n");
}

TEST(JsonFormatTest, TypesAndNull) {
  ResultSet r;
  r.columns = {
      {"id", Kind::kNumber}, {"ok", Kind::kBool}, {"name", Kind::kText}, {"ratio", Kind::kNumber}};
  r.rows = {{"1", "true", "ann", "0.5"},
            {"-2", "f", "42", "NaN"},
            {std::nullopt, std::nullopt, std::nullopt, "1e-3"},
            {"007", "maybe", "", "Infinity"}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kJson),
            "[{\"id\":1,\"ok\":true,\"name\":\"ann\",\"ratio\":0.5},"
            "{\"id\":-2,\"ok\":false,\"name\":\"42\",\"ratio\":\"NaN\"},"
            "{\"id\":null,\"ok\":null,\"name\":null,\"ratio\":1e-3},"
            "{\"id\":\"007\",\"ok\":\"maybe\",\"name\":\"\",\"ratio\":\"Infinity\"}]\n");
}

TEST(JsonFormatTest, EmptyAndTagOnly) {
  ResultSet r;
  r.columns = {{"a", Kind::kText}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kJson), "[]\n");
  EXPECT_EQ(FormatResult(Tag("CREATE TABLE"), OutputFormat::kJson), "");
}

TEST(JsonFormatTest, EscapesStrings) {
  std::string out;
  AppendJsonString("q\" b\\ n\n r\r t\t \b \f \x01 \x1f \x7f", &out);
  EXPECT_EQ(out, "\"q\\\" b\\\\ n\\n r\\r t\\t \\b \\f \\u0001 \\u001f \x7f\"");
  out.clear();
  AppendJsonString("héllo 日本 😀 \u2028", &out);
  EXPECT_EQ(out, "\"héllo 日本 😀 \u2028\"");
  out.clear();
  // Invalid UTF-8: stray continuation, overlong '/', surrogate, truncated sequence.
  AppendJsonString(
      "a\x80"
      "b\xC0\xAF"
      "c\xED\xA0\x80"
      "d\xE6\x97",
      &out);
  EXPECT_EQ(out, "\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\"");
  out.clear();
  AppendJsonString(std::string("nul\0x", 5), &out);
  EXPECT_EQ(out, "\"nul\\u0000x\"");
}

TEST(JsonFormatTest, ColumnNamesAreEscaped) {
  ResultSet r;
  r.columns = {{"a\"b", Kind::kText}};
  r.rows = {{"v"}};
  EXPECT_EQ(FormatResult(r, OutputFormat::kJson), "[{\"a\\\"b\":\"v\"}]\n");
}

TEST(JsonFormatTest, NumberGrammar) {
  for (const char* good :
       {"0", "-0", "12", "-3.25", "1e5", "1E+5", "2.5e-10", "123456789012345678901"}) {
    EXPECT_TRUE(IsJsonNumber(good)) << good;
  }
  for (const char* bad : {"", "-", "+1", "01", "1.", ".5", "1e", "1e+", "0x10", "NaN", "Infinity",
                          " 1", "1 ", "1,5"}) {
    EXPECT_FALSE(IsJsonNumber(bad)) << bad;
  }
}

TEST(Utf8Test, DisplayWidth) {
  EXPECT_EQ(DisplayWidth(""), 0u);
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("héllo"), 5u);
  EXPECT_EQ(DisplayWidth("日本語"), 6u);
  EXPECT_EQ(DisplayWidth("e\u0301"), 1u);
  EXPECT_EQ(DisplayWidth("😀"), 2u);
  EXPECT_EQ(DisplayWidth("\xff\xfe"), 2u);
}

TEST(Utf8Test, DecodeRejectsMalformed) {
  EXPECT_TRUE(DecodeUtf8At("\xF0\x9F\x98\x80", 0).valid);
  EXPECT_EQ(DecodeUtf8At("\xF0\x9F\x98\x80", 0).code_point, 0x1F600u);
  EXPECT_EQ(DecodeUtf8At("\xF0\x9F\x98\x80", 0).length, 4u);
  EXPECT_FALSE(DecodeUtf8At("\xF4\x90\x80\x80", 0).valid);  // above U+10FFFF
  EXPECT_FALSE(DecodeUtf8At("\xE0\x80\xAF", 0).valid);      // overlong
  EXPECT_FALSE(DecodeUtf8At("\xF0\x9F\x98", 0).valid);      // truncated
  EXPECT_EQ(DecodeUtf8At("\xF0\x9F\x98", 0).length, 1u);
}

}  // namespace
}  // namespace cofre::cli
