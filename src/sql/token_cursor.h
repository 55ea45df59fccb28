// TokenCursor: the parser's position in the tokens of one statement, with the
// primitives of a recursive-descent grammar and CockroachDB-style syntax
// errors.
//
// Errors read `at or near "tok": syntax error`, as CockroachDB's do. A string
// literal is never shown (it may be a passphrase or a URI with credentials): it
// appears as '*****'. Each error carries a hint: the one given, or else the
// statement's synopsis.
// Thread-safety: a cursor over caller-owned tokens; use one per thread.
#ifndef COFRE_SQL_TOKEN_CURSOR_H_
#define COFRE_SQL_TOKEN_CURSOR_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sql/lexer.h"
#include "util/status.h"

namespace cofre::sql {

class TokenCursor {
 public:
  // REQUIRES: `tokens` ends with a kEof token; `source` and `tokens` outlive
  // the cursor.
  TokenCursor(std::string_view source, const std::vector<Token>& tokens)
      : source_(source), tokens_(tokens) {}

  // The synopsis used as the hint of errors that have none of their own.
  void set_synopsis(std::string synopsis) { synopsis_ = std::move(synopsis); }

  // The token `ahead` places after the current one (kEof past the end).
  const Token& Peek(size_t ahead = 0) const;
  // Returns the current token and advances (never past kEof).
  const Token& Next();
  bool AtEnd() const { return Peek().kind == TokenKind::kEof; }
  std::string_view source() const { return source_; }

  // Consume the current token when it is that keyword / punctuation.
  bool AcceptKeyword(std::string_view keyword);
  bool AcceptPunct(char c);
  // Like Accept*, but a syntax error at the current token when it does not
  // match.
  Status ExpectKeyword(std::string_view keyword, std::string hint = "");
  Status ExpectPunct(char c, std::string hint = "");
  // Succeeds at the end of the statement (one trailing ';' is allowed); else a
  // syntax error.
  Status ExpectEnd(std::string hint = "");

  // A syntax error at `tok` / at the current token.
  Status ErrorAt(const Token& tok, std::string hint = "") const;
  Status Error(std::string hint = "") const { return ErrorAt(Peek(), std::move(hint)); }

 private:
  std::string_view source_;
  const std::vector<Token>& tokens_;
  size_t pos_ = 0;
  std::string synopsis_;
};

}  // namespace cofre::sql

#endif  // COFRE_SQL_TOKEN_CURSOR_H_
