// libFuzzer target: the statement splitter, the parser and DescribeStatement
// on arbitrary bytes.
//
// Besides crashes and sanitizer reports, it aborts when an invariant breaks:
//  - split statements are non-empty, start with a token, and split again to
//    themselves; terminated ones end with a token;
//  - splitting with an incomplete-rest buffer returns a prefix of splitting
//    without one, and a complete script (IsCompleteStatement) leaves no rest;
//  - a passthrough statement keeps its text; errors are InvalidArgument;
//  - the description of a parsed cofre statement parses back to the same kind
//    of statement, and describing settles: the description of that parses and
//    describes to itself. (It may take one pass: RedactUri turns
//    "x?K=a://b" into "x?K=redacted", which no longer looks like a URI and
//    then renders as '<unparseable URI>'. The unit tests check that real URIs
//    describe to themselves at once.)
//  - variable interpolation (InterpolateVariables) leaves a script unchanged when no variable
//    is known and never lengthens it when every variable is empty.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sql/describe.h"
#include "sql/parser.h"
#include "sql/splitter.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void CheckParse(std::string_view text) {
  cofre::StatusOr<cofre::sql::Statement> stmt = cofre::sql::ParseStatement(text);
  if (!stmt.ok()) {
    // A syntax error, or a CockroachDB statement cofre refuses by name (sql/unsupported.h).
    Check(stmt.status().code() == cofre::StatusCode::kInvalidArgument ||
          stmt.status().code() == cofre::StatusCode::kUnimplemented);
    return;
  }
  if (std::holds_alternative<cofre::sql::Passthrough>(*stmt)) {
    Check(std::get<cofre::sql::Passthrough>(*stmt).text == text);
    return;
  }
  std::string description = cofre::sql::DescribeStatement(*stmt);
  cofre::StatusOr<cofre::sql::Statement> again = cofre::sql::ParseStatement(description);
  Check(again.ok());
  Check(again->index() == stmt->index());
  std::string settled = cofre::sql::DescribeStatement(*again);
  cofre::StatusOr<cofre::sql::Statement> third = cofre::sql::ParseStatement(settled);
  Check(third.ok() && third->index() == stmt->index());
  Check(cofre::sql::DescribeStatement(*third) == settled);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view script(reinterpret_cast<const char*>(data), size);

  std::vector<std::string> all = cofre::sql::SplitStatements(script, nullptr);
  std::string rest;
  std::vector<std::string> complete = cofre::sql::SplitStatements(script, &rest);
  Check(complete.size() <= all.size());
  for (size_t i = 0; i < complete.size(); ++i) {
    Check(complete[i] == all[i]);
    // A terminated statement ends with a token (an unterminated quote at the
    // end of the script may end with blanks).
    Check(!IsBlank(complete[i].back()));
  }
  if (cofre::sql::IsCompleteStatement(script)) Check(rest.empty());

  for (const std::string& stmt : all) {
    Check(!stmt.empty());
    Check(!IsBlank(stmt.front()));
    std::vector<std::string> again = cofre::sql::SplitStatements(stmt, nullptr);
    Check(again.size() == 1 && again[0] == stmt);
    CheckParse(stmt);
  }
  CheckParse(script);

  using cofre::sql::InterpolateVariables;
  Check(InterpolateVariables(script, [](std::string_view) { return nullptr; }) == script);
  static const std::string empty, tricky = "';\"; -- /*";
  Check(InterpolateVariables(script, [](std::string_view) { return &empty; }).size() <=
        script.size());
  // Values with quotes, ';' and comment openers are inserted without crashing.
  Check(!InterpolateVariables(script, [](std::string_view) { return &tricky; }).empty() ||
        script.empty() || script.find(':') != std::string_view::npos);
  return 0;
}
