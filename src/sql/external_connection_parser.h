// Parser of CREATE / SHOW [CREATE] / DROP EXTERNAL CONNECTION (sql/statement.h).
// Thread-safety: functions of the caller's cursor.
#ifndef COFRE_SQL_EXTERNAL_CONNECTION_PARSER_H_
#define COFRE_SQL_EXTERNAL_CONNECTION_PARSER_H_

#include "sql/statement.h"
#include "sql/token_cursor.h"

namespace cofre::sql {

// True when the first tokens start an external-connection statement: CREATE EXTERNAL, DROP
// EXTERNAL, SHOW EXTERNAL, SHOW CREATE EXTERNAL, SHOW CREATE ALL EXTERNAL.
bool IsExternalConnectionStatement(const Token& first, const Token& second, const Token& third);

// Parses one external-connection statement at the start of `cur`.
StatusOr<Statement> ParseExternalConnectionStatement(TokenCursor* cur);

}  // namespace cofre::sql

#endif  // COFRE_SQL_EXTERNAL_CONNECTION_PARSER_H_
