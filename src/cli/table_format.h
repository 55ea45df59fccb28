// The `table` output format: a ResultSet laid out as `cockroach sql` shows it in CockroachDB's
// docs.
//
//         job_id       |  status   | rows
//   ---------------------+-----------+-------
//     594193600274956289 | succeeded | 2689
//   (1 row)
//
// Layout contract (w = a column's width in terminal columns = max over its header and values):
// - every header and row line begins with one space; each cell is its text padded to w plus one
//   space on each side; cells are separated by '|'; trailing padding of the last cell is omitted;
// - header names are centered (an odd leftover space goes to the right);
// - the rule is '-' then, per column, w + 2 dashes joined by '+', then '-';
// - values of kNumber columns are right-aligned, others left-aligned; NULL shows as "NULL";
// - a value or name holding '\n' spans several lines, the other cells of those lines are blank;
//   other control characters are shown escaped (\t, \r, \xNN) so they cannot break the layout;
// - the footer is "(1 row)" or "(N rows)"; a tag-only result renders as its tag.
// Thread-safety: a pure function.
#ifndef COFRE_CLI_TABLE_FORMAT_H_
#define COFRE_CLI_TABLE_FORMAT_H_

#include <string>

#include "util/result_set.h"

namespace cofre::cli {

std::string FormatTable(const ResultSet& result);

}  // namespace cofre::cli

#endif  // COFRE_CLI_TABLE_FORMAT_H_
