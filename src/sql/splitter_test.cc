#include "sql/splitter.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>

namespace cofre::sql {
namespace {

using Statements = std::vector<std::string>;

Statements Split(std::string_view script) { return SplitStatements(script, nullptr); }

TEST(SplitterTest, SimpleStatements) {
  EXPECT_EQ(Split("SELECT 1; SELECT 2;"), (Statements{"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(Split("SELECT 1;SELECT 2"), (Statements{"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(Split("  \n SELECT 1  \n ; "), (Statements{"SELECT 1"}));
}

TEST(SplitterTest, EmptyStatementsAreDropped) {
  EXPECT_EQ(Split(""), Statements{});
  EXPECT_EQ(Split(";;;  ; \n"), Statements{});
  EXPECT_EQ(Split("; SELECT 1;; ;SELECT 2;;"), (Statements{"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(Split("-- only a comment\n; /* and another */ ;"), Statements{});
}

TEST(SplitterTest, SemicolonsInsideQuotesAndComments) {
  EXPECT_EQ(Split("SELECT 'a;b'; SELECT 2"), (Statements{"SELECT 'a;b'", "SELECT 2"}));
  EXPECT_EQ(Split("SELECT 'it''s;'; x"), (Statements{"SELECT 'it''s;'", "x"}));
  EXPECT_EQ(Split("SELECT \"a;\"\"b\" FROM t; x"), (Statements{"SELECT \"a;\"\"b\" FROM t", "x"}));
  EXPECT_EQ(Split("SELECT `a;b`, [c;d]; x"), (Statements{"SELECT `a;b`, [c;d]", "x"}));
  EXPECT_EQ(Split("SELECT 1 -- no; split\n, 2; x"),
            (Statements{"SELECT 1 -- no; split\n, 2", "x"}));
  EXPECT_EQ(Split("SELECT /* ; */ 1; x"), (Statements{"SELECT /* ; */ 1", "x"}));
  EXPECT_EQ(Split("BACKUP INTO 'x' WITH encryption_passphrase = e'a\\';b'; y"),
            (Statements{"BACKUP INTO 'x' WITH encryption_passphrase = e'a\\';b'", "y"}));
}

TEST(SplitterTest, SurroundingCommentsAreTrimmed) {
  EXPECT_EQ(Split("-- lead\nSELECT 1 -- trail\n;"), (Statements{"SELECT 1"}));
  EXPECT_EQ(Split("/* a */ SELECT 1 /* b */;"), (Statements{"SELECT 1"}));
  EXPECT_EQ(Split("select 1; -- backup"), (Statements{"select 1"}));
}

TEST(SplitterTest, TriggerBodiesKeepTheirSemicolons) {
  const std::string trigger =
      "CREATE TRIGGER log_insert AFTER INSERT ON t BEGIN "
      "INSERT INTO log VALUES (new.x); UPDATE c SET n = n + 1; END";
  EXPECT_EQ(Split(trigger + "; SELECT 1;"), (Statements{trigger, "SELECT 1"}));
  const std::string temp =
      "create temp trigger tr before delete on t begin select case when 1 then "
      "2 end; end";
  EXPECT_EQ(Split(temp + ";select 2"), (Statements{temp, "select 2"}));
  const std::string temporary = "CREATE TEMPORARY TRIGGER tr AFTER UPDATE ON t BEGIN SELECT 1;END";
  EXPECT_EQ(Split(temporary + ";"), (Statements{temporary}));
  const std::string explain =
      "EXPLAIN QUERY PLAN CREATE TRIGGER tr AFTER UPDATE ON t BEGIN SELECT 1; "
      "END";
  EXPECT_EQ(Split(explain + ";x"), (Statements{explain, "x"}));
  // END not preceded by ';' does not close the trigger.
  const std::string with_case =
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 "
      "END; END";
  EXPECT_EQ(Split(with_case + "; y"), (Statements{with_case, "y"}));
}

TEST(SplitterTest, NotATrigger) {
  EXPECT_EQ(Split("CREATE TABLE trigger(x); SELECT 1"),
            (Statements{"CREATE TABLE trigger(x)", "SELECT 1"}));
  EXPECT_EQ(Split("SELECT 'CREATE TRIGGER'; SELECT 1"),
            (Statements{"SELECT 'CREATE TRIGGER'", "SELECT 1"}));
  EXPECT_EQ(Split("BEGIN; SELECT 1; END;"), (Statements{"BEGIN", "SELECT 1", "END"}));
}

TEST(SplitterTest, IncompleteRest) {
  std::string rest;
  EXPECT_EQ(SplitStatements("SELECT 1; SELECT", &rest), (Statements{"SELECT 1"}));
  EXPECT_EQ(rest, "SELECT");
  EXPECT_EQ(SplitStatements("SELECT 1;  \n", &rest), (Statements{"SELECT 1"}));
  EXPECT_EQ(rest, "");
  EXPECT_EQ(SplitStatements("SELECT 1; -- trailing", &rest), (Statements{"SELECT 1"}));
  EXPECT_EQ(rest, "");
  EXPECT_EQ(SplitStatements("SELECT 'a;\nb", &rest), Statements{});
  EXPECT_EQ(rest, "SELECT 'a;\nb");
  EXPECT_EQ(SplitStatements("x; /* open", &rest), (Statements{"x"}));
  EXPECT_EQ(rest, "/* open");
  EXPECT_EQ(SplitStatements("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;", &rest),
            Statements{});
  EXPECT_EQ(rest, "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;");
}

TEST(SplitterTest, ShellLoopAccumulatesLines) {
  const char* lines[] = {"BACKUP INTO 'nodelocal://1/b'", "  WITH encryption_passphrase = 'a;b",
                         "c'; SELECT", " 1; -- done"};
  std::string pending;
  Statements executed;
  for (const char* line : lines) {
    std::string buffer = pending.empty() ? std::string(line) : pending + "\n" + line;
    for (std::string& s : SplitStatements(buffer, &pending)) executed.push_back(std::move(s));
  }
  EXPECT_EQ(pending, "");
  EXPECT_EQ(executed, (Statements{"BACKUP INTO 'nodelocal://1/b'\n  WITH "
                                  "encryption_passphrase = 'a;b\nc'",
                                  "SELECT\n 1"}));
}

TEST(SplitterTest, TrailingStatementWithoutTerminator) {
  EXPECT_EQ(Split("SELECT 1; SELECT 'x"), (Statements{"SELECT 1", "SELECT 'x"}));
  EXPECT_EQ(Split("SELECT 1; /* open"), (Statements{"SELECT 1"}));
  EXPECT_EQ(Split("SELECT 1 /* open"), (Statements{"SELECT 1"}));
}

TEST(SplitterTest, IsCompleteStatement) {
  EXPECT_TRUE(IsCompleteStatement("SELECT 1;"));
  EXPECT_TRUE(IsCompleteStatement("SELECT 1; -- c"));
  EXPECT_TRUE(IsCompleteStatement(";"));
  EXPECT_FALSE(IsCompleteStatement(""));
  EXPECT_FALSE(IsCompleteStatement("  "));
  EXPECT_FALSE(IsCompleteStatement("SELECT 1"));
  EXPECT_FALSE(IsCompleteStatement("SELECT 1; /* open"));
  EXPECT_FALSE(IsCompleteStatement("SELECT 'a;"));
  EXPECT_FALSE(IsCompleteStatement("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;"));
  EXPECT_TRUE(IsCompleteStatement("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;"));
  EXPECT_FALSE(IsCompleteStatement("BACKUP INTO e'x\\';"));
  EXPECT_TRUE(IsCompleteStatement("BACKUP INTO e'x\\'';"));
}

// On SQLite syntax, IsCompleteStatement agrees with sqlite3_complete().
TEST(SplitterTest, AgreesWithSqliteComplete) {
  const char* cases[] = {
      "",
      " ",
      ";",
      "select 1",
      "select 1;",
      "select 1; -- x",
      "select 1; /* x",
      "-- x",
      "/* */ ;",
      "select 'a;'",
      "select 'a'';';",
      "select \"a;\";",
      "select [a;",
      "select [a;];",
      "select `a;`;",
      "create trigger t after insert on x begin select 1; end;",
      "create trigger t after insert on x begin select 1;",
      "create trigger t after insert on x begin select 1; end",
      "CREATE TEMP TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;",
      "create temporary trigger t after insert on x begin select 1; end ;  ",
      "explain create trigger t after insert on x begin select 1; end;",
      "explain query plan create trigger t begin select 1; end; ",
      "create trigger t begin select case when 1 then 2 end; end;",
      "create trigger t begin select case when 1 then 2 end; end",
      "create table trigger(x);",
      "create view v as select 1;",
      "begin; select 1; end;",
      "select 1;\nselect 2",
      "select 1;\nselect 2;\n",
      "insert into t values('x;y');",
  };
  for (const char* c : cases) {
    EXPECT_EQ(IsCompleteStatement(c), sqlite3_complete(c) != 0) << c;
  }
}

}  // namespace
}  // namespace cofre::sql

namespace cofre::sql {
namespace {

std::string Interpolate(std::string_view text) {
  static const std::map<std::string, std::string, std::less<>> vars = {
      {"pw", "it's \"secret\""}, {"n", "42"}, {"t", "my table"}, {"empty", ""}};
  return InterpolateVariables(text, [](std::string_view name) -> const std::string* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : &it->second;
  });
}

TEST(InterpolateTest, ThreeForms) {
  EXPECT_EQ(Interpolate("SELECT :n"), "SELECT 42");
  EXPECT_EQ(Interpolate("WITH encryption_passphrase = :'pw'"),
            "WITH encryption_passphrase = 'it''s \"secret\"'");
  EXPECT_EQ(Interpolate("SELECT * FROM :\"t\""), "SELECT * FROM \"my table\"");
  EXPECT_EQ(Interpolate("SELECT :\"pw\""), "SELECT \"it's \"\"secret\"\"\"");
  EXPECT_EQ(Interpolate("SELECT :'empty', :empty."), "SELECT '', .");
  EXPECT_EQ(Interpolate("SELECT :n+:n,:n"), "SELECT 42+42,42");
}

TEST(InterpolateTest, NotInsideLiteralsIdentifiersOrComments) {
  for (std::string_view text : {"SELECT ':n', ':''pw''', e':n\\':n'", "SELECT \":n\", `:n`, [:n]",
                                "SELECT 1 -- :n\n", "SELECT 1 /* :'pw' */", "SELECT 'it''s :n'"}) {
    EXPECT_EQ(Interpolate(text), text);
  }
  EXPECT_EQ(Interpolate("SELECT ':n' || :n -- :n"), "SELECT ':n' || 42 -- :n");
}

TEST(InterpolateTest, CastsUnknownNamesAndOddShapesStay) {
  for (std::string_view text :
       {"SELECT 1::INT", "SELECT x::n", "SELECT :unknown", "SELECT :'unknown'", "SELECT :\"x y\"",
        "SELECT :''", "SELECT :'pw", "SELECT :", "SELECT : n", "SELECT :-n"}) {
    EXPECT_EQ(Interpolate(text), text);
  }
  EXPECT_TRUE(IsVariableName("a_1"));
  EXPECT_FALSE(IsVariableName(""));
  EXPECT_FALSE(IsVariableName("a-b"));
  EXPECT_FALSE(IsVariableName("é"));
}

}  // namespace
}  // namespace cofre::sql
