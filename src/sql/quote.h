// Quoting of SQL literals and names, so that rendered SQL lexes back to the
// same values.
//
// QuoteString renders a CockroachDB string literal: '...' with '' for a quote,
// or e'...' with backslash escapes when the value holds control characters.
// QuoteName leaves a name bare when that is unambiguous and double-quotes it
// otherwise.
// Thread-safety: pure functions.
#ifndef COFRE_SQL_QUOTE_H_
#define COFRE_SQL_QUOTE_H_

#include <string>
#include <string_view>

namespace cofre::sql {

// 'it''s' / e'line\nbreak'. Lexing the result yields exactly `value`.
std::string QuoteString(std::string_view value);

// defaultdb / "my db" / "table" / "a""b". Lexing the result yields a token
// whose name is exactly `name`, never a keyword of cofre's grammar.
std::string QuoteName(std::string_view name);

}  // namespace cofre::sql

#endif  // COFRE_SQL_QUOTE_H_
