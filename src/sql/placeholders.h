// Placeholders: the $1, $2, ... parameters of statements that arrive over the wire.
//
// Statements that go to SQLite bind their parameters natively (sql/passthrough.h). cofre's own
// statements (BACKUP ... WITH encryption_passphrase = $1, CREATE USER u WITH PASSWORD $1) take
// each parameter as a string literal: SubstitutePlaceholders rewrites every $n outside literals,
// quoted identifiers and comments into the quoted value. The rewritten text holds secrets: it is
// parsed and then wiped, never logged.
// Thread-safety: pure functions.
#ifndef COFRE_SQL_PLACEHOLDERS_H_
#define COFRE_SQL_PLACEHOLDERS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace cofre::sql {

// One parameter value. Text values are as the client wrote them; `type` says how SQLite should
// bind it (kUnknown: an integer when the text is a canonical integer, else text).
struct Param {
  enum class Type { kUnknown, kInt, kFloat, kBool, kText, kBytes };
  std::optional<std::string> value;  // nullopt: NULL
  Type type = Type::kUnknown;
};

// The highest n of the $n placeholders in `text` (0 when none).
int CountPlaceholders(std::string_view text);

// `text` with each $n replaced by params[n-1] as a string literal (NULL for a null value).
// InvalidArgument when a placeholder has no parameter.
StatusOr<std::string> SubstitutePlaceholders(std::string_view text,
                                             const std::vector<Param>& params);

}  // namespace cofre::sql

#endif  // COFRE_SQL_PLACEHOLDERS_H_
