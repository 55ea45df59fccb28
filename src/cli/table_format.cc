#include "cli/table_format.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "cli/utf8.h"

namespace cofre::cli {
namespace {

enum class Align { kLeft, kRight, kCenter };

constexpr std::string_view kNull = "NULL";

bool IsControl(unsigned char c) { return (c < 0x20 && c != '\n') || c == 0x7F; }

// Returns `text` with control characters other than '\n' written as escapes.
std::string EscapeControls(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 8);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (!IsControl(c)) {
      out.push_back(ch);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

// One cell split into display lines, with each line's width.
struct CellLines {
  std::vector<std::string> lines;
  std::vector<size_t> widths;
  size_t max_width = 0;
};

CellLines SplitCell(std::string_view raw) {
  CellLines cell;
  const bool needs_escape =
      std::any_of(raw.begin(), raw.end(), [](char c) { return IsControl(c); });
  const std::string escaped = needs_escape ? EscapeControls(raw) : std::string();
  std::string_view rest = needs_escape ? std::string_view(escaped) : raw;
  while (true) {
    const size_t nl = rest.find('\n');
    cell.lines.emplace_back(rest.substr(0, nl));
    cell.widths.push_back(DisplayWidth(cell.lines.back()));
    cell.max_width = std::max(cell.max_width, cell.widths.back());
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return cell;
}

std::string_view CellText(const ResultSet::Row& row, size_t column) {
  if (column >= row.size() || !row[column].has_value()) {
    return column >= row.size() ? std::string_view() : kNull;
  }
  return *row[column];
}

// Lays out lines of cells over columns of fixed widths.
class TableWriter {
 public:
  explicit TableWriter(std::vector<size_t> widths, std::string* out)
      : widths_(std::move(widths)), out_(out) {}

  // Appends the display lines of one row (or of the header).
  void AppendCells(const std::vector<CellLines>& cells, const std::vector<Align>& align) {
    size_t height = 1;
    for (const CellLines& cell : cells) height = std::max(height, cell.lines.size());
    for (size_t line = 0; line < height; ++line) {
      out_->push_back(' ');
      size_t content_end = 0;  // the line is cut here: drops the last cell's padding
      for (size_t i = 0; i < cells.size(); ++i) {
        if (i > 0) {
          out_->push_back('|');
          content_end = out_->size();
        }
        std::string_view text;
        size_t width = 0;
        if (line < cells[i].lines.size()) {
          text = cells[i].lines[line];
          width = cells[i].widths[line];
        }
        const size_t pad = widths_[i] - width;
        size_t left = 0;
        if (align[i] == Align::kRight) left = pad;
        if (align[i] == Align::kCenter) left = pad / 2;
        out_->append(1 + left, ' ');
        out_->append(text);
        if (!text.empty()) content_end = out_->size();
        out_->append(pad - left + 1, ' ');
      }
      out_->resize(content_end);
      out_->push_back('\n');
    }
  }

  void AppendRule() {
    out_->push_back('-');
    for (size_t i = 0; i < widths_.size(); ++i) {
      if (i > 0) out_->push_back('+');
      out_->append(widths_[i] + 2, '-');
    }
    out_->append("-\n");
  }

 private:
  const std::vector<size_t> widths_;
  std::string* const out_;
};

}  // namespace

std::string FormatTable(const ResultSet& result) {
  if (!result.has_rows()) {
    return result.tag.empty() ? std::string() : result.tag + "\n";
  }
  const size_t n = result.columns.size();
  std::vector<CellLines> header;
  std::vector<size_t> widths(n);
  std::vector<Align> header_align(n, Align::kCenter);
  std::vector<Align> value_align(n, Align::kLeft);
  for (size_t i = 0; i < n; ++i) {
    header.push_back(SplitCell(result.columns[i].name));
    widths[i] = header.back().max_width;
    if (result.columns[i].kind == ResultSet::Kind::kNumber) value_align[i] = Align::kRight;
  }
  // First pass: column widths. Cells are split again when rendering, so that memory stays at
  // one row of split cells beyond the output itself.
  for (const ResultSet::Row& row : result.rows) {
    for (size_t i = 0; i < n; ++i) {
      widths[i] = std::max(widths[i], SplitCell(CellText(row, i)).max_width);
    }
  }
  std::string out;
  TableWriter writer(widths, &out);
  writer.AppendCells(header, header_align);
  writer.AppendRule();
  std::vector<CellLines> cells(n);
  for (const ResultSet::Row& row : result.rows) {
    for (size_t i = 0; i < n; ++i) cells[i] = SplitCell(CellText(row, i));
    writer.AppendCells(cells, value_align);
  }
  const size_t count = result.rows.size();
  out += count == 1 ? std::string("(1 row)\n") : "(" + std::to_string(count) + " rows)\n";
  return out;
}

}  // namespace cofre::cli
