#include "sql/external_connection_parser.h"

#include <string>

#include "sql/clauses.h"

namespace cofre::sql {
namespace {

constexpr std::string_view kSynopsis =
    "CREATE EXTERNAL CONNECTION [IF NOT EXISTS] name AS 'uri' | SHOW EXTERNAL CONNECTIONS | SHOW "
    "EXTERNAL CONNECTION name | SHOW CREATE ALL EXTERNAL CONNECTIONS | SHOW CREATE EXTERNAL "
    "CONNECTION name | DROP EXTERNAL CONNECTION [IF EXISTS] name";

// A connection name: an identifier, or a string literal as CockroachDB also accepts.
StatusOr<std::string> ParseConnectionName(TokenCursor* cur) {
  if (cur->Peek().kind == TokenKind::kString) {
    if (cur->Peek().text.empty()) return cur->Error("an external connection needs a name");
    return ParseString(cur);
  }
  ASSIGN_OR_RETURN(std::string name, ParseName(cur));
  return name;
}

}  // namespace

bool IsExternalConnectionStatement(const Token& first, const Token& second, const Token& third) {
  if (first.IsKeyword("create") || first.IsKeyword("drop")) return second.IsKeyword("external");
  if (!first.IsKeyword("show")) return false;
  if (second.IsKeyword("external")) return true;
  return second.IsKeyword("create") && (third.IsKeyword("external") || third.IsKeyword("all"));
}

StatusOr<Statement> ParseExternalConnectionStatement(TokenCursor* cur) {
  cur->set_synopsis(std::string(kSynopsis));
  if (cur->AcceptKeyword("create")) {
    CreateExternalConnection create;
    RETURN_IF_ERROR(cur->ExpectKeyword("external"));
    RETURN_IF_ERROR(cur->ExpectKeyword("connection"));
    if (cur->Peek().IsKeyword("if") && cur->Peek(1).IsKeyword("not")) {
      cur->Next();
      cur->Next();
      RETURN_IF_ERROR(cur->ExpectKeyword("exists"));
      create.if_not_exists = true;
    }
    ASSIGN_OR_RETURN(create.name, ParseConnectionName(cur));
    RETURN_IF_ERROR(cur->ExpectKeyword("as"));
    ASSIGN_OR_RETURN(create.uri, ParseString(cur));
    RETURN_IF_ERROR(cur->ExpectEnd());
    return create;
  }
  if (cur->AcceptKeyword("drop")) {
    DropExternalConnection drop;
    RETURN_IF_ERROR(cur->ExpectKeyword("external"));
    RETURN_IF_ERROR(cur->ExpectKeyword("connection"));
    if (cur->Peek().IsKeyword("if") && cur->Peek(1).IsKeyword("exists")) {
      cur->Next();
      cur->Next();
      drop.if_exists = true;
    }
    ASSIGN_OR_RETURN(drop.name, ParseConnectionName(cur));
    RETURN_IF_ERROR(cur->ExpectEnd());
    return drop;
  }
  RETURN_IF_ERROR(cur->ExpectKeyword("show"));
  ShowExternalConnections show;
  if (cur->AcceptKeyword("create")) {
    show.show_create = true;
    if (cur->AcceptKeyword("all")) {
      RETURN_IF_ERROR(cur->ExpectKeyword("external"));
      RETURN_IF_ERROR(cur->ExpectKeyword("connections"));
      RETURN_IF_ERROR(cur->ExpectEnd());
      return show;
    }
  }
  RETURN_IF_ERROR(cur->ExpectKeyword("external"));
  if (!show.show_create && cur->AcceptKeyword("connections")) {
    RETURN_IF_ERROR(cur->ExpectEnd());
    return show;
  }
  RETURN_IF_ERROR(cur->ExpectKeyword("connection"));
  ASSIGN_OR_RETURN(show.name, ParseConnectionName(cur));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return show;
}

}  // namespace cofre::sql
