// The `csv` and `tsv` output formats: a header line of column names, then one line per row.
//
// csv follows RFC 4180 with '\n' line ends: a field holding ',', '"', CR or LF is quoted with
// '"' and its quotes doubled; NULL is an empty field and an empty string is `""`, so the two stay
// distinct.
// tsv never quotes: NULL is "NULL", and backslash, tab, CR and LF inside a value are written as
// \\, \t, \r and \n, so every row is exactly one line with one tab between fields.
// A tag-only result renders as its tag on one line.
// Thread-safety: pure functions.
#ifndef COFRE_CLI_DELIMITED_FORMAT_H_
#define COFRE_CLI_DELIMITED_FORMAT_H_

#include <string>

#include "util/result_set.h"

namespace cofre::cli {

std::string FormatCsv(const ResultSet& result);
std::string FormatTsv(const ResultSet& result);

}  // namespace cofre::cli

#endif  // COFRE_CLI_DELIMITED_FORMAT_H_
