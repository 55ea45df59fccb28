// UTF-8 decoding and terminal display width, shared by the output formatters.
//
// DecodeUtf8At() reads one character and never fails: a byte that does not start a well-formed
// UTF-8 sequence (stray continuation bytes, overlong forms, surrogates, code points above
// U+10FFFF, truncated sequences) decodes as a one-byte invalid character, so callers can replace
// or pass it through byte by byte.
// DisplayWidth() is the number of terminal columns a string occupies: 0 for combining marks and
// zero-width characters, 2 for East Asian wide and fullwidth characters and emoji, 1 otherwise
// (including each invalid byte, which terminals show as one replacement character). Control
// characters count as 0; callers escape them before measuring.
// Thread-safety: pure functions.
#ifndef COFRE_CLI_UTF8_H_
#define COFRE_CLI_UTF8_H_

#include <cstddef>
#include <string_view>

namespace cofre::cli {

struct Utf8Char {
  char32_t code_point = 0;  // meaningful only when valid
  size_t length = 1;        // bytes consumed, 1..4
  bool valid = false;
};

// Decodes the character starting at `text[pos]`.
// REQUIRES: pos < text.size().
Utf8Char DecodeUtf8At(std::string_view text, size_t pos);

// Terminal columns occupied by one valid code point (0, 1 or 2).
int CodePointWidth(char32_t code_point);

// Terminal columns occupied by `text`.
size_t DisplayWidth(std::string_view text);

}  // namespace cofre::cli

#endif  // COFRE_CLI_UTF8_H_
