// UTF-8 encoding of Unicode code points, shared by the parsers that decode escapes
// (SQL e'..' strings, KMS JSON \u escapes).
// Thread-safety: pure functions.
#ifndef COFRE_UTIL_UTF8_H_
#define COFRE_UTIL_UTF8_H_

#include <cstdint>
#include <string>

namespace cofre {

// Appends the UTF-8 encoding of `cp` to *out. Returns false, appending nothing, when `cp` is
// not a Unicode scalar value (above U+10FFFF or a surrogate).
bool AppendUtf8(uint32_t cp, std::string* out);

}  // namespace cofre

#endif  // COFRE_UTIL_UTF8_H_
