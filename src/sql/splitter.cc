#include "sql/splitter.h"

#include <cstddef>

#include "sql/lexer.h"

namespace cofre::sql {
namespace {

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

// What one lexical unit of the script is, as far as splitting cares.
enum class UnitKind {
  kBlank,        // whitespace or a terminated comment
  kOpenComment,  // a /* comment running to the end of the script
  kSemicolon,
  kWord,   // keyword or bare identifier
  kOther,  // literal, quoted identifier, number or punctuation
};

struct Unit {
  UnitKind kind;
  size_t begin;
  size_t end;
};

// Reads the unit at `pos` (REQUIRES: pos < script.size()). Unterminated quotes
// run to the end.
Unit ReadUnit(std::string_view s, size_t pos) {
  const size_t n = s.size();
  const size_t begin = pos;
  char c = s[pos];
  if (IsBlank(c)) {
    while (pos < n && IsBlank(s[pos])) ++pos;
    return {UnitKind::kBlank, begin, pos};
  }
  if (c == '-' && pos + 1 < n && s[pos + 1] == '-') {
    while (pos < n && s[pos] != '\n') ++pos;
    return {UnitKind::kBlank, begin, pos};
  }
  if (c == '/' && pos + 1 < n && s[pos + 1] == '*') {
    size_t close = s.find("*/", pos + 2);
    if (close == std::string_view::npos) return {UnitKind::kOpenComment, begin, n};
    return {UnitKind::kBlank, begin, close + 2};
  }
  if (c == ';') return {UnitKind::kSemicolon, begin, pos + 1};
  if ((c == 'e' || c == 'E') && pos + 1 < n && s[pos + 1] == '\'') {
    // CockroachDB escape string: a backslash escapes the next character.
    pos += 2;
    while (pos < n) {
      if (s[pos] == '\\') {
        pos += 2;
      } else if (s[pos] == '\'') {
        if (pos + 1 < n && s[pos + 1] == '\'') {
          pos += 2;
        } else {
          return {UnitKind::kOther, begin, pos + 1};
        }
      } else {
        ++pos;
      }
    }
    return {UnitKind::kOther, begin, n};
  }
  if (c == '\'' || c == '"' || c == '`' || c == '[') {
    char close = c == '[' ? ']' : c;
    ++pos;
    while (pos < n) {
      if (s[pos] == close) {
        // Doubling escapes the quote, except inside [..].
        if (close != ']' && pos + 1 < n && s[pos + 1] == close) {
          pos += 2;
          continue;
        }
        return {UnitKind::kOther, begin, pos + 1};
      }
      ++pos;
    }
    return {UnitKind::kOther, begin, n};
  }
  if (IsWordChar(c)) {
    while (pos < n && IsWordChar(s[pos])) ++pos;
    return {UnitKind::kWord, begin, pos};
  }
  return {UnitKind::kOther, begin, pos + 1};
}

// Whether the words a statement starts with make it a CREATE TRIGGER (whose
// body holds ';').
enum class Head { kUndecided, kTrigger, kOrdinary };

// Classifies the leading words: [EXPLAIN [QUERY PLAN]] CREATE [TEMP|TEMPORARY]
// TRIGGER.
Head ClassifyHead(const std::vector<std::string>& words) {
  size_t i = 0;
  const size_t n = words.size();
  auto at = [&](size_t k, std::string_view w) { return k < n && words[k] == w; };
  if (at(i, "explain")) {
    ++i;
    if (at(i, "query")) {
      ++i;
      if (i == n) return Head::kUndecided;
      if (!at(i, "plan")) return Head::kOrdinary;
      ++i;
    }
  }
  if (i == n) return Head::kUndecided;
  if (!at(i, "create")) return Head::kOrdinary;
  ++i;
  if (at(i, "temp") || at(i, "temporary")) ++i;
  if (i == n) return Head::kUndecided;
  return at(i, "trigger") ? Head::kTrigger : Head::kOrdinary;
}

// The outcome of scanning a script.
struct ScanResult {
  struct Range {
    size_t begin;
    size_t end;
  };
  std::vector<Range> statements;   // terminated statements with at least one token
  bool rest_has_tokens = false;    // the text after the last terminator holds a token
  bool rest_open_comment = false;  // ... or ends inside a /* comment
  size_t rest_begin = 0;           // first non-blank character after the last terminator
  size_t rest_first_token = 0;     // when rest_has_tokens: its first and last token
  size_t rest_last_token_end = 0;
  bool saw_terminator = false;  // at least one ';' ended a statement
};

ScanResult Scan(std::string_view script) {
  ScanResult result;
  // Per-statement state.
  bool has_tokens = false;
  size_t first_token = 0, last_token_end = 0;
  std::vector<std::string> head_words;
  Head head = Head::kUndecided;
  bool after_semi = false;      // trigger body: the previous unit was ';'
  bool end_after_semi = false;  // trigger body: the previous units were ';' END
  size_t rest_begin = std::string_view::npos;

  auto reset = [&] {
    has_tokens = false;
    head_words.clear();
    head = Head::kUndecided;
    after_semi = end_after_semi = false;
    rest_begin = std::string_view::npos;
  };

  size_t pos = 0;
  while (pos < script.size()) {
    Unit u = ReadUnit(script, pos);
    pos = u.end;
    if (u.kind == UnitKind::kBlank) continue;
    if (rest_begin == std::string_view::npos) rest_begin = u.begin;
    if (u.kind == UnitKind::kOpenComment) {
      result.rest_open_comment = true;
      continue;
    }
    if (u.kind == UnitKind::kSemicolon) {
      bool ends = head != Head::kTrigger || end_after_semi;
      if (!ends) {
        after_semi = true;
        end_after_semi = false;
        last_token_end = u.end;
        continue;
      }
      result.saw_terminator = true;
      if (has_tokens) result.statements.push_back({first_token, last_token_end});
      reset();
      continue;
    }
    // A word or another token.
    if (!has_tokens) first_token = u.begin;
    has_tokens = true;
    last_token_end = u.end;
    if (head == Head::kUndecided) {
      if (u.kind == UnitKind::kWord) {
        head_words.push_back(AsciiLower(script.substr(u.begin, u.end - u.begin)));
        head = ClassifyHead(head_words);
      } else {
        head = Head::kOrdinary;
      }
    }
    bool is_end = u.kind == UnitKind::kWord &&
                  EqualsIgnoreCase(script.substr(u.begin, u.end - u.begin), "end");
    end_after_semi = after_semi && is_end;
    after_semi = false;
  }
  result.rest_has_tokens = has_tokens;
  result.rest_begin = rest_begin == std::string_view::npos ? script.size() : rest_begin;
  result.rest_first_token = first_token;
  result.rest_last_token_end = last_token_end;
  return result;
}

}  // namespace

std::vector<std::string> SplitStatements(std::string_view script, std::string* incomplete_rest) {
  ScanResult scan = Scan(script);
  std::vector<std::string> out;
  out.reserve(scan.statements.size() + 1);
  for (const auto& r : scan.statements) out.emplace_back(script.substr(r.begin, r.end - r.begin));
  bool unfinished = scan.rest_has_tokens || scan.rest_open_comment;
  if (incomplete_rest != nullptr) {
    *incomplete_rest = unfinished ? std::string(script.substr(scan.rest_begin)) : std::string();
  } else if (scan.rest_has_tokens) {
    out.emplace_back(
        script.substr(scan.rest_first_token, scan.rest_last_token_end - scan.rest_first_token));
  }
  return out;
}

bool IsVariableName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string InterpolateVariables(
    std::string_view text, const std::function<const std::string*(std::string_view)>& lookup) {
  auto quoted = [](const std::string& value, char quote) {
    std::string out(1, quote);
    for (char c : value) {
      out.push_back(c);
      if (c == quote) out.push_back(quote);
    }
    out.push_back(quote);
    return out;
  };
  std::string out;
  out.reserve(text.size());
  const size_t n = text.size();
  size_t pos = 0;
  while (pos < n) {
    Unit u = ReadUnit(text, pos);
    if (text[u.begin] != ':' || u.kind != UnitKind::kOther) {
      out.append(text.substr(u.begin, u.end - u.begin));
      pos = u.end;
      continue;
    }
    size_t p = u.end;
    if (p < n && text[p] == ':') {  // a cast: both colons stay
      out.append("::");
      pos = p + 1;
      continue;
    }
    if (p < n && (text[p] == '\'' || text[p] == '"')) {
      // :'name' or :"name": the name is the (terminated, escape-free) quoted text.
      const char quote = text[p];
      Unit q = ReadUnit(text, p);
      std::string_view name = text.substr(p + 1, q.end - p - 2);
      const std::string* value = nullptr;
      if (q.end - p >= 2 && text[q.end - 1] == quote && IsVariableName(name)) value = lookup(name);
      if (value) {
        out.append(quoted(*value, quote));
        pos = q.end;
        continue;
      }
    } else {
      size_t end = p;
      while (end < n && IsVariableName(text.substr(end, 1))) ++end;
      const std::string* value = end > p ? lookup(text.substr(p, end - p)) : nullptr;
      if (value) {
        out.append(*value);
        pos = end;
        continue;
      }
    }
    out.push_back(':');
    pos = u.end;
  }
  return out;
}

bool IsCompleteStatement(std::string_view text) {
  ScanResult scan = Scan(text);
  return scan.saw_terminator && !scan.rest_has_tokens && !scan.rest_open_comment;
}

}  // namespace cofre::sql
