// Output formats of `cofre sql` and the function that renders one statement's result in them.
//
// - table: as `cockroach sql` prints in CockroachDB's docs: centered header, dashed rule with '+'
//   at column boundaries, numbers right-aligned, text left-aligned, NULL as "NULL", footer
//   "(N rows)" / "(1 row)". See table_format.h for the exact layout.
// - csv: RFC 4180; header line then one line per row; NULL is an empty field, an empty string is
//   `""`.
// - tsv: header line then rows, tab-separated; NULL is "NULL"; backslash, tab, CR and LF inside
//   values are written as \\, \t, \r and \n so that every row is one line.
// - json: one line per result set holding a JSON array of row objects keyed by column name.
// A tag-only result (no columns) renders as its tag on one line in table, csv and tsv, and as
// nothing in json (so that json output stays one JSON value per line). Every non-empty rendering
// ends with '\n'.
// Thread-safety: pure functions.
#ifndef COFRE_CLI_FORMATTER_H_
#define COFRE_CLI_FORMATTER_H_

#include <string>
#include <string_view>

#include "util/result_set.h"
#include "util/status.h"

namespace cofre::cli {

enum class OutputFormat { kTable, kCsv, kTsv, kJson };

// Parses "table", "csv", "tsv" or "json"; anything else is InvalidArgument.
StatusOr<OutputFormat> ParseOutputFormat(std::string_view name);

// The name ParseOutputFormat accepts for `format`.
std::string_view OutputFormatName(OutputFormat format);

// Renders `result` in `format`.
std::string FormatResult(const ResultSet& result, OutputFormat format);

}  // namespace cofre::cli

#endif  // COFRE_CLI_FORMATTER_H_
