// The `json` output format: one line per result set holding a JSON array (RFC 8259) with one
// object per row, keyed by column name in column order.
//
// - kNumber values whose text is a JSON number are written as numbers, other kNumber values
//   (e.g. "NaN", "Infinity") as strings;
// - kBool values true/t/1/yes/on and false/f/0/no/off (any case) are written as true/false,
//   anything else as a string;
// - NULL is null; all other values are strings;
// - strings escape '"', '\\' and control characters; valid UTF-8 passes through unchanged and
//   each byte of invalid UTF-8 becomes U+FFFD, so the output is always valid JSON.
// A tag-only result renders as nothing (the output stays one JSON value per line).
// Thread-safety: pure functions.
#ifndef COFRE_CLI_JSON_FORMAT_H_
#define COFRE_CLI_JSON_FORMAT_H_

#include <string>
#include <string_view>

#include "util/result_set.h"

namespace cofre::cli {

std::string FormatJson(const ResultSet& result);

// Appends `text` to `out` as a quoted JSON string.
void AppendJsonString(std::string_view text, std::string* out);

// Whether `text` matches the JSON number grammar (-?int frac? exp?).
bool IsJsonNumber(std::string_view text);

}  // namespace cofre::cli

#endif  // COFRE_CLI_JSON_FORMAT_H_
