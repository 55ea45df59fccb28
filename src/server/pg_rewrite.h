// PostgreSQL spellings that drivers send and SQLite does not read, rewritten before a
// statement runs (only statements cofre hands to SQLite; cofre's own are parsed as written):
//   'text'::bytea (hex \x... or escape format)  ->  X'hex'
//   't'::bool, 'false'::boolean                 ->  1 / 0
//   operand::int4 / ::float8 / ::text / ...     ->  CAST(operand AS INTEGER / REAL / TEXT ...)
//   operand::date / ::timestamp / ::json / ...  ->  operand (SQLite keeps them as text)
// where the operand is a literal, a name, a $n parameter or a parenthesised expression.
// Anything else (a cast after a function call, unknown types) is left for SQLite to reject.
// Thread-safety: a pure function.
#ifndef COFRE_SERVER_PG_REWRITE_H_
#define COFRE_SERVER_PG_REWRITE_H_

#include <string>
#include <string_view>

namespace cofre::server {

std::string RewritePgCasts(std::string_view text);

}  // namespace cofre::server

#endif  // COFRE_SERVER_PG_REWRITE_H_
