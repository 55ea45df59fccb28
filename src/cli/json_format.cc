#include "cli/json_format.h"

#include <cctype>

#include "cli/utf8.h"

namespace cofre::cli {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

// Returns 1 for a true spelling, 0 for a false one, -1 otherwise.
int ParseBool(std::string_view text) {
  for (std::string_view t : {"true", "t", "1", "yes", "on"}) {
    if (EqualsIgnoreCase(text, t)) return 1;
  }
  for (std::string_view f : {"false", "f", "0", "no", "off"}) {
    if (EqualsIgnoreCase(text, f)) return 0;
  }
  return -1;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void AppendValue(const std::optional<std::string>& value, ResultSet::Kind kind, std::string* out) {
  if (!value.has_value()) {
    out->append("null");
    return;
  }
  if (kind == ResultSet::Kind::kNumber && IsJsonNumber(*value)) {
    out->append(*value);
    return;
  }
  if (kind == ResultSet::Kind::kBool) {
    const int b = ParseBool(*value);
    if (b >= 0) {
      out->append(b ? "true" : "false");
      return;
    }
  }
  AppendJsonString(*value, out);
}

}  // namespace

bool IsJsonNumber(std::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  if (i < n && text[i] == '-') ++i;
  if (i >= n) return false;
  if (text[i] == '0') {
    ++i;
  } else if (IsDigit(text[i])) {
    while (i < n && IsDigit(text[i])) ++i;
  } else {
    return false;
  }
  if (i < n && text[i] == '.') {
    ++i;
    if (i >= n || !IsDigit(text[i])) return false;
    while (i < n && IsDigit(text[i])) ++i;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (i >= n || !IsDigit(text[i])) return false;
    while (i < n && IsDigit(text[i])) ++i;
  }
  return i == n;
}

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t pos = 0; pos < text.size();) {
    const Utf8Char ch = DecodeUtf8At(text, pos);
    if (!ch.valid) {
      out->append("\\ufffd");
    } else if (ch.code_point == '"') {
      out->append("\\\"");
    } else if (ch.code_point == '\\') {
      out->append("\\\\");
    } else if (ch.code_point == '\n') {
      out->append("\\n");
    } else if (ch.code_point == '\r') {
      out->append("\\r");
    } else if (ch.code_point == '\t') {
      out->append("\\t");
    } else if (ch.code_point == '\b') {
      out->append("\\b");
    } else if (ch.code_point == '\f') {
      out->append("\\f");
    } else if (ch.code_point < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[ch.code_point >> 4]);
      out->push_back(kHex[ch.code_point & 0xF]);
    } else {
      out->append(text.substr(pos, ch.length));
    }
    pos += ch.length;
  }
  out->push_back('"');
}

std::string FormatJson(const ResultSet& result) {
  if (!result.has_rows()) return std::string();
  std::string out = "[";
  const size_t n = result.columns.size();
  for (size_t r = 0; r < result.rows.size(); ++r) {
    const ResultSet::Row& row = result.rows[r];
    if (r > 0) out.push_back(',');
    out.push_back('{');
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonString(result.columns[i].name, &out);
      out.push_back(':');
      AppendValue(i < row.size() ? row[i] : std::nullopt, result.columns[i].kind, &out);
    }
    out.push_back('}');
  }
  out.append("]\n");
  return out;
}

}  // namespace cofre::cli
