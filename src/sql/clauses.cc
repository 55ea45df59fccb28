#include "sql/clauses.h"

#include <charconv>
#include <utility>

#include "sql/keywords.h"
#include "sql/lexer.h"
#include "sql/show_source.h"

namespace cofre::sql {
namespace {

constexpr std::string_view kSchemaHint =
    "a cofre database has a single schema, public: write db.table, "
    "db.public.table or db.*";

// One dotted part of a table pattern.
struct NamePart {
  std::string text;
  bool quoted;
  const Token* token;
};

bool IsPublic(const NamePart& part) {
  return part.quoted ? part.text == "public" : EqualsIgnoreCase(part.text, "public");
}

bool IsStop(const Token& tok, std::initializer_list<std::string_view> stop_keywords) {
  for (std::string_view kw : stop_keywords) {
    if (tok.IsKeyword(kw)) return true;
  }
  return false;
}

template <typename T, typename ParseOne>
StatusOr<std::vector<T>> ParseCommaList(TokenCursor* cur, ParseOne parse_one) {
  std::vector<T> items;
  do {
    ASSIGN_OR_RETURN(T item, parse_one(cur));
    items.push_back(std::move(item));
  } while (cur->AcceptPunct(','));
  return items;
}

}  // namespace

StatusOr<int64_t> ParseId(TokenCursor* cur, const std::string& statement, const std::string& noun,
                          const std::string& listing) {
  const Token& tok = cur->Peek();
  bool digits = tok.kind == TokenKind::kNumber && !tok.text.empty() &&
                tok.text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) {
    return cur->Error(statement + " takes a " + noun + " ID, as listed by " + listing);
  }
  int64_t id = 0;
  auto [end, ec] = std::from_chars(tok.text.data(), tok.text.data() + tok.text.size(), id);
  if (ec != std::errc() || end != tok.text.data() + tok.text.size()) {
    return cur->Error(noun + " IDs are 64-bit integers, as listed by " + listing);
  }
  cur->Next();
  return id;
}

std::string ParseRestAsQuery(TokenCursor* cur) {
  std::string_view rest = cur->source().substr(cur->Peek().begin);
  while (!rest.empty() &&
         (rest.back() == ';' || std::isspace(static_cast<unsigned char>(rest.back())))) {
    rest.remove_suffix(1);
  }
  while (!cur->AtEnd()) cur->Next();
  return std::string(StripParentheses(rest));
}

StatusOr<Option> ParseOption(TokenCursor* cur) {
  Option opt;
  if (cur->Peek().kind != TokenKind::kIdent) {
    return cur->Error("options look like: WITH name = 'value', flag_name");
  }
  // RECURRING ends the backup options of CREATE SCHEDULE (`WITH detached RECURRING ...`).
  while (cur->Peek().kind == TokenKind::kIdent && !cur->Peek().IsKeyword("recurring")) {
    if (!opt.name.empty()) opt.name.push_back(' ');
    opt.name += AsciiLower(cur->Next().text);
  }
  if (!cur->AcceptPunct('=')) {
    opt.kind = Option::Kind::kFlag;
    return opt;
  }
  const Token& tok = cur->Peek();
  if (tok.kind == TokenKind::kString) {
    opt.kind = Option::Kind::kString;
    opt.values.push_back(cur->Next().text);
  } else if (tok.IsPunct('(')) {
    opt.kind = Option::Kind::kStringList;
    ASSIGN_OR_RETURN(opt.values, ParseStringOrList(cur));
  } else if (tok.kind == TokenKind::kIdent) {
    opt.kind = Option::Kind::kWord;
    opt.values.push_back(AsciiLower(cur->Next().text));
  } else if (tok.kind == TokenKind::kQuotedIdent || tok.kind == TokenKind::kNumber) {
    opt.kind = Option::Kind::kWord;
    opt.values.push_back(cur->Next().text);
  } else if ((tok.IsPunct('-') || tok.IsPunct('+')) && cur->Peek(1).kind == TokenKind::kNumber &&
             cur->Peek(1).begin == tok.end) {
    opt.kind = Option::Kind::kWord;
    std::string sign = cur->Next().text;
    opt.values.push_back(sign + cur->Next().text);
  } else {
    return cur->Error("the value of option " + opt.name +
                      " must be a string, a parenthesised list of strings, a "
                      "number or a word");
  }
  return opt;
}

StatusOr<std::string> ParseName(TokenCursor* cur) {
  const Token& tok = cur->Peek();
  if (tok.kind == TokenKind::kQuotedIdent) return cur->Next().text;
  if (tok.kind == TokenKind::kIdent) {
    if (IsReservedKeyword(tok.text)) {
      return cur->Error("\"" + AsciiLower(tok.text) +
                        "\" is a reserved keyword; to use it as a name, double-quote it");
    }
    return cur->Next().text;
  }
  return cur->Error();
}

StatusOr<std::string> ParseDatabaseName(TokenCursor* cur, bool allow_string) {
  if (allow_string && cur->Peek().kind == TokenKind::kString) {
    if (cur->Peek().text.empty()) return cur->Error("the database name must not be empty");
    return cur->Next().text;
  }
  return ParseName(cur);
}

StatusOr<std::string> ParseString(TokenCursor* cur) {
  if (cur->Peek().kind != TokenKind::kString) return cur->Error();
  return cur->Next().text;
}

StatusOr<std::vector<std::string>> ParseStringOrList(TokenCursor* cur) {
  if (!cur->AcceptPunct('(')) {
    ASSIGN_OR_RETURN(std::string s, ParseString(cur));
    return std::vector<std::string>{std::move(s)};
  }
  ASSIGN_OR_RETURN(std::vector<std::string> list, ParseCommaList<std::string>(cur, ParseString));
  RETURN_IF_ERROR(cur->ExpectPunct(')'));
  return list;
}

StatusOr<TablePattern> ParseTablePattern(TokenCursor* cur) {
  TablePattern pattern;
  if (cur->AcceptPunct('*')) {
    pattern.all_tables = true;
    return pattern;
  }
  std::vector<NamePart> parts;
  while (true) {
    const Token* tok = &cur->Peek();
    ASSIGN_OR_RETURN(std::string name, ParseName(cur));
    parts.push_back({std::move(name), tok->kind == TokenKind::kQuotedIdent, tok});
    if (!cur->AcceptPunct('.')) break;
    if (cur->AcceptPunct('*')) {
      pattern.all_tables = true;
      break;
    }
    if (parts.size() == 3) return cur->Error(std::string(kSchemaHint));
  }
  // parts: [db.][schema.]table, or [db.][schema.] before a '*'.
  size_t n = parts.size();
  if (pattern.all_tables) {
    // a.* : database a, or schema public of the current database.
    // a.b.* : database a, schema b.
    if (n == 2 && !IsPublic(parts[1]))
      return cur->ErrorAt(*parts[1].token, std::string(kSchemaHint));
    if (n == 1 && IsPublic(parts[0])) return pattern;
    pattern.database = parts[0].text;
    return pattern;
  }
  pattern.table = parts[n - 1].text;
  if (n == 3) {
    if (!IsPublic(parts[1])) return cur->ErrorAt(*parts[1].token, std::string(kSchemaHint));
    pattern.database = parts[0].text;
  } else if (n == 2 && !IsPublic(parts[0])) {
    pattern.database = parts[0].text;
  }
  return pattern;
}

StatusOr<Targets> ParseTargets(TokenCursor* cur,
                               std::initializer_list<std::string_view> stop_keywords) {
  Targets targets;
  if (IsStop(cur->Peek(), stop_keywords)) return targets;
  if (cur->AcceptKeyword("database")) {
    targets.kind = Targets::Kind::kDatabases;
    ASSIGN_OR_RETURN(targets.databases, ParseCommaList<std::string>(cur, ParseName));
    return targets;
  }
  cur->AcceptKeyword("table");
  targets.kind = Targets::Kind::kTables;
  ASSIGN_OR_RETURN(targets.tables, ParseCommaList<TablePattern>(cur, ParseTablePattern));
  return targets;
}

StatusOr<BackupRef> ParseBackupRef(TokenCursor* cur, std::string hint) {
  BackupRef ref;
  if (cur->AcceptKeyword("latest")) {
    ref.latest = true;
    return ref;
  }
  if (cur->Peek().kind != TokenKind::kString) return cur->Error(std::move(hint));
  if (cur->Peek().text.empty()) {
    return cur->Error(
        "name a backup by its subdirectory (see SHOW BACKUPS IN 'uri') or by "
        "LATEST");
  }
  std::string subdir = cur->Next().text;
  if (EqualsIgnoreCase(subdir, "latest")) {
    ref.latest = true;
  } else {
    ref.subdir = std::move(subdir);
  }
  return ref;
}

StatusOr<std::optional<AsOf>> ParseOptAsOf(TokenCursor* cur) {
  if (!cur->AcceptKeyword("as")) return std::optional<AsOf>();
  RETURN_IF_ERROR(cur->ExpectKeyword("of"));
  RETURN_IF_ERROR(cur->ExpectKeyword("system"));
  RETURN_IF_ERROR(cur->ExpectKeyword("time"));
  std::vector<const Token*> expr;
  int depth = 0;
  while (true) {
    const Token& tok = cur->Peek();
    if (tok.kind == TokenKind::kEof) break;
    if (depth == 0 && (tok.IsKeyword("with") || tok.IsPunct(';'))) break;
    if (tok.IsPunct('(')) ++depth;
    if (tok.IsPunct(')') && --depth < 0) return cur->Error();
    expr.push_back(&cur->Next());
  }
  if (depth != 0 || expr.empty()) {
    return cur->Error("AS OF SYSTEM TIME takes a timestamp, e.g. AS OF SYSTEM TIME '-10s'");
  }
  AsOf as_of;
  if (expr.size() == 1 && expr[0]->kind == TokenKind::kString) {
    as_of.text = expr[0]->text;
    as_of.is_string = true;
    return std::optional<AsOf>(std::move(as_of));
  }
  for (size_t i = 0; i < expr.size(); ++i) {
    if (i > 0 && expr[i]->begin > expr[i - 1]->end) as_of.text.push_back(' ');
    as_of.text += cur->source().substr(expr[i]->begin, expr[i]->end - expr[i]->begin);
  }
  return std::optional<AsOf>(std::move(as_of));
}

StatusOr<std::vector<Option>> ParseOptWith(TokenCursor* cur) {
  if (!cur->AcceptKeyword("with")) return std::vector<Option>();
  bool parenthesised = cur->Peek().IsKeyword("options") && cur->Peek(1).IsPunct('(');
  if (parenthesised) {
    cur->Next();
    cur->Next();
  }
  ASSIGN_OR_RETURN(std::vector<Option> options, ParseCommaList<Option>(cur, ParseOption));
  if (parenthesised) RETURN_IF_ERROR(cur->ExpectPunct(')'));
  return options;
}

}  // namespace cofre::sql
