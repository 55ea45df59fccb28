#include "cli/delimited_format.h"

#include <optional>
#include <string_view>

namespace cofre::cli {
namespace {

void AppendCsvField(const std::optional<std::string>& value, std::string* out) {
  if (!value.has_value()) return;
  const std::string& text = *value;
  if (!text.empty() && text.find_first_of(",\"\r\n") == std::string::npos) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendTsvField(const std::optional<std::string>& value, std::string* out) {
  if (!value.has_value()) {
    out->append("NULL");
    return;
  }
  for (char c : *value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

using FieldWriter = void (*)(const std::optional<std::string>&, std::string*);

std::string FormatDelimited(const ResultSet& result, char separator, FieldWriter write_field) {
  if (!result.has_rows()) {
    return result.tag.empty() ? std::string() : result.tag + "\n";
  }
  std::string out;
  const size_t n = result.columns.size();
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out.push_back(separator);
    write_field(result.columns[i].name, &out);
  }
  out.push_back('\n');
  for (const ResultSet::Row& row : result.rows) {
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) out.push_back(separator);
      write_field(i < row.size() ? row[i] : std::nullopt, &out);
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace

std::string FormatCsv(const ResultSet& result) {
  return FormatDelimited(result, ',', AppendCsvField);
}

std::string FormatTsv(const ResultSet& result) {
  return FormatDelimited(result, '\t', AppendTsvField);
}

}  // namespace cofre::cli
