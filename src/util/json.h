// Json: the small part of JSON that cloud protocols exchange (AWS KMS's JSON 1.1 protocol:
// request and response bodies are JSON objects whose interesting members are strings, plus one
// object of strings, EncryptionContext; an OAuth2 token response: strings and numbers).
//
// JsonObjectWriter builds one object member by member, escaping per RFC 8259.
// ParseJsonObject checks that the whole input is one well-formed JSON object (RFC 8259: nested
// values, numbers, literals, escapes, surrogate pairs, UTF-8) and returns its top-level members
// whose values are strings (and, when asked, numbers, as their literal text); members of other
// types are validated and skipped. Duplicate
// top-level names, trailing bytes, invalid UTF-8, lone surrogates, nesting deeper than
// kMaxJsonDepth and inputs larger than kMaxJsonSize are InvalidArgument.
//
// Bodies may carry key material (a Decrypt response's Plaintext): decoded strings are built
// without reallocation so that WipeJsonFields (OPENSSL_cleanse) clears the only copy.
// Thread-safety: plain values and pure functions.
#ifndef COFRE_UTIL_JSON_H_
#define COFRE_UTIL_JSON_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre {

inline constexpr size_t kMaxJsonSize = 1 << 20;
inline constexpr int kMaxJsonDepth = 32;

// The top-level string members of a JSON object, by name.
using JsonFields = std::map<std::string, std::string, std::less<>>;

// Builds one JSON object: `{"a":"x","b":{"k":"v"}}`.
// REQUIRES: names and values are valid UTF-8 (IsValidUtf8); each name is added once.
class JsonObjectWriter {
 public:
  JsonObjectWriter() = default;
  // Reserves room for `bytes` of output so that building never reallocates (for bodies that
  // carry secrets and are wiped afterwards).
  void Reserve(size_t bytes) { out_.reserve(bytes); }
  void AddString(std::string_view name, std::string_view value);
  // An object member whose value is an object of strings, in the map's (sorted) order.
  void AddStringMap(std::string_view name, const std::map<std::string, std::string>& values);
  // The finished object; the writer is left empty.
  std::string Finish();

 private:
  void AddName(std::string_view name);
  std::string out_ = "{";
};

// Appends `s` as a quoted JSON string to `out`.
void AppendJsonString(std::string_view s, std::string* out);

// Parses a JSON object (see the file comment). InvalidArgument naming the byte offset of the
// first problem; the message never quotes the input (which may hold secrets).
// With `include_numbers`, top-level numbers are returned too, as written ("3599", "-1.5e3").
StatusOr<JsonFields> ParseJsonObject(std::string_view json, bool include_numbers = false);

// Overwrites every name and value in `fields` with zeros (OPENSSL_cleanse) and clears it.
void WipeJsonFields(JsonFields* fields);

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace cofre

#endif  // COFRE_UTIL_JSON_H_
