// Productions shared by several of cofre's statements: names, string lists,
// target lists, backup references, AS OF SYSTEM TIME and WITH options.
//
// Each function parses at the cursor and leaves it just after what it parsed.
// On a syntax error it returns the cursor's InvalidArgument error
// (sql/token_cursor.h) and the cursor position is unspecified.
// Thread-safety: functions of the caller's cursor.
#ifndef COFRE_SQL_CLAUSES_H_
#define COFRE_SQL_CLAUSES_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/statement.h"
#include "sql/token_cursor.h"
#include "util/status.h"

namespace cofre::sql {

// A bare identifier that is not a reserved keyword, or a "quoted" identifier.
StatusOr<std::string> ParseName(TokenCursor* cur);

// A database name: a name, or (as CockroachDB allows in SET) a non-empty string
// literal when `allow_string`.
StatusOr<std::string> ParseDatabaseName(TokenCursor* cur, bool allow_string);

// A string literal.
StatusOr<std::string> ParseString(TokenCursor* cur);

// 'a' or ('a', 'b', ...): one or more string literals.
StatusOr<std::vector<std::string>> ParseStringOrList(TokenCursor* cur);

// t | db.t | db.public.t | public.t | db.* | db.public.* | *
StatusOr<TablePattern> ParseTablePattern(TokenCursor* cur);

// [DATABASE name, ... | TABLE pattern, ... | pattern, ...]; no list (kCluster)
// when the current token is one of `stop_keywords` (INTO for BACKUP, FROM for
// RESTORE).
StatusOr<Targets> ParseTargets(TokenCursor* cur,
                               std::initializer_list<std::string_view> stop_keywords);

// LATEST | 'subdir' ('LATEST' in any case means LATEST). `hint` is used when
// neither is found.
StatusOr<BackupRef> ParseBackupRef(TokenCursor* cur, std::string hint = "");

// [AS OF SYSTEM TIME expr]: the expression runs to WITH (outside parentheses)
// or the end.
StatusOr<std::optional<AsOf>> ParseOptAsOf(TokenCursor* cur);

// An ID (a 64-bit integer literal) of a job or schedule: `statement` names the statement for
// the error's hint, `noun` ("job", "schedule") and `listing` ("SHOW JOBS") what to look up.
StatusOr<int64_t> ParseId(TokenCursor* cur, const std::string& statement, const std::string& noun,
                          const std::string& listing);

// The rest of the statement from the cursor, without a trailing ';' nor one pair of enclosing
// parentheses: the query of PAUSE JOBS (query), PAUSE SCHEDULES query, ...
std::string ParseRestAsQuery(TokenCursor* cur);

// One `name [= value]` (a name of several words stops before RECURRING).
StatusOr<Option> ParseOption(TokenCursor* cur);

// [WITH option [= value] [, ...] | WITH OPTIONS (option [= value] [, ...])]
StatusOr<std::vector<Option>> ParseOptWith(TokenCursor* cur);

}  // namespace cofre::sql

#endif  // COFRE_SQL_CLAUSES_H_
