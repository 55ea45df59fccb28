#include "sql/access_parser.h"

#include <algorithm>

#include "sql/clauses.h"
#include "sql/lexer.h"

namespace cofre::sql {

namespace {

constexpr std::string_view kRoleSynopsis =
    "CREATE USER|ROLE [IF NOT EXISTS] name [WITH] [PASSWORD 'secret' | PASSWORD NULL | LOGIN | "
    "NOLOGIN]; ALTER USER|ROLE name [WITH] option ...; DROP USER|ROLE [IF EXISTS] name [, ...]";
constexpr std::string_view kGrantSynopsis =
    "GRANT privilege [, ...] ON [TABLE] db.table | db.* | DATABASE db TO user; GRANT SYSTEM "
    "BACKUP|RESTORE TO user; GRANT role TO user; REVOKE ... FROM user";
constexpr std::string_view kShowGrantsSynopsis =
    "SHOW GRANTS [ON [TABLE] db.table | DATABASE db | SYSTEM] [FOR user [, ...]]";

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::toupper);
  return s;
}

bool AcceptIfExists(TokenCursor* cur) {
  if (cur->Peek().IsKeyword("if") && cur->Peek(1).IsKeyword("exists")) {
    cur->Next();
    cur->Next();
    return true;
  }
  return false;
}

StatusOr<std::vector<std::string>> ParseNameList(TokenCursor* cur) {
  std::vector<std::string> names;
  do {
    ASSIGN_OR_RETURN(std::string n, ParseName(cur));
    names.push_back(std::move(n));
  } while (cur->AcceptPunct(','));
  return names;
}

Status ParseRoleOptions(TokenCursor* cur, RoleOptions* options, bool require_one) {
  cur->AcceptKeyword("with");
  bool any = false;
  while (!cur->AtEnd() && !cur->Peek().IsPunct(';')) {
    if (cur->AcceptKeyword("password")) {
      if (cur->AcceptKeyword("null")) {
        options->password = std::optional<std::string>();
      } else {
        if (cur->Peek().kind != TokenKind::kString) {
          return cur->Error("PASSWORD takes a string literal, a $n placeholder or NULL");
        }
        options->password = std::optional<std::string>(cur->Next().text);
      }
    } else if (cur->AcceptKeyword("login")) {
      options->login = true;
    } else if (cur->AcceptKeyword("nologin")) {
      options->login = false;
    } else {
      return cur->Error();
    }
    any = true;
  }
  if (require_one && !any) return cur->Error();
  return Status::OK();
}

StatusOr<Statement> ParseCreateRole(TokenCursor* cur) {
  RETURN_IF_ERROR(cur->ExpectKeyword("create"));
  CreateRole create;
  create.is_user = cur->AcceptKeyword("user");
  if (!create.is_user) RETURN_IF_ERROR(cur->ExpectKeyword("role"));
  if (cur->Peek().IsKeyword("if") && cur->Peek(1).IsKeyword("not")) {
    cur->Next();
    cur->Next();
    RETURN_IF_ERROR(cur->ExpectKeyword("exists"));
    create.if_not_exists = true;
  }
  ASSIGN_OR_RETURN(create.name, ParseName(cur));
  RETURN_IF_ERROR(ParseRoleOptions(cur, &create.options, false));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return create;
}

StatusOr<Statement> ParseAlterRole(TokenCursor* cur) {
  RETURN_IF_ERROR(cur->ExpectKeyword("alter"));
  if (!cur->AcceptKeyword("user")) RETURN_IF_ERROR(cur->ExpectKeyword("role"));
  AlterRole alter;
  alter.if_exists = AcceptIfExists(cur);
  ASSIGN_OR_RETURN(alter.name, ParseName(cur));
  RETURN_IF_ERROR(ParseRoleOptions(cur, &alter.options, true));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return alter;
}

StatusOr<Statement> ParseDropRole(TokenCursor* cur) {
  RETURN_IF_ERROR(cur->ExpectKeyword("drop"));
  if (!cur->AcceptKeyword("user")) RETURN_IF_ERROR(cur->ExpectKeyword("role"));
  DropRole drop;
  drop.if_exists = AcceptIfExists(cur);
  ASSIGN_OR_RETURN(drop.names, ParseNameList(cur));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return drop;
}

// A table name in a grant: "db.table", "db.*", "table" or "*" (current database: "" prefix).
StatusOr<std::string> ParseGrantTable(TokenCursor* cur) {
  ASSIGN_OR_RETURN(TablePattern p, ParseTablePattern(cur));
  return p.database + "." + (p.all_tables ? std::string("*") : p.table);
}

StatusOr<GrantObject> ParseGrantObject(TokenCursor* cur) {
  GrantObject on;
  if (cur->AcceptKeyword("system")) {
    on.kind = GrantObject::Kind::kSystem;
    return on;
  }
  if (cur->AcceptKeyword("database")) {
    on.kind = GrantObject::Kind::kDatabase;
    ASSIGN_OR_RETURN(on.names, ParseNameList(cur));
    return on;
  }
  if (cur->Peek().IsKeyword("external") && cur->Peek(1).IsKeyword("connection")) {
    cur->Next();
    cur->Next();
    on.kind = GrantObject::Kind::kExternalConnection;
    ASSIGN_OR_RETURN(on.names, ParseNameList(cur));
    return on;
  }
  cur->AcceptKeyword("table");
  on.kind = GrantObject::Kind::kTable;
  do {
    ASSIGN_OR_RETURN(std::string t, ParseGrantTable(cur));
    on.names.push_back(std::move(t));
  } while (cur->AcceptPunct(','));
  return on;
}

// GRANT/REVOKE in all three forms.
StatusOr<Statement> ParseGrant(TokenCursor* cur) {
  cur->set_synopsis(std::string(kGrantSynopsis));
  bool revoke = cur->AcceptKeyword("revoke");
  if (!revoke) RETURN_IF_ERROR(cur->ExpectKeyword("grant"));
  const std::string_view to = revoke ? "from" : "to";
  bool system = cur->AcceptKeyword("system");
  // A list of words: privileges, or role names.
  std::vector<std::string> words;
  do {
    if (cur->Peek().kind != TokenKind::kIdent && cur->Peek().kind != TokenKind::kQuotedIdent) {
      return cur->Error();
    }
    words.push_back(cur->Next().text);
    if (cur->Peek().IsKeyword("privileges") && !words.empty() &&
        EqualsIgnoreCase(words.back(), "all")) {
      cur->Next();
    }
  } while (cur->AcceptPunct(','));
  if (system || cur->Peek().IsKeyword("on")) {
    GrantPrivileges g;
    g.revoke = revoke;
    for (auto& w : words) g.privileges.push_back(Upper(w));
    if (system) {
      g.on.kind = GrantObject::Kind::kSystem;
    } else {
      RETURN_IF_ERROR(cur->ExpectKeyword("on"));
      ASSIGN_OR_RETURN(g.on, ParseGrantObject(cur));
    }
    RETURN_IF_ERROR(cur->ExpectKeyword(to));
    ASSIGN_OR_RETURN(g.grantees, ParseNameList(cur));
    RETURN_IF_ERROR(cur->ExpectEnd());
    return g;
  }
  GrantRoles g;
  g.revoke = revoke;
  g.roles = std::move(words);
  RETURN_IF_ERROR(cur->ExpectKeyword(to));
  ASSIGN_OR_RETURN(g.members, ParseNameList(cur));
  if (!revoke && cur->AcceptKeyword("with")) {
    RETURN_IF_ERROR(cur->ExpectKeyword("admin"));
    RETURN_IF_ERROR(cur->ExpectKeyword("option"));
  }
  RETURN_IF_ERROR(cur->ExpectEnd());
  return g;
}

StatusOr<Statement> ParseShowAccess(TokenCursor* cur) {
  RETURN_IF_ERROR(cur->ExpectKeyword("show"));
  if (cur->AcceptKeyword("users")) {
    RETURN_IF_ERROR(cur->ExpectEnd());
    return ShowRoles{true};
  }
  if (cur->AcceptKeyword("roles")) {
    RETURN_IF_ERROR(cur->ExpectEnd());
    return ShowRoles{false};
  }
  cur->set_synopsis(std::string(kShowGrantsSynopsis));
  RETURN_IF_ERROR(cur->ExpectKeyword("grants"));
  ShowGrants show;
  if (cur->AcceptKeyword("on")) {
    ASSIGN_OR_RETURN(GrantObject on, ParseGrantObject(cur));
    show.on = std::move(on);
  }
  if (cur->AcceptKeyword("for")) {
    ASSIGN_OR_RETURN(show.grantees, ParseNameList(cur));
  }
  RETURN_IF_ERROR(cur->ExpectEnd());
  return show;
}

}  // namespace

bool IsAccessStatement(const Token& first, const Token& second) {
  if (first.IsKeyword("grant") || first.IsKeyword("revoke")) return true;
  if (first.IsKeyword("create") || first.IsKeyword("alter") || first.IsKeyword("drop")) {
    return second.IsKeyword("user") || second.IsKeyword("role");
  }
  if (first.IsKeyword("show")) {
    return second.IsKeyword("users") || second.IsKeyword("roles") || second.IsKeyword("grants");
  }
  return false;
}

StatusOr<Statement> ParseAccessStatement(TokenCursor* cur) {
  cur->set_synopsis(std::string(kRoleSynopsis));
  const Token& first = cur->Peek();
  if (first.IsKeyword("create")) return ParseCreateRole(cur);
  if (first.IsKeyword("alter")) return ParseAlterRole(cur);
  if (first.IsKeyword("drop")) return ParseDropRole(cur);
  if (first.IsKeyword("show")) return ParseShowAccess(cur);
  return ParseGrant(cur);
}

}  // namespace cofre::sql
