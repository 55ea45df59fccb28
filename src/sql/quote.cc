#include "sql/quote.h"

#include <algorithm>
#include <iterator>

#include "sql/keywords.h"
#include "sql/lexer.h"

namespace cofre::sql {
namespace {

// Non-reserved words with a meaning in cofre's grammar; quoted to keep
// renderings unambiguous.
constexpr std::string_view kGrammarWords[] = {
    "add",      "backup",  "backups", "cascade", "database", "databases", "drop",
    "exists",   "file",    "files",   "if",      "job",      "jobs",      "kms",
    "latest",   "new_kms", "of",      "old_kms", "options",  "public",    "restore",
    "restrict", "schemas", "system",  "tables",  "tenant",   "time",
};

bool IsBareSafe(std::string_view name) {
  if (name.empty()) return false;
  char c0 = name[0];
  if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') || c0 == '_')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  // `e` followed by a quote would start an escape string; a bare name never is
  // followed by one, but keep renderings simple.
  if (name.size() == 1 && (c0 == 'e' || c0 == 'E')) return false;
  if (IsReservedKeyword(name)) return false;
  std::string lower = AsciiLower(name);
  return std::find(std::begin(kGrammarWords), std::end(kGrammarWords), lower) ==
         std::end(kGrammarWords);
}

}  // namespace

std::string QuoteString(std::string_view value) {
  bool needs_escapes = std::any_of(value.begin(), value.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
  std::string out;
  out.reserve(value.size() + 3);
  if (!needs_escapes) {
    out.push_back('\'');
    for (char c : value) {
      if (c == '\'') out.push_back('\'');
      out.push_back(c);
    }
    out.push_back('\'');
    return out;
  }
  static const char kHex[] = "0123456789abcdef";
  out += "e'";
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7F) {
          out += "\\x";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 15]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('\'');
  return out;
}

std::string QuoteName(std::string_view name) {
  if (IsBareSafe(name)) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace cofre::sql
