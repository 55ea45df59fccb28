// Parser of the schedule statements (CockroachDB syntax; sql/statement.h): CREATE SCHEDULE ...
// FOR BACKUP, SHOW [RUNNING | PAUSED] SCHEDULES, SHOW SCHEDULE, PAUSE / RESUME / DROP
// SCHEDULE(S) and ALTER BACKUP SCHEDULE.
// Thread-safety: pure functions of the caller's cursor.
#ifndef COFRE_SQL_SCHEDULE_PARSER_H_
#define COFRE_SQL_SCHEDULE_PARSER_H_

#include "sql/lexer.h"
#include "sql/statement.h"
#include "sql/token_cursor.h"

namespace cofre::sql {

// True when a statement starting with these tokens is a schedule statement.
bool IsScheduleStatement(const Token& first, const Token& second, const Token& third);

// Parses a statement IsScheduleStatement recognised, from its first token.
StatusOr<Statement> ParseScheduleStatement(TokenCursor* cur);

}  // namespace cofre::sql

#endif  // COFRE_SQL_SCHEDULE_PARSER_H_
