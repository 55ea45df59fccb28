// Lexer: splits the text of one SQL statement into tokens, CockroachDB style.
//
// Tokens are identifiers (bare, or "double quoted" with "" as an escaped
// quote), string literals ('...' with '' as an escaped quote, and e'...' with
// backslash escapes), numbers and single-character punctuation. Whitespace and
// comments (-- to end of line, /* */ nesting as in CockroachDB) are skipped.
// Keywords are bare identifiers compared case-insensitively; a quoted
// identifier is never a keyword.
//
// Errors (unterminated literal, bad escape, control character) are
// InvalidArgument naming the line and column; they never quote the literal,
// which may hold a secret.
// Thread-safety: a Lexer is a cursor over caller-owned text; use one per thread.
#ifndef COFRE_SQL_LEXER_H_
#define COFRE_SQL_LEXER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"
#include "util/wipe.h"

namespace cofre::sql {

enum class TokenKind {
  kEof,          // end of input; returned again on every further call
  kIdent,        // bare identifier, text as written
  kQuotedIdent,  // "double quoted" identifier, text unquoted
  kString,       // string literal, text decoded
  kNumber,       // numeric literal, text as written
  kPunct,        // one punctuation character
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string text;  // see TokenKind; wiped on destruction (a literal may be a passphrase)
  size_t begin = 0;  // byte offsets of the token in the source: [begin, end)
  size_t end = 0;

  Token() = default;
  Token(TokenKind k, std::string t, size_t b, size_t e)
      : kind(k), text(std::move(t)), begin(b), end(e) {}
  Token(const Token&) = default;
  Token(Token&&) = default;
  Token& operator=(const Token&) = default;
  Token& operator=(Token&&) = default;
  ~Token() { WipeString(&text); }

  // True for a bare identifier equal to `keyword` ignoring ASCII case.
  // REQUIRES: keyword is lower-case.
  bool IsKeyword(std::string_view keyword) const;
  bool IsPunct(char c) const {
    return kind == TokenKind::kPunct && text.size() == 1 && text[0] == c;
  }
  bool IsName() const { return kind == TokenKind::kIdent || kind == TokenKind::kQuotedIdent; }
};

class Lexer {
 public:
  // `source` must outlive the Lexer.
  explicit Lexer(std::string_view source) : src_(source) {}

  // Returns the next token, or kEof at the end of input (repeatedly).
  // InvalidArgument on a lexical error; the Lexer must not be used after an
  // error.
  StatusOr<Token> Next();

 private:
  Status SkipSpaceAndComments();
  StatusOr<Token> LexQuoted(size_t begin, char quote, TokenKind kind);
  StatusOr<Token> LexEscapeString(size_t begin);
  Token LexNumber(size_t begin);
  Status ErrorAt(size_t offset, std::string_view what) const;

  std::string_view src_;
  size_t pos_ = 0;
};

// Lexes all of `source`; the last token is kEof. InvalidArgument on the first
// lexical error.
StatusOr<std::vector<Token>> Tokenize(std::string_view source);

// "line L, column C" (1-based) of byte `offset` in `source`.
std::string DescribePosition(std::string_view source, size_t offset);

// ASCII helpers shared by the sql layer.
std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace cofre::sql

#endif  // COFRE_SQL_LEXER_H_
