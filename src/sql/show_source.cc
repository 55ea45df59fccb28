#include "sql/show_source.h"

#include <cstdlib>

namespace cofre::sql {
namespace {

// The index of the token closing the bracket or parenthesis opened at `open`; tokens.size()
// when it is not closed.
size_t Matching(const std::vector<Token>& tokens, size_t open) {
  const char o = tokens[open].text[0];
  const char c = o == '(' ? ')' : ']';
  int depth = 0;
  for (size_t i = open; i < tokens.size(); ++i) {
    if (tokens[i].kind != TokenKind::kPunct) continue;
    if (tokens[i].text[0] == o) ++depth;
    if (tokens[i].text[0] == c && --depth == 0) return i;
  }
  return tokens.size();
}

// SQLite's quoting: '...' with '' (control characters may stand in a literal as they are).
std::string SqliteQuote(std::string_view v, char q) {
  std::string out(1, q);
  for (char c : v) {
    out += c;
    if (c == q) out += c;
  }
  out += q;
  return out;
}

bool IsNumber(const std::string& v) {
  if (v.empty()) return false;
  char* end = nullptr;
  std::strtod(v.c_str(), &end);
  return end == v.c_str() + v.size() && v.find_first_of("xXnNiI") == std::string::npos;
}

std::string Literal(const std::optional<std::string>& v, ResultSet::Kind kind) {
  if (!v) return "NULL";
  if (kind == ResultSet::Kind::kNumber && IsNumber(*v)) return *v;
  if (kind == ResultSet::Kind::kBool && (*v == "true" || *v == "false")) {
    return *v == "true" ? "1" : "0";
  }
  return SqliteQuote(*v, '\'');
}

}  // namespace

std::optional<ShowQuery> FindShowSources(std::string_view text, const std::vector<Token>& tokens) {
  if (tokens.empty() || !(tokens[0].IsKeyword("with") || tokens[0].IsKeyword("select"))) {
    return std::nullopt;
  }
  ShowQuery query;
  query.text = std::string(text);
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (!tokens[i].IsPunct('(') && !tokens[i].IsPunct('[')) continue;
    if (!tokens[i + 1].IsKeyword("show")) continue;
    size_t close = Matching(tokens, i);
    if (close == tokens.size()) return std::nullopt;  // SQLite reports the unbalanced text
    if (close == i + 2) continue;                     // [show]: SQLite's quoted name
    ShowQuery::Source source;
    source.begin = tokens[i].begin;
    source.end = tokens[close].end;
    source.show =
        std::string(text.substr(tokens[i + 1].begin, tokens[close].begin - tokens[i + 1].begin));
    query.sources.push_back(std::move(source));
    i = close;
  }
  if (query.sources.empty()) return std::nullopt;
  return query;
}

StatusOr<std::string> SubstituteShowResults(const ShowQuery& query,
                                            const std::vector<ResultSet>& results) {
  std::string out;
  size_t pos = 0;
  for (size_t i = 0; i < query.sources.size(); ++i) {
    const ShowQuery::Source& s = query.sources[i];
    const ResultSet& rs = results[i];
    if (rs.columns.empty()) {
      return InvalidArgumentError("a statement used as a table must return rows; " +
                                  (rs.tag.empty() ? std::string("this one") : rs.tag) +
                                  " returns none");
    }
    out.append(query.text, pos, s.begin - pos);
    std::string select = "(SELECT ";
    for (size_t c = 0; c < rs.columns.size(); ++c) {
      select += (c ? ", " : "") +
                (rs.rows.empty() ? std::string("NULL") : "column" + std::to_string(c + 1)) +
                " AS " + SqliteQuote(rs.columns[c].name, '"');
    }
    if (rs.rows.empty()) {
      select += " WHERE 0)";
    } else {
      select += " FROM (VALUES ";
      for (size_t r = 0; r < rs.rows.size(); ++r) {
        select += r ? ", (" : "(";
        for (size_t c = 0; c < rs.columns.size(); ++c) {
          const auto& v = c < rs.rows[r].size() ? rs.rows[r][c] : std::nullopt;
          select += (c ? ", " : "") + Literal(v, rs.columns[c].kind);
        }
        select += ")";
      }
      select += "))";
    }
    out += select;
    pos = s.end;
  }
  out.append(query.text, pos, std::string::npos);
  return out;
}

std::string_view StripParentheses(std::string_view query) {
  auto tokens = Tokenize(query);
  if (!tokens.ok() || tokens->empty() || !(*tokens)[0].IsPunct('(')) return query;
  size_t close = Matching(*tokens, 0);
  size_t last = tokens->size() - 1;
  if (last > 0 && (*tokens)[last].kind == TokenKind::kEof) --last;
  if (last > close && (*tokens)[last].IsPunct(';')) --last;
  if (close != last) return query;
  return query.substr((*tokens)[0].end, (*tokens)[close].begin - (*tokens)[0].end);
}

}  // namespace cofre::sql
