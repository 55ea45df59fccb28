// SHOW statements as table sources, as CockroachDB allows them in a query:
//   WITH x AS (SHOW JOBS) SELECT job_id FROM x WHERE status = 'failed'
//   SELECT path FROM [SHOW BACKUPS IN 'nodelocal://1/b'] ORDER BY path DESC LIMIT 1
//
// FindShowSources finds the SHOW statements a query reads (a parenthesised SHOW, as in a WITH
// clause, or a bracketed one, [SHOW ...]); the session runs each like any SHOW, with the user's
// privileges, and SubstituteShowResults writes its rows into the query text as a SELECT over
// VALUES, which SQLite then runs. Column names are the SHOW's; numbers stay numbers, booleans
// become 1/0, everything else is text.
// Thread-safety: pure functions.
#ifndef COFRE_SQL_SHOW_SOURCE_H_
#define COFRE_SQL_SHOW_SOURCE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/lexer.h"
#include "sql/statement.h"
#include "util/result_set.h"

namespace cofre::sql {

// The SHOW sources of a query that begins with SELECT or WITH; nullopt when it reads none.
std::optional<ShowQuery> FindShowSources(std::string_view text, const std::vector<Token>& tokens);

// `query.text` with each source replaced by `(SELECT ... FROM (VALUES ...))` holding
// `results[i]`, the rows of source i. InvalidArgument when a source returned no columns (a
// command, not rows).
StatusOr<std::string> SubstituteShowResults(const ShowQuery& query,
                                            const std::vector<ResultSet>& results);

// The text of `(query)` without its parentheses when it is one parenthesised statement.
std::string_view StripParentheses(std::string_view query);

}  // namespace cofre::sql

#endif  // COFRE_SQL_SHOW_SOURCE_H_
