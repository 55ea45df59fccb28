// Parser for the statements cofre executes itself (CockroachDB syntax); see
// sql/statement.h.
//
// ParseStatement classifies one statement by its leading keywords. BACKUP,
// RESTORE, ALTER BACKUP, SHOW {BACKUP(S), JOB(S), DATABASES, TABLES},
// CREATE/DROP DATABASE, USE and SET database are parsed in full; anything else
// (SELECT 'BACKUP', CREATE TABLE backup(x), PRAGMA, ...) is returned as
// Passthrough with its text unchanged, without further checks.
// Thread-safety: a pure function.
#ifndef COFRE_SQL_PARSER_H_
#define COFRE_SQL_PARSER_H_

#include <string_view>

#include "sql/statement.h"
#include "util/status.h"

namespace cofre::sql {

// Parses one statement (as produced by SplitStatements; a single trailing ';'
// is allowed). InvalidArgument on a lexical or syntax error in one of cofre's
// statements, with the message `at or near "tok": syntax error` as in
// CockroachDB and a hint (the statement's synopsis or a specific remedy). Error
// messages never show string literals, which may hold secrets.
StatusOr<Statement> ParseStatement(std::string_view text);

}  // namespace cofre::sql

#endif  // COFRE_SQL_PARSER_H_
