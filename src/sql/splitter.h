// Statement splitter: cuts a script into statements at ';'.
//
// A ';' separates statements only outside string literals ('..', e'..'), quoted identifiers
// ("..", `..`, [..]), comments (-- to end of line, /* */) and the body of a SQLite trigger
// (CREATE [TEMP] TRIGGER ... BEGIN stmt; stmt; END). Quoting and trigger rules are SQLite's,
// because every statement cofre does not handle itself goes to SQLite verbatim; e'..' strings
// (CockroachDB escapes) are recognised too.
//
// Each returned statement runs from its first token to its last token: surrounding whitespace
// and comments and the terminating ';' are dropped; statements with no tokens are dropped.
// Thread-safety: pure functions.
#ifndef COFRE_SQL_SPLITTER_H_
#define COFRE_SQL_SPLITTER_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cofre::sql {

// Splits `script` into statements.
//
// The text after the last ';' is an unfinished statement when it holds a token
// or an unterminated comment. With `incomplete_rest` null it is returned as the
// last statement (the way a script or `-e` ends). Otherwise it is not returned
// but stored in *incomplete_rest (from its first non-blank character to the end
// of the script, untrimmed), and *incomplete_rest is set to "" when there is
// none: an interactive shell keeps it, appends "\n" and the next line, and
// splits again.
std::vector<std::string> SplitStatements(std::string_view script, std::string* incomplete_rest);

// True when `text` ends with a terminated statement: it has at least one ';'
// that ends a statement, and only whitespace and terminated comments after the
// last one. Agrees with sqlite3_complete() on SQLite syntax.
bool IsCompleteStatement(std::string_view text);

// Replaces psql-style variable references in `text` (a statement or script) outside string
// literals, quoted identifiers and comments (the units SplitStatements skips):
//   :name    the variable's value as written;
//   :'name'  the value as a string literal: '...' with each ' doubled;
//   :"name"  the value as a quoted identifier: "..." with each " doubled.
// A name is ASCII letters, digits and '_'. `::` (a cast) is left alone, and so is a reference to
// a variable `lookup` does not know (it returns null), as psql leaves it.
std::string InterpolateVariables(std::string_view text,
                                 const std::function<const std::string*(std::string_view)>& lookup);

// True for a valid variable name: one or more ASCII letters, digits and '_'.
bool IsVariableName(std::string_view name);

}  // namespace cofre::sql

#endif  // COFRE_SQL_SPLITTER_H_
