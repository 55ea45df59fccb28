// Appending numbers to the text of generated rows, without a temporary string per value.
// Thread-safety: pure functions.
#ifndef COFRE_BENCH_TEXT_APPEND_H_
#define COFRE_BENCH_TEXT_APPEND_H_

#include <charconv>
#include <cstdint>
#include <string>

namespace cofre::bench {

// Appends `value` in decimal.
inline void AppendInt(std::string* out, int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

}  // namespace cofre::bench

#endif  // COFRE_BENCH_TEXT_APPEND_H_
