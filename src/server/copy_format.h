// COPY: the statement (COPY t [(cols)] FROM STDIN | TO STDOUT, COPY (query) TO STDOUT, with
// PostgreSQL's options) and the text and CSV row formats.
//
// Text format: fields separated by the delimiter (tab), \N is NULL, backslash escapes \b \f \n
// \r \t \v \\ and \<delimiter>. CSV: fields separated by the delimiter (','), quoted with '"'
// (a doubled quote escapes it), an unquoted empty field is NULL (or the NULL string given).
// RowParser takes the data in any chunks (CopyData messages split rows anywhere) and yields
// whole rows; memory holds at most one unfinished row, bounded by max_row_bytes.
// Thread-safety: plain values; one parser per COPY.
#ifndef COFRE_SERVER_COPY_FORMAT_H_
#define COFRE_SERVER_COPY_FORMAT_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace cofre::server {

struct CopyStatement {
  bool from_stdin = true;  // COPY ... FROM STDIN; false: TO STDOUT
  std::string table;       // as written (may be db.table); empty for COPY (query)
  std::vector<std::string> columns;
  std::string query;  // COPY (query) TO STDOUT
  bool csv = false;
  bool header = false;
  char delimiter = '\t';
  std::string null_string = "\\N";
};

// True when `text` starts with the keyword COPY.
bool IsCopy(std::string_view text);
// Parses a COPY statement. InvalidArgument (syntax) or Unimplemented (FROM/TO a file, binary).
StatusOr<CopyStatement> ParseCopy(std::string_view text);

using CopyRow = std::vector<std::optional<std::string>>;

class CopyRowParser {
 public:
  explicit CopyRowParser(const CopyStatement& s, size_t max_row_bytes = 64 << 20)
      : s_(s), max_row_bytes_(max_row_bytes) {}
  // Feeds data; calls on_row for every complete row (stopping at its first error).
  Status Feed(std::string_view data, const std::function<Status(CopyRow&&)>& on_row);
  // The end of the data: a last row without a newline is a row too.
  Status Finish(const std::function<Status(CopyRow&&)>& on_row);

 private:
  Status ParseLine(std::string_view line, const std::function<Status(CopyRow&&)>& on_row);
  // Where the current row ends in buf_ (after its newline), or npos.
  size_t RowEnd(size_t from);
  CopyStatement s_;
  size_t max_row_bytes_;
  std::string buf_;
  size_t scanned_ = 0;
  bool in_quotes_ = false;
  bool header_skipped_ = false;
};

// One row rendered in the statement's format, newline-terminated.
std::string FormatCopyRow(const CopyStatement& s, const CopyRow& row);

}  // namespace cofre::server

#endif  // COFRE_SERVER_COPY_FORMAT_H_
