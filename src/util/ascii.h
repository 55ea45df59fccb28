// ASCII case folding for protocol text (header names, URI schemes, hosts): bytes outside A-Z are
// left alone, whatever the locale.
// Thread-safety: pure functions.
#ifndef COFRE_UTIL_ASCII_H_
#define COFRE_UTIL_ASCII_H_

#include <string>
#include <string_view>

namespace cofre {

// `s` with A-Z mapped to a-z.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace cofre

#endif  // COFRE_UTIL_ASCII_H_
