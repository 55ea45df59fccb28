#include "sql/lexer.h"

#include <cstdint>

#include "util/utf8.h"

namespace cofre::sql {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '$'; }
char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

bool Token::IsKeyword(std::string_view keyword) const {
  return kind == TokenKind::kIdent && EqualsIgnoreCase(text, keyword);
}

std::string DescribePosition(std::string_view source, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < source.size(); ++i) {
    if (source[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

Status Lexer::ErrorAt(size_t offset, std::string_view what) const {
  return InvalidArgumentError("lexical error at " + DescribePosition(src_, offset) + ": " +
                              std::string(what));
}

Status Lexer::SkipSpaceAndComments() {
  while (pos_ < src_.size()) {
    char c = src_[pos_];
    if (IsSpace(c)) {
      ++pos_;
    } else if (c == '-' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '-') {
      while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
    } else if (c == '/' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '*') {
      // CockroachDB block comments nest.
      size_t start = pos_;
      int depth = 0;
      do {
        if (pos_ + 1 >= src_.size()) return ErrorAt(start, "unterminated comment");
        if (src_[pos_] == '/' && src_[pos_ + 1] == '*') {
          ++depth;
          pos_ += 2;
        } else if (src_[pos_] == '*' && src_[pos_ + 1] == '/') {
          --depth;
          pos_ += 2;
        } else {
          ++pos_;
        }
      } while (depth > 0);
    } else {
      break;
    }
  }
  return Status::OK();
}

StatusOr<Token> Lexer::LexQuoted(size_t begin, char quote, TokenKind kind) {
  Token tok;
  tok.kind = kind;
  tok.begin = begin;
  pos_ = begin + 1;
  while (true) {
    if (pos_ >= src_.size()) {
      return ErrorAt(begin, kind == TokenKind::kString ? "unterminated string literal"
                                                       : "unterminated quoted identifier");
    }
    char c = src_[pos_++];
    if (c == quote) {
      if (pos_ < src_.size() && src_[pos_] == quote) {
        tok.text.push_back(quote);
        ++pos_;
        continue;
      }
      break;
    }
    tok.text.push_back(c);
  }
  tok.end = pos_;
  if (kind == TokenKind::kQuotedIdent && tok.text.empty()) {
    return ErrorAt(begin, "zero-length delimited identifier");
  }
  return tok;
}

// e'...': backslash escapes as in CockroachDB and PostgreSQL. `begin` is the
// offset of the 'e'.
StatusOr<Token> Lexer::LexEscapeString(size_t begin) {
  Token tok;
  tok.kind = TokenKind::kString;
  tok.begin = begin;
  pos_ = begin + 2;
  while (true) {
    if (pos_ >= src_.size()) return ErrorAt(begin, "unterminated string literal");
    char c = src_[pos_++];
    if (c == '\'') {
      if (pos_ < src_.size() && src_[pos_] == '\'') {
        tok.text.push_back('\'');
        ++pos_;
        continue;
      }
      break;
    }
    if (c != '\\') {
      tok.text.push_back(c);
      continue;
    }
    if (pos_ >= src_.size()) return ErrorAt(begin, "unterminated string literal");
    size_t escape_at = pos_ - 1;
    char e = src_[pos_++];
    switch (e) {
      case 'a':
        tok.text.push_back('\a');
        break;
      case 'b':
        tok.text.push_back('\b');
        break;
      case 'f':
        tok.text.push_back('\f');
        break;
      case 'n':
        tok.text.push_back('\n');
        break;
      case 'r':
        tok.text.push_back('\r');
        break;
      case 't':
        tok.text.push_back('\t');
        break;
      case 'v':
        tok.text.push_back('\v');
        break;
      case 'x': {
        int value = 0, digits = 0;
        while (digits < 2 && pos_ < src_.size() && IsHexDigit(src_[pos_])) {
          value = value * 16 + HexValue(src_[pos_++]);
          ++digits;
        }
        if (digits == 0) return ErrorAt(escape_at, "invalid \\x escape in string literal");
        tok.text.push_back(static_cast<char>(value));
        break;
      }
      case 'u':
      case 'U': {
        int want = e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (int i = 0; i < want; ++i) {
          if (pos_ >= src_.size() || !IsHexDigit(src_[pos_])) {
            return ErrorAt(escape_at, "invalid Unicode escape in string literal");
          }
          cp = cp * 16 + static_cast<uint32_t>(HexValue(src_[pos_++]));
        }
        if (!AppendUtf8(cp, &tok.text)) {
          return ErrorAt(escape_at, "invalid Unicode code point in string literal");
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int value = e - '0', digits = 1;
          while (digits < 3 && pos_ < src_.size() && src_[pos_] >= '0' && src_[pos_] <= '7') {
            value = value * 8 + (src_[pos_++] - '0');
            ++digits;
          }
          if (value > 0xFF) return ErrorAt(escape_at, "invalid octal escape in string literal");
          tok.text.push_back(static_cast<char>(value));
        } else {
          // \\, \', \" and any other character stand for themselves.
          tok.text.push_back(e);
        }
    }
  }
  tok.end = pos_;
  return tok;
}

Token Lexer::LexNumber(size_t begin) {
  pos_ = begin;
  if (src_[pos_] == '0' && pos_ + 2 < src_.size() &&
      (src_[pos_ + 1] == 'x' || src_[pos_ + 1] == 'X') && IsHexDigit(src_[pos_ + 2])) {
    pos_ += 2;
    while (pos_ < src_.size() && IsHexDigit(src_[pos_])) ++pos_;
  } else {
    while (pos_ < src_.size() && IsDigit(src_[pos_])) ++pos_;
    if (pos_ < src_.size() && src_[pos_] == '.') {
      ++pos_;
      while (pos_ < src_.size() && IsDigit(src_[pos_])) ++pos_;
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && IsDigit(src_[p])) {
        pos_ = p;
        while (pos_ < src_.size() && IsDigit(src_[pos_])) ++pos_;
      }
    }
  }
  Token tok;
  tok.kind = TokenKind::kNumber;
  tok.begin = begin;
  tok.end = pos_;
  tok.text = std::string(src_.substr(begin, pos_ - begin));
  return tok;
}

StatusOr<Token> Lexer::Next() {
  RETURN_IF_ERROR(SkipSpaceAndComments());
  size_t begin = pos_;
  if (pos_ >= src_.size()) {
    Token eof;
    eof.begin = eof.end = src_.size();
    return eof;
  }
  char c = src_[pos_];
  if ((c == 'e' || c == 'E') && pos_ + 1 < src_.size() && src_[pos_ + 1] == '\'') {
    return LexEscapeString(begin);
  }
  if (IsIdentStart(c)) {
    while (pos_ < src_.size() && IsIdentChar(src_[pos_])) ++pos_;
    Token tok;
    tok.kind = TokenKind::kIdent;
    tok.begin = begin;
    tok.end = pos_;
    tok.text = std::string(src_.substr(begin, pos_ - begin));
    return tok;
  }
  if (c == '\'') return LexQuoted(begin, '\'', TokenKind::kString);
  if (c == '"') return LexQuoted(begin, '"', TokenKind::kQuotedIdent);
  if (IsDigit(c) || (c == '.' && pos_ + 1 < src_.size() && IsDigit(src_[pos_ + 1]))) {
    return LexNumber(begin);
  }
  unsigned char u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7F) {
    return ErrorAt(begin, "unexpected control character 0x" +
                              std::string(1, "0123456789abcdef"[u >> 4]) +
                              std::string(1, "0123456789abcdef"[u & 15]));
  }
  ++pos_;
  Token tok;
  tok.kind = TokenKind::kPunct;
  tok.begin = begin;
  tok.end = pos_;
  tok.text = std::string(1, c);
  return tok;
}

StatusOr<std::vector<Token>> Tokenize(std::string_view source) {
  Lexer lexer(source);
  std::vector<Token> tokens;
  while (true) {
    ASSIGN_OR_RETURN(Token tok, lexer.Next());
    bool eof = tok.kind == TokenKind::kEof;
    tokens.push_back(std::move(tok));
    if (eof) return tokens;
  }
}

}  // namespace cofre::sql
