#include "sql/passthrough.h"

#include <algorithm>
#include <set>

#include "sql/lexer.h"

namespace cofre::sql {

namespace {

constexpr size_t kMaxAttached =
    9;  // SQLite's limit is 10 besides main and temp

std::string CommandTag(const std::string& sql, sqlite3* db) {
  auto tokens = Tokenize(sql);
  std::vector<std::string> words;
  if (tokens.ok()) {
    size_t start = 0;
    // WITH ... INSERT/UPDATE/DELETE: the tag is the statement after the common table expressions.
    if (!tokens->empty() && (*tokens)[0].IsKeyword("with")) {
      for (size_t i = 1; i < tokens->size(); ++i) {
        const auto& t = (*tokens)[i];
        if (t.IsKeyword("insert") || t.IsKeyword("update") || t.IsKeyword("delete") ||
            t.IsKeyword("replace")) {
          start = i;
          break;
        }
      }
    }
    for (size_t i = start; i < tokens->size(); ++i) {
      const auto& t = (*tokens)[i];
      if (t.kind != TokenKind::kIdent || words.size() == 2) break;
      words.push_back(AsciiLower(t.text));
    }
  }
  auto upper = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), ::toupper);
    return s;
  };
  if (words.empty()) return "OK";
  const std::string& w = words[0];
  std::string changes = std::to_string(sqlite3_changes64(db));
  if (w == "insert" || w == "replace") return "INSERT 0 " + changes;
  if (w == "update") return "UPDATE " + changes;
  if (w == "delete") return "DELETE " + changes;
  if ((w == "create" || w == "drop" || w == "alter") && words.size() == 2) {
    std::string second = words[1];
    if (second == "unique") second = "index";
    if (second == "temp" || second == "temporary" || second == "virtual")
      second = "table";
    return upper(w + " " + second);
  }
  return upper(w);
}

}  // namespace

void PassthroughExecutor::Reset() {
  conn_ = SqliteDb();
  attached_.clear();
}

Status PassthroughExecutor::Use(const std::string& name) {
  ASSIGN_OR_RETURN(DatabaseInfo info, dir_->GetDatabase(name));
  RETURN_IF_ERROR(DataDir::CheckFileExists(info));
  Reset();
  ASSIGN_OR_RETURN(conn_, OpenDatabase(info));
  current_ = name;
  return Status::OK();
}

StatusOr<std::string> PassthroughExecutor::Prepare(const std::string& sql) {
  if (!conn_.get()) RETURN_IF_ERROR(Use(current_));
  auto tokens = Tokenize(sql);
  if (!tokens.ok()) return sql;  // SQLite will report its own syntax error
  std::string out;
  size_t copied = 0;
  const auto& t = *tokens;
  std::set<std::string> not_databases;  // names already looked up in this statement
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    if (!t[i].IsName() || !t[i + 1].IsPunct('.')) continue;
    if (i > 0 && t[i - 1].IsPunct('.')) continue;  // the middle of a.b.c
    const std::string& name = t[i].text;
    if (name == current_) {
      out += sql.substr(copied, t[i].begin - copied) + "main";
      copied = t[i].end;
      continue;
    }
    if (attached_.count(name) || name == "main" || name == "temp") continue;
    // Aliases (t.col) repeat within a statement: ask the catalog once per name.
    if (!not_databases.insert(name).second) continue;
    auto info = dir_->GetDatabase(name);
    if (!info.ok()) continue;  // a table alias or an unknown name: SQLite decides
    RETURN_IF_ERROR(DataDir::CheckFileExists(*info));
    if (attached_.size() >= kMaxAttached) {
      for (const auto& a : attached_)
        conn_.Exec("DETACH DATABASE " + QuoteIdent(a)).IgnoreError();
      attached_.clear();
    }
    RETURN_IF_ERROR(conn_.Exec("ATTACH DATABASE " + QuoteLiteral(info->path) +
                               " AS " + QuoteIdent(name)));
    attached_.insert(name);
  }
  out += sql.substr(copied);
  return out;
}

StatusOr<ResultSet> PassthroughExecutor::Execute(const std::string& sql) {
  ASSIGN_OR_RETURN(std::string text, Prepare(sql));
  ASSIGN_OR_RETURN(SqliteStmt stmt, conn_.Prepare(text));
  if (!stmt.get()) {  // only comments
    ResultSet rs;
    rs.tag = "OK";
    return rs;
  }
  ResultSet rs;
  const int ncols = stmt.ColumnCount();
  std::vector<bool> numeric(ncols, true);
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ResultSet::Row r(ncols);
    for (int i = 0; i < ncols; ++i) {
      int type = sqlite3_column_type(stmt.get(), i);
      if (type == SQLITE_NULL) continue;
      if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) numeric[i] = false;
      if (type == SQLITE_BLOB) {
        const auto* p = static_cast<const unsigned char*>(
            sqlite3_column_blob(stmt.get(), i));
        int n = sqlite3_column_bytes(stmt.get(), i);
        static const char kHex[] = "0123456789abcdef";
        std::string hex = "\\x";
        for (int k = 0; k < n; ++k) {
          hex.push_back(kHex[p[k] >> 4]);
          hex.push_back(kHex[p[k] & 15]);
        }
        r[i] = std::move(hex);
      } else {
        r[i] = stmt.ColumnText(i);
      }
    }
    rs.rows.push_back(std::move(r));
  }
  if (ncols == 0) {
    rs.tag = CommandTag(sql, conn_.get());
    return rs;
  }
  for (int i = 0; i < ncols; ++i) {
    const char* name = sqlite3_column_name(stmt.get(), i);
    rs.columns.push_back({name ? name : "?", numeric[i] && !rs.rows.empty()
                                                 ? ResultSet::Kind::kNumber
                                                 : ResultSet::Kind::kText});
  }
  return rs;
}

}  // namespace cofre::sql
