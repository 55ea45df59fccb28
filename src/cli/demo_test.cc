#include "cli/demo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace cofre::cli {
namespace {

// A Session answering count queries from a table of canned values; other statements return
// the tag "OK". Unknown count queries fail.
class ScriptedSession : public sql::Session {
 public:
  using sql::Session::Execute;
  StatusOr<sql::StatementDescription> Describe(std::string_view) override {
    return sql::StatementDescription{};
  }
  bool InTransaction() const override { return false; }
  void Interrupt() override {}
  StatusOr<ResultSet> Execute(std::string_view statement, const std::vector<sql::Param>&) override {
    executed.emplace_back(statement);
    if (!statement.starts_with("SELECT count(*)")) {
      ResultSet ok;
      ok.tag = "OK";
      return ok;
    }
    for (const auto& [fragment, value] : counts) {
      if (statement.find(fragment) != std::string_view::npos) {
        ResultSet result;
        result.columns = {{"count(*)", ResultSet::Kind::kNumber}};
        result.rows = {{std::to_string(value)}};
        return result;
      }
    }
    return InternalError("unexpected query: " + std::string(statement));
  }
  const std::string& current_database() const override { return database_; }

  // Matched in order: the first fragment found in the query wins.
  std::vector<std::pair<std::string, int64_t>> counts;
  std::vector<std::string> executed;

 private:
  std::string database_ = "defaultdb";
};

std::string ReadAll(std::FILE* f) {
  std::rewind(f);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  return text;
}

struct Streams {
  Streams() : out(std::tmpfile()), err(std::tmpfile()) {}
  ~Streams() {
    std::fclose(out);
    std::fclose(err);
  }
  std::FILE* out;
  std::FILE* err;
};

TEST(DemoTest, PrintsStatementsAndChecks) {
  ScriptedSession session;
  session.counts = {{"EXCEPT", 0}, {"FROM \"a\".\"t\"", 5}, {"FROM \"b\".\"t\"", 5}};
  Streams streams;
  std::vector<DemoStep> steps = {DemoStep::Narrate("Hello."), DemoStep::Statement("CREATE x"),
                                 DemoStep::CompareTable("a", "b", "t"),
                                 DemoStep::Statement("SELECT 1")};
  EXPECT_TRUE(RunDemoSteps(steps, &session, streams.out, streams.err).ok());
  EXPECT_EQ(ReadAll(streams.out),
            "-- Hello.\n> CREATE x\nOK\n\nOK: t matches (5 rows)\n\n> SELECT 1\nOK\n\n");
  EXPECT_EQ(ReadAll(streams.err), "");
}

TEST(DemoTest, MismatchFails) {
  ScriptedSession session;
  session.counts = {{"EXCEPT SELECT * FROM \"a\"", 0},
                    {"EXCEPT", 2},
                    {"FROM \"a\".\"t\"", 5},
                    {"FROM \"b\".\"t\"", 5}};
  Streams streams;
  Status status = RunDemoSteps({DemoStep::CompareTable("a", "b", "t"), DemoStep::Statement("X")},
                               &session, streams.out, streams.err);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(ReadAll(streams.err),
            "FAILED: t differs: 5 rows in a, 5 in b; 2 rows only in a, 0 only in b\n");
  EXPECT_EQ(std::count(session.executed.begin(), session.executed.end(), "X"), 0);
}

TEST(DemoTest, FailedStatementStops) {
  ScriptedSession session;
  Streams streams;
  Status status = RunDemoSteps(
      {DemoStep::Statement("SELECT count(*) FROM nowhere"), DemoStep::Statement("NEXT")}, &session,
      streams.out, streams.err);
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(session.executed.size(), 1u);
  EXPECT_EQ(ReadAll(streams.err), "ERROR: unexpected query: SELECT count(*) FROM nowhere\n");
}

TEST(DemoTest, ScriptEndsWithChecksOfEveryTable) {
  std::vector<DemoStep> steps = DemoSteps();
  int table_checks = 0;
  bool schema_check = false;
  for (const DemoStep& step : steps) {
    if (step.kind == DemoStep::Kind::kCompareTable) ++table_checks;
    if (step.kind == DemoStep::Kind::kCompareSchema) schema_check = true;
  }
  EXPECT_EQ(table_checks, 3);
  EXPECT_TRUE(schema_check);
  EXPECT_EQ(steps.back().kind, DemoStep::Kind::kCompareTable);
}

}  // namespace
}  // namespace cofre::cli
