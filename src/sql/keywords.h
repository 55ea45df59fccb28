// Reserved keywords: words that cannot be used as a bare (unquoted) name.
//
// The list is CockroachDB's (PostgreSQL's) reserved keywords. `CREATE DATABASE
// "table"` works; `CREATE DATABASE table` is a syntax error, as in CockroachDB.
// Non-reserved keywords (DATABASE, BACKUP, LATEST, ...) may be used as bare
// names.
// Thread-safety: pure function over a constant table.
#ifndef COFRE_SQL_KEYWORDS_H_
#define COFRE_SQL_KEYWORDS_H_

#include <string_view>

namespace cofre::sql {

// True when `word` (any case) is a reserved keyword.
bool IsReservedKeyword(std::string_view word);

}  // namespace cofre::sql

#endif  // COFRE_SQL_KEYWORDS_H_
