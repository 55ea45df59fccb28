#include "server/copy_format.h"

#include "sql/lexer.h"

namespace cofre::server {

namespace {

Status Syntax(const std::string& why) {
  return InvalidArgumentError("COPY: " + why).WithDetail(ErrorDetail::kSyntax);
}

}  // namespace

bool IsCopy(std::string_view text) {
  sql::Lexer lexer(text);
  auto t = lexer.Next();
  return t.ok() && t->IsKeyword("copy");
}

StatusOr<CopyStatement> ParseCopy(std::string_view text) {
  ASSIGN_OR_RETURN(auto tokens, sql::Tokenize(text));
  CopyStatement s;
  size_t i = 1;
  auto at = [&](size_t k) -> const sql::Token& { return tokens[std::min(k, tokens.size() - 1)]; };
  if (at(i).IsPunct('(')) {
    // COPY (query) TO STDOUT: the query is the text between the outer parentheses.
    int depth = 0;
    size_t begin = at(i).end, end = begin;
    for (; i < tokens.size(); ++i) {
      if (at(i).IsPunct('(')) depth++;
      if (at(i).IsPunct(')') && --depth == 0) {
        end = at(i).begin;
        ++i;
        break;
      }
    }
    if (depth != 0) return Syntax("unbalanced parentheses");
    s.query = std::string(text.substr(begin, end - begin));
  } else {
    if (!at(i).IsName()) return Syntax("expected a table name");
    s.table = at(i++).text;
    if (at(i).IsPunct('.')) {
      if (!at(i + 1).IsName()) return Syntax("expected a table name");
      s.table += "." + at(i + 1).text;
      i += 2;
    }
    if (at(i).IsPunct('(')) {
      ++i;
      while (true) {
        if (!at(i).IsName()) return Syntax("expected a column name");
        s.columns.push_back(at(i++).text);
        if (at(i).IsPunct(',')) {
          ++i;
          continue;
        }
        if (!at(i).IsPunct(')')) return Syntax("expected ) after the column list");
        ++i;
        break;
      }
    }
  }
  if (at(i).IsKeyword("from")) {
    s.from_stdin = true;
  } else if (at(i).IsKeyword("to")) {
    s.from_stdin = false;
  } else {
    return Syntax("expected FROM STDIN or TO STDOUT");
  }
  ++i;
  if (s.from_stdin ? !at(i).IsKeyword("stdin") : !at(i).IsKeyword("stdout")) {
    return UnimplementedError(
        "COPY reads and writes only the client connection (FROM STDIN, TO "
        "STDOUT); the server's files are not reachable. Use psql's \\copy");
  }
  ++i;
  if (s.from_stdin && !s.query.empty()) return Syntax("COPY (query) works only TO STDOUT");
  // Options: WITH (FORMAT csv, HEADER, DELIMITER ',', NULL '') or the old CSV HEADER form.
  if (at(i).IsKeyword("with")) ++i;
  bool parens = at(i).IsPunct('(');
  if (parens) ++i;
  while (at(i).kind != sql::TokenKind::kEof && !at(i).IsPunct(';')) {
    if (parens && at(i).IsPunct(')')) {
      ++i;
      break;
    }
    if (at(i).IsPunct(',')) {
      ++i;
      continue;
    }
    const sql::Token& opt = at(i++);
    if (opt.IsKeyword("format")) {
      const sql::Token& v = at(i++);
      if (v.IsKeyword("csv")) {
        s.csv = true;
      } else if (v.IsKeyword("text")) {
        s.csv = false;
      } else {
        return UnimplementedError("COPY format " + v.text + " is not supported (text or csv)");
      }
    } else if (opt.IsKeyword("csv")) {
      s.csv = true;
    } else if (opt.IsKeyword("binary")) {
      return UnimplementedError("COPY binary format is not supported (text or csv)");
    } else if (opt.IsKeyword("header")) {
      s.header = true;
      if (at(i).IsKeyword("true") || at(i).IsKeyword("on") || at(i).text == "1") {
        ++i;
      } else if (at(i).IsKeyword("false") || at(i).IsKeyword("off") || at(i).text == "0") {
        s.header = false;
        ++i;
      }
    } else if (opt.IsKeyword("delimiter")) {
      if (at(i).IsKeyword("as")) ++i;
      const sql::Token& v = at(i++);
      if (v.kind != sql::TokenKind::kString || v.text.size() != 1) {
        return Syntax("DELIMITER must be a single one-byte character");
      }
      s.delimiter = v.text[0];
    } else if (opt.IsKeyword("null")) {
      if (at(i).IsKeyword("as")) ++i;
      const sql::Token& v = at(i++);
      if (v.kind != sql::TokenKind::kString) return Syntax("NULL takes a string");
      s.null_string = v.text;
    } else {
      return Syntax("unknown option " + opt.text);
    }
  }
  bool delimiter_given = false;
  for (const auto& t : tokens) delimiter_given |= t.IsKeyword("delimiter");
  if (s.csv && !delimiter_given) s.delimiter = ',';
  bool null_given = false;
  for (const auto& t : tokens) null_given |= t.IsKeyword("null");
  if (s.csv && !null_given) s.null_string = "";
  return s;
}

size_t CopyRowParser::RowEnd(size_t from) {
  for (size_t k = from; k < buf_.size(); ++k) {
    char c = buf_[k];
    if (s_.csv) {
      if (c == '"') in_quotes_ = !in_quotes_;
      if (c == '\n' && !in_quotes_) return k + 1;
    } else {
      if (c == '\\') {
        ++k;  // the escaped character, even a newline
        continue;
      }
      if (c == '\n') return k + 1;
    }
  }
  return std::string::npos;
}

Status CopyRowParser::Feed(std::string_view data, const std::function<Status(CopyRow&&)>& on_row) {
  buf_.append(data);
  size_t start = 0;
  while (true) {
    size_t end = RowEnd(std::max(start, scanned_));
    if (end == std::string::npos) {
      scanned_ = buf_.size();
      break;
    }
    std::string_view line(buf_.data() + start, end - start - 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    RETURN_IF_ERROR(ParseLine(line, on_row));
    start = end;
    scanned_ = end;
  }
  buf_.erase(0, start);
  scanned_ -= start;
  if (buf_.size() > max_row_bytes_) {
    return ResourceExhaustedError("COPY row longer than " + std::to_string(max_row_bytes_) +
                                  " bytes");
  }
  return Status::OK();
}

Status CopyRowParser::Finish(const std::function<Status(CopyRow&&)>& on_row) {
  if (buf_.empty()) return Status::OK();
  if (s_.csv && in_quotes_) return InvalidArgumentError("COPY: unterminated CSV quoted field");
  std::string rest = std::move(buf_);
  buf_.clear();
  return ParseLine(rest, on_row);
}

Status CopyRowParser::ParseLine(std::string_view line,
                                const std::function<Status(CopyRow&&)>& on_row) {
  if (!s_.csv && line == "\\.") return Status::OK();  // end-of-data marker
  if (s_.header && !header_skipped_) {
    header_skipped_ = true;
    return Status::OK();
  }
  CopyRow row;
  std::string field;
  bool quoted = false;
  if (s_.csv) {
    bool in_q = false;
    for (size_t k = 0; k <= line.size(); ++k) {
      if (k == line.size() || (!in_q && line[k] == s_.delimiter)) {
        if (!quoted && field == s_.null_string) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(field);
        }
        field.clear();
        quoted = false;
        continue;
      }
      char c = line[k];
      if (c == '"') {
        if (in_q && k + 1 < line.size() && line[k + 1] == '"') {
          field.push_back('"');
          ++k;
        } else {
          in_q = !in_q;
          quoted = true;
        }
        continue;
      }
      field.push_back(c);
    }
  } else {
    std::string raw;
    auto flush = [&] {
      if (raw == s_.null_string) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(field);
      }
      field.clear();
      raw.clear();
    };
    for (size_t k = 0; k < line.size(); ++k) {
      char c = line[k];
      if (c == s_.delimiter) {
        flush();
        continue;
      }
      raw.push_back(c);
      if (c == '\\' && k + 1 < line.size()) {
        char e = line[++k];
        raw.push_back(e);
        switch (e) {
          case 'b':
            field.push_back('\b');
            break;
          case 'f':
            field.push_back('\f');
            break;
          case 'n':
            field.push_back('\n');
            break;
          case 'r':
            field.push_back('\r');
            break;
          case 't':
            field.push_back('\t');
            break;
          case 'v':
            field.push_back('\v');
            break;
          default:
            field.push_back(e);
            break;
        }
        continue;
      }
      field.push_back(c);
    }
    flush();
  }
  return on_row(std::move(row));
}

std::string FormatCopyRow(const CopyStatement& s, const CopyRow& row) {
  std::string out;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i) out.push_back(s.delimiter);
    if (!row[i]) {
      out += s.null_string;
      continue;
    }
    const std::string& v = *row[i];
    if (s.csv) {
      bool quote = v.empty() && s.null_string.empty();
      for (char c : v) quote |= c == s.delimiter || c == '"' || c == '\n' || c == '\r';
      if (!quote) {
        out += v;
        continue;
      }
      out.push_back('"');
      for (char c : v) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
      }
      out.push_back('"');
    } else {
      for (char c : v) {
        switch (c) {
          case '\\':
            out += "\\\\";
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
            if (c == s.delimiter) out.push_back('\\');
            out.push_back(c);
        }
      }
    }
  }
  out.push_back('\n');
  return out;
}

}  // namespace cofre::server
