#include "sql/token_cursor.h"

namespace cofre::sql {
namespace {

constexpr size_t kMaxShownToken = 64;

// How a token is shown in an error message.
std::string ShowToken(std::string_view source, const Token& tok) {
  switch (tok.kind) {
    case TokenKind::kEof:
      return "EOF";
    case TokenKind::kString:
      return "'*****'";
    default: {
      std::string_view text = source.substr(tok.begin, tok.end - tok.begin);
      if (text.size() > kMaxShownToken) return std::string(text.substr(0, kMaxShownToken)) + "...";
      return std::string(text);
    }
  }
}

}  // namespace

const Token& TokenCursor::Peek(size_t ahead) const {
  size_t i = pos_ + ahead;
  return i < tokens_.size() ? tokens_[i] : tokens_.back();
}

const Token& TokenCursor::Next() {
  const Token& tok = Peek();
  if (pos_ + 1 < tokens_.size()) ++pos_;
  return tok;
}

bool TokenCursor::AcceptKeyword(std::string_view keyword) {
  if (!Peek().IsKeyword(keyword)) return false;
  Next();
  return true;
}

bool TokenCursor::AcceptPunct(char c) {
  if (!Peek().IsPunct(c)) return false;
  Next();
  return true;
}

Status TokenCursor::ExpectKeyword(std::string_view keyword, std::string hint) {
  if (AcceptKeyword(keyword)) return Status::OK();
  return Error(std::move(hint));
}

Status TokenCursor::ExpectPunct(char c, std::string hint) {
  if (AcceptPunct(c)) return Status::OK();
  return Error(std::move(hint));
}

Status TokenCursor::ExpectEnd(std::string hint) {
  if (Peek().IsPunct(';') && Peek(1).kind == TokenKind::kEof) Next();
  if (AtEnd()) return Status::OK();
  return Error(std::move(hint));
}

Status TokenCursor::ErrorAt(const Token& tok, std::string hint) const {
  Status s = InvalidArgumentError("at or near \"" + ShowToken(source_, tok) + "\": syntax error");
  if (hint.empty()) hint = synopsis_;
  return hint.empty() ? s : s.WithHint(std::move(hint));
}

}  // namespace cofre::sql
