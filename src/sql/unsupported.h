// The CockroachDB statements cofre does not implement, refused by name.
//
// SQLite would answer them with `near "X": syntax error`, which says nothing useful. Instead
// RefuseUnsupported recognises them by their leading keywords and returns an Unimplemented
// status (SQLSTATE 0A000 feature_not_supported over the wire) that names the statement and says
// why cofre lacks it and what to use instead. Statements cofre implements never reach it (the
// parser classifies them first), nor does anything SQLite runs. docs/compatibility.md lists
// them.
// Thread-safety: a pure function.
#ifndef COFRE_SQL_UNSUPPORTED_H_
#define COFRE_SQL_UNSUPPORTED_H_

#include <optional>
#include <string_view>

#include "util/status.h"

namespace cofre::sql {

// The refusal of `text` when it is a CockroachDB statement cofre does not implement; nullopt
// for anything else (SQLite's statements, or text that does not lex).
std::optional<Status> RefuseUnsupported(std::string_view text);

}  // namespace cofre::sql

#endif  // COFRE_SQL_UNSUPPORTED_H_
