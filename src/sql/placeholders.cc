#include "sql/placeholders.h"

#include "engine/sqlite.h"

namespace cofre::sql {

namespace {

// Calls `on_placeholder(begin, end, n)` for every $n outside literals, quoted identifiers and
// comments.
template <typename F>
void ScanPlaceholders(std::string_view s, F on_placeholder) {
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\'' || c == '"' || c == '`') {
      // Quoted: skip to the closing quote (a doubled quote escapes it). e'..' backslashes too.
      bool backslash = c == '\'' && i > 0 && (s[i - 1] == 'e' || s[i - 1] == 'E');
      ++i;
      while (i < s.size()) {
        if (backslash && s[i] == '\\') {
          i += 2;
          continue;
        }
        if (s[i] == c) {
          if (i + 1 < s.size() && s[i + 1] == c) {
            i += 2;
            continue;
          }
          break;
        }
        ++i;
      }
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      i = end == s.npos ? s.size() : end + 2;
    } else if (c == '$' && i + 1 < s.size() && s[i + 1] >= '1' && s[i + 1] <= '9') {
      size_t j = i + 1;
      long n = 0;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9' && n < 100000) n = n * 10 + (s[j++] - '0');
      on_placeholder(i, j, static_cast<int>(n));
      i = j;
    } else {
      ++i;
    }
  }
}

}  // namespace

int CountPlaceholders(std::string_view text) {
  int max = 0;
  ScanPlaceholders(text, [&](size_t, size_t, int n) { max = std::max(max, n); });
  return max;
}

StatusOr<std::string> SubstitutePlaceholders(std::string_view text,
                                             const std::vector<Param>& params) {
  std::string out;
  size_t copied = 0;
  Status missing;
  ScanPlaceholders(text, [&](size_t begin, size_t end, int n) {
    if (n < 1 || static_cast<size_t>(n) > params.size()) {
      if (missing.ok()) {
        missing = InvalidArgumentError("there is no parameter $" + std::to_string(n) + " (" +
                                       std::to_string(params.size()) + " given)");
      }
      return;
    }
    out.append(text.substr(copied, begin - copied));
    const Param& p = params[n - 1];
    out += p.value ? QuoteLiteral(*p.value) : "NULL";
    copied = end;
  });
  RETURN_IF_ERROR(missing);
  out.append(text.substr(copied));
  return out;
}

}  // namespace cofre::sql
