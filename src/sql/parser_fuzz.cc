// libFuzzer target: the statement splitter, the parser and DescribeStatement
// on arbitrary bytes.
//
// Besides crashes and sanitizer reports, it aborts when an invariant breaks:
//  - split statements are non-empty, have no surrounding blanks, and split
//    again to themselves;
//  - splitting with an incomplete-rest buffer returns a prefix of splitting
//    without one, and a complete script (IsCompleteStatement) leaves no rest;
//  - a passthrough statement keeps its text; errors are InvalidArgument;
//  - the description of a parsed cofre statement parses back to the same kind
//    of statement, and so does the description of that. (Exact idempotence is
//    checked by the unit tests: RedactUri drops empty query segments such as
//    the second '&' of "?a&&b", so a description may take a pass to settle.)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sql/describe.h"
#include "sql/parser.h"
#include "sql/splitter.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

void CheckParse(std::string_view text) {
  cofre::StatusOr<cofre::sql::Statement> stmt =
      cofre::sql::ParseStatement(text);
  if (!stmt.ok()) {
    Check(stmt.status().code() == cofre::StatusCode::kInvalidArgument);
    return;
  }
  if (std::holds_alternative<cofre::sql::Passthrough>(*stmt)) {
    Check(std::get<cofre::sql::Passthrough>(*stmt).text == text);
    return;
  }
  std::string description = cofre::sql::DescribeStatement(*stmt);
  cofre::StatusOr<cofre::sql::Statement> again =
      cofre::sql::ParseStatement(description);
  Check(again.ok());
  Check(again->index() == stmt->index());
  cofre::StatusOr<cofre::sql::Statement> third =
      cofre::sql::ParseStatement(cofre::sql::DescribeStatement(*again));
  Check(third.ok() && third->index() == stmt->index());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view script(reinterpret_cast<const char*>(data), size);

  std::vector<std::string> all = cofre::sql::SplitStatements(script, nullptr);
  std::string rest;
  std::vector<std::string> complete =
      cofre::sql::SplitStatements(script, &rest);
  Check(complete.size() <= all.size());
  for (size_t i = 0; i < complete.size(); ++i) Check(complete[i] == all[i]);
  if (cofre::sql::IsCompleteStatement(script)) Check(rest.empty());

  for (const std::string& stmt : all) {
    Check(!stmt.empty());
    Check(!IsBlank(stmt.front()) && !IsBlank(stmt.back()));
    std::vector<std::string> again = cofre::sql::SplitStatements(stmt, nullptr);
    Check(again.size() == 1 && again[0] == stmt);
    CheckParse(stmt);
  }
  CheckParse(script);
  return 0;
}
