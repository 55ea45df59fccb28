// Test helper of the parser tests: the statement `text` parses to, as its variant alternative T.
// Thread-safety: as GoogleTest's assertions.
#ifndef COFRE_SQL_PARSE_TEST_UTIL_H_
#define COFRE_SQL_PARSE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string_view>
#include <variant>

#include "sql/parser.h"

namespace cofre::sql {

// The statement `text` parses to as a T; a failed expectation (and T{}) when it does not parse or
// parses to another kind of statement.
template <typename T>
T ParseAs(std::string_view text) {
  StatusOr<Statement> stmt = ParseStatement(text);
  EXPECT_TRUE(stmt.ok()) << text << ": " << stmt.status().ToString()
                         << " HINT: " << stmt.status().hint();
  if (!stmt.ok()) return T{};
  const T* value = std::get_if<T>(&*stmt);
  EXPECT_NE(value, nullptr) << text << " parsed as variant #" << stmt->index();
  return value ? *value : T{};
}

}  // namespace cofre::sql

#endif  // COFRE_SQL_PARSE_TEST_UTIL_H_
