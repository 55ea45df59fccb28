#include "cli/shell.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace cofre::cli {
namespace {

// A Session that records statements. "FAIL..." fails (with a hint for "FAIL HINT"), "ROWS"
// returns a small result set, anything else returns the tag "OK".
class FakeSession : public sql::Session {
 public:
  using sql::Session::Execute;
  StatusOr<sql::StatementDescription> Describe(std::string_view) override {
    return sql::StatementDescription{};
  }
  bool InTransaction() const override { return false; }
  void Interrupt() override {}
  StatusOr<ResultSet> Execute(std::string_view statement, const std::vector<sql::Param>&) override {
    executed.emplace_back(statement);
    if (statement.starts_with("FAIL HINT")) {
      return InvalidArgumentError("bad thing").WithHint("do the other thing");
    }
    if (statement.starts_with("FAIL")) return NotFoundError("no such thing");
    ResultSet result;
    if (statement == "ROWS") {
      result.columns = {{"n", ResultSet::Kind::kNumber}};
      result.rows = {{"7"}};
    } else if (statement == "NOTICES") {
      result.tag = "OK";
      result.notices = {{ResultSet::Notice::Severity::kWarning, "older than seen"},
                        {ResultSet::Notice::Severity::kNotice, "restored layer 2"}};
    } else {
      result.tag = "OK";
    }
    return result;
  }
  const std::string& current_database() const override { return database_; }

  std::vector<std::string> executed;

 private:
  std::string database_ = "defaultdb";
};

// Captures what a Shell writes to its two streams.
class Capture {
 public:
  Capture() {
    out_ = open_memstream(&out_buf_, &out_size_);
    err_ = open_memstream(&err_buf_, &err_size_);
  }
  ~Capture() {
    std::fclose(out_);
    std::fclose(err_);
    std::free(out_buf_);
    std::free(err_buf_);
  }
  std::FILE* out() { return out_; }
  std::FILE* err() { return err_; }
  std::string out_text() {
    std::fflush(out_);
    return std::string(out_buf_, out_size_);
  }
  std::string err_text() {
    std::fflush(err_);
    return std::string(err_buf_, err_size_);
  }

 private:
  char* out_buf_ = nullptr;
  size_t out_size_ = 0;
  char* err_buf_ = nullptr;
  size_t err_size_ = 0;
  std::FILE* out_;
  std::FILE* err_;
};

TEST(ShellTest, ExecutesScriptInOrder) {
  FakeSession session;
  Capture capture;
  Shell shell(&session, ShellOptions{}, capture.out(), capture.err());
  EXPECT_TRUE(shell.ExecuteScript("A; ROWS;\n  B").ok());
  EXPECT_EQ(session.executed, (std::vector<std::string>{"A", "ROWS", "B"}));
  EXPECT_EQ(capture.out_text(), "OK\n  n\n-----\n  7\n(1 row)\nOK\n");
  EXPECT_EQ(capture.err_text(), "");
}

TEST(ShellTest, EmptyScriptDoesNothing) {
  FakeSession session;
  Capture capture;
  Shell shell(&session, ShellOptions{}, capture.out(), capture.err());
  EXPECT_TRUE(shell.ExecuteScript(" ; -- only a comment\n").ok());
  EXPECT_TRUE(session.executed.empty());
  EXPECT_EQ(capture.out_text(), "");
}

TEST(ShellTest, StopsAtFirstErrorAndPrintsHint) {
  FakeSession session;
  Capture capture;
  Shell shell(&session, ShellOptions{}, capture.out(), capture.err());
  Status status = shell.ExecuteScript("A; FAIL HINT; B");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(session.executed, (std::vector<std::string>{"A", "FAIL HINT"}));
  EXPECT_EQ(capture.out_text(), "OK\n");
  EXPECT_EQ(capture.err_text(), "ERROR: bad thing\nHINT: do the other thing\n");
}

TEST(ShellTest, ErrorWithoutHint) {
  FakeSession session;
  Capture capture;
  Shell shell(&session, ShellOptions{}, capture.out(), capture.err());
  EXPECT_EQ(shell.Execute("FAIL").code(), StatusCode::kNotFound);
  EXPECT_EQ(capture.err_text(), "ERROR: no such thing\n");
}

TEST(ShellTest, NoticesGoToStderrBeforeTheResult) {
  FakeSession session;
  Capture capture;
  Shell shell(&session, ShellOptions{}, capture.out(), capture.err());
  EXPECT_TRUE(shell.ExecuteScript("A; NOTICES").ok());
  EXPECT_EQ(capture.out_text(), "OK\nOK\n");
  EXPECT_EQ(capture.err_text(), "WARNING: older than seen\nNOTICE: restored layer 2\n");
}

TEST(ShellTest, VariablesAreInterpolatedButNeverEchoed) {
  FakeSession session;
  Capture capture;
  ShellOptions options;
  options.echo_statements = true;
  Shell shell(&session, options, capture.out(), capture.err());
  ASSERT_TRUE(shell.variables().Set("pw", "s3cr'et").ok());
  EXPECT_TRUE(shell.ExecuteScript("X :'pw' ':pw' :pw").ok());
  EXPECT_EQ(session.executed, (std::vector<std::string>{"X 's3cr''et' ':pw' s3cr'et"}));
  EXPECT_EQ(capture.out_text(), "> X :'pw' ':pw' :pw\nOK\n");
}

TEST(ShellTest, StreamRunsVariableCommands) {
  FakeSession session;
  Capture capture;
  Shell shell(&session, ShellOptions{}, capture.out(), capture.err());
  std::string input =
      "\\set pw 'two words' more\nA :'pw';\n  \\set n 1\nB\n\\set x 2\n:n;\n\\set\n"
      "\\unset n\nC :n;\n";
  std::FILE* in = fmemopen(input.data(), input.size(), "r");
  ASSERT_NE(in, nullptr);
  EXPECT_TRUE(shell.ExecuteStream(in).ok());
  std::fclose(in);
  // A backslash line inside a statement is part of the statement.
  EXPECT_EQ(session.executed,
            (std::vector<std::string>{"A 'two wordsmore'", "B\n\\set x 2\n1", "C :n"}));
  EXPECT_EQ(capture.out_text(), "OK\nOK\nn\npw\nOK\n");
  EXPECT_EQ(capture.err_text(), "");
}

TEST(ShellTest, StreamStopsAtABadShellCommand) {
  FakeSession session;
  Capture capture;
  Shell shell(&session, ShellOptions{}, capture.out(), capture.err());
  for (std::string input : {"\\nope\nA;\n", "\\getenv x COFRE_TEST_SURELY_UNSET\nA;\n",
                            "\\set 'a b' 1\nA;\n", "\\set x 'open\nA;\n"}) {
    std::FILE* in = fmemopen(input.data(), input.size(), "r");
    ASSERT_NE(in, nullptr);
    EXPECT_FALSE(shell.ExecuteStream(in).ok()) << input;
    std::fclose(in);
  }
  EXPECT_TRUE(session.executed.empty());
  EXPECT_NE(capture.err_text().find("ERROR: unknown shell command '\\nope'"), std::string::npos);
  EXPECT_NE(capture.err_text().find("COFRE_TEST_SURELY_UNSET is not set"), std::string::npos);
}

TEST(ShellTest, EchoAndBlankLines) {
  FakeSession session;
  Capture capture;
  ShellOptions options;
  options.echo_statements = true;
  options.blank_line_after_result = true;
  Shell shell(&session, options, capture.out(), capture.err());
  EXPECT_TRUE(shell.Execute("SELECT\n  x").ok());
  EXPECT_EQ(capture.out_text(), "> SELECT\n    x\nOK\n\n");
}

TEST(ShellTest, UsesOutputFormat) {
  FakeSession session;
  Capture capture;
  ShellOptions options;
  options.format = OutputFormat::kJson;
  Shell shell(&session, options, capture.out(), capture.err());
  EXPECT_TRUE(shell.ExecuteScript("ROWS; A").ok());
  EXPECT_EQ(capture.out_text(), "[{\"n\":7}]\n");
}

std::FILE* InputOf(const std::string& text) {
  std::FILE* f = std::tmpfile();
  std::fwrite(text.data(), 1, text.size(), f);
  std::rewind(f);
  return f;
}

TEST(ShellTest, StreamExecutesStatementsAsTheyComplete) {
  FakeSession session;
  Capture capture;
  Shell shell(&session, ShellOptions{}, capture.out(), capture.err());
  std::FILE* in = InputOf("A;\nSELECT 'x;\ny'\n  ; B; C\nD");
  EXPECT_TRUE(shell.ExecuteStream(in).ok());
  std::fclose(in);
  EXPECT_EQ(session.executed, (std::vector<std::string>{"A", "SELECT 'x;\ny'", "B", "C\nD"}));
}

TEST(ShellTest, StreamStopsAtFirstError) {
  FakeSession session;
  Capture capture;
  Shell shell(&session, ShellOptions{}, capture.out(), capture.err());
  std::FILE* in = InputOf("A;\nFAIL; B;\nC;\n");
  EXPECT_EQ(shell.ExecuteStream(in).code(), StatusCode::kNotFound);
  std::fclose(in);
  EXPECT_EQ(session.executed, (std::vector<std::string>{"A", "FAIL"}));
  EXPECT_EQ(capture.err_text(), "ERROR: no such thing\n");
}

TEST(ShellTest, ReportErrorFlushesOutputFirst) {
  Capture capture;
  std::fputs("before\n", capture.out());
  ReportError(PermissionDeniedError("wrong passphrase"), capture.out(), capture.err());
  EXPECT_EQ(capture.out_text(), "before\n");
  EXPECT_EQ(capture.err_text(), "ERROR: wrong passphrase\n");
}

}  // namespace
}  // namespace cofre::cli
