// Parser of the user, role and privilege statements (sql/access_statements.h).
// Thread-safety: functions of the caller's cursor.
#ifndef COFRE_SQL_ACCESS_PARSER_H_
#define COFRE_SQL_ACCESS_PARSER_H_

#include "sql/statement.h"
#include "sql/token_cursor.h"

namespace cofre::sql {

// True when the statement's first tokens (`first`, `second`) start an access statement.
bool IsAccessStatement(const Token& first, const Token& second);

// Parses one access statement at the start of `cur`. InvalidArgument on a syntax error.
StatusOr<Statement> ParseAccessStatement(TokenCursor* cur);

}  // namespace cofre::sql

#endif  // COFRE_SQL_ACCESS_PARSER_H_
