#include "sql/passthrough.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "sql/lexer.h"

namespace cofre::sql {

namespace {

constexpr size_t kMaxAttached = 9;  // SQLite's limit is 10 besides main and temp

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
    if (second == "temp" || second == "temporary" || second == "virtual") second = "table";
    return upper(w + " " + second);
  }
  return upper(w);
}

// The SQL type of a declared column type, by SQLite's affinity rules refined for the names
// clients expect (BOOL, TIMESTAMP, DATE, JSON, NUMERIC).
ResultSet::Type DeclaredType(const char* decl) {
  if (!decl || !*decl) return ResultSet::Type::kUnknown;
  std::string d = AsciiLower(decl);
  auto has = [&](const char* w) { return d.find(w) != std::string::npos; };
  if (has("bool")) return ResultSet::Type::kBool;
  if (has("timestamptz") || has("with time zone")) return ResultSet::Type::kTimestampTz;
  if (has("timestamp") || has("datetime")) return ResultSet::Type::kTimestamp;
  if (d == "date") return ResultSet::Type::kDate;
  if (has("json")) return ResultSet::Type::kJson;
  if (has("int")) return ResultSet::Type::kInt;
  if (has("char") || has("clob") || has("text") || has("string") || has("uuid")) {
    return ResultSet::Type::kText;
  }
  if (has("blob") || has("bytea") || has("bytes")) return ResultSet::Type::kBytes;
  if (has("real") || has("floa") || has("doub")) return ResultSet::Type::kFloat;
  if (has("numeric") || has("decimal")) return ResultSet::Type::kNumeric;
  return ResultSet::Type::kUnknown;
}

bool IsCanonicalInteger(const std::string& s) {
  size_t i = s[0] == '-' ? 1 : 0;
  if (i >= s.size() || s.size() - i > 18) return false;
  if (s[i] == '0' && s.size() - i > 1) return false;
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
  }
  return !(i == 1 && s == "-0");
}

Status BindParam(sqlite3_stmt* stmt, int index, const Param& p) {
  int rc;
  if (!p.value) {
    rc = sqlite3_bind_null(stmt, index);
  } else {
    const std::string& v = *p.value;
    switch (p.type) {
      case Param::Type::kInt:
      case Param::Type::kBool:
      case Param::Type::kUnknown: {
        std::string t = v;
        if (p.type == Param::Type::kBool) {
          std::string l = AsciiLower(v);
          if (l == "t" || l == "true" || l == "1" || l == "on" || l == "yes") t = "1";
          if (l == "f" || l == "false" || l == "0" || l == "off" || l == "no") t = "0";
        }
        if (!t.empty() && IsCanonicalInteger(t)) {
          rc = sqlite3_bind_int64(stmt, index, std::stoll(t));
        } else if (p.type == Param::Type::kUnknown) {
          rc = sqlite3_bind_text(stmt, index, v.data(), static_cast<int>(v.size()),
                                 SQLITE_TRANSIENT);
        } else {
          return InvalidArgumentError("parameter $" + std::to_string(index) +
                                      " is not a valid integer")
              .WithDetail(ErrorDetail::kDataException);
        }
        break;
      }
      case Param::Type::kFloat: {
        char* end = nullptr;
        double d = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0') {
          return InvalidArgumentError("parameter $" + std::to_string(index) +
                                      " is not a valid number")
              .WithDetail(ErrorDetail::kDataException);
        }
        rc = sqlite3_bind_double(stmt, index, d);
        break;
      }
      case Param::Type::kBytes:
        rc = sqlite3_bind_blob64(stmt, index, v.data(), v.size(), SQLITE_TRANSIENT);
        break;
      case Param::Type::kText:
      default:
        rc = sqlite3_bind_text64(stmt, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
    }
  }
  if (rc != SQLITE_OK) return SqliteStatus(rc, sqlite3_db_handle(stmt), "cannot bind a parameter");
  return Status::OK();
}

// Binds params[n-1] to each $n (or the i-th ? / ?NNN) parameter of `stmt`.
Status BindParams(sqlite3_stmt* stmt, const std::vector<Param>& params) {
  const int count = sqlite3_bind_parameter_count(stmt);
  for (int i = 1; i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(stmt, i);
    size_t n = static_cast<size_t>(i);
    if (name && (name[0] == '$' || name[0] == '?') && name[1] >= '0' && name[1] <= '9') {
      n = std::strtoul(name + 1, nullptr, 10);
    } else if (name) {
      return InvalidArgumentError(std::string("named parameter ") + name +
                                  " is not supported; use $1, $2, ...");
    }
    if (n < 1 || n > params.size()) {
      return InvalidArgumentError("there is no parameter $" + std::to_string(n) + " (" +
                                  std::to_string(params.size()) + " given)");
    }
    RETURN_IF_ERROR(BindParam(stmt, i, params[n - 1]));
  }
  return Status::OK();
}

}  // namespace

void PassthroughExecutor::Reset() {
  ClearCache();
  live_.store(nullptr);
  conn_ = SqliteDb();
  attached_.clear();
}

Status PassthroughExecutor::Open(const std::string& name) {
  ASSIGN_OR_RETURN(DatabaseInfo info, dir_->GetDatabase(name));
  RETURN_IF_ERROR(DataDir::CheckFileExists(info));
  Reset();
  ASSIGN_OR_RETURN(conn_, OpenDatabase(info));
  sqlite3_busy_timeout(conn_.get(), lock_timeout_ms_);
  live_.store(conn_.get());
  current_ = name;
  authorizer_.set_current_database(name);
  authorizer_.Install(conn_.get(), privileges_);
  return Status::OK();
}

Status PassthroughExecutor::Use(const std::string& name) { return Open(name); }

void PassthroughExecutor::SetPrivileges(const Privileges* privileges) {
  ClearCache();
  privileges_ = privileges;
  if (conn_.get()) authorizer_.Install(conn_.get(), privileges_);
}

bool PassthroughExecutor::InTransaction() const {
  return conn_.get() && sqlite3_get_autocommit(conn_.get()) == 0;
}

void PassthroughExecutor::Interrupt() {
  sqlite3* db = live_.load();
  if (db) sqlite3_interrupt(db);
}

StatusOr<std::string> PassthroughExecutor::Prepare(const std::string& sql) {
  if (!conn_.get()) RETURN_IF_ERROR(Open(current_));
  Authorizer::Suspension own_attach(&authorizer_);
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
    ClearCache();
    if (attached_.size() >= kMaxAttached) {
      for (const auto& a : attached_) conn_.Exec("DETACH DATABASE " + QuoteIdent(a)).IgnoreError();
      attached_.clear();
    }
    RETURN_IF_ERROR(
        conn_.Exec("ATTACH DATABASE " + QuoteLiteral(info->path) + " AS " + QuoteIdent(name)));
    attached_.insert(name);
  }
  out += sql.substr(copied);
  return out;
}

StatusOr<std::pair<int, std::vector<ResultSet::Column>>> PassthroughExecutor::Describe(
    const std::string& sql) {
  ASSIGN_OR_RETURN(std::string text, Prepare(sql));
  auto prepared = conn_.Prepare(text);
  Status denied = authorizer_.TakeDenial();
  RETURN_IF_ERROR(denied);
  ASSIGN_OR_RETURN(SqliteStmt stmt, std::move(prepared));
  std::pair<int, std::vector<ResultSet::Column>> out{0, {}};
  if (!stmt.get()) return out;
  const int count = sqlite3_bind_parameter_count(stmt.get());
  for (int i = 1; i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(stmt.get(), i);
    int n = name && name[0] == '$' ? std::atoi(name + 1) : i;
    out.first = std::max(out.first, n);
  }
  for (int i = 0; i < stmt.ColumnCount(); ++i) {
    const char* name = sqlite3_column_name(stmt.get(), i);
    ResultSet::Type type = DeclaredType(sqlite3_column_decltype(stmt.get(), i));
    out.second.push_back({name ? name : "?", ResultSet::Kind::kText, type});
  }
  return out;
}

StatusOr<SqliteStmt*> PassthroughExecutor::Cached(const std::string& sql) {
  if (conn_.get()) {
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if (it->first != sql) continue;
      cache_.splice(cache_.begin(), cache_, it);  // most recently used first
      SqliteStmt* stmt = &cache_.front().second;
      sqlite3_reset(stmt->get());
      sqlite3_clear_bindings(stmt->get());
      return stmt;
    }
  }
  // A miss: attach what the statement names (which may clear the cache), then prepare.
  ASSIGN_OR_RETURN(std::string text, Prepare(sql));
  auto prepared = conn_.Prepare(text);
  RETURN_IF_ERROR(authorizer_.TakeDenial());
  ASSIGN_OR_RETURN(SqliteStmt stmt, std::move(prepared));
  if (!stmt.get()) return static_cast<SqliteStmt*>(nullptr);
  cache_.emplace_front(sql, std::move(stmt));
  if (cache_.size() > kCachedStatements) cache_.pop_back();
  return &cache_.front().second;
}

StatusOr<ResultSet> PassthroughExecutor::Execute(const std::string& sql,
                                                 const std::vector<Param>& params) {
  ASSIGN_OR_RETURN(SqliteStmt * cached, Cached(sql));
  if (!cached) {  // only comments
    ResultSet rs;
    rs.tag = "OK";
    return rs;
  }
  SqliteStmt& stmt = *cached;
  // The statement goes back to the cache reset, whatever happens below: an unreset statement
  // would hold its read transaction open.
  struct ResetGuard {
    sqlite3_stmt* s;
    ~ResetGuard() { sqlite3_reset(s); }
  } reset_guard{stmt.get()};
  RETURN_IF_ERROR(BindParams(stmt.get(), params));
  ResultSet rs;
  const int ncols = stmt.ColumnCount();
  std::vector<bool> numeric(ncols, true);
  std::vector<int> seen_type(ncols, 0);  // the one SQLite type of a column's values, -1: mixed
  while (true) {
    auto stepped = stmt.Step();
    RETURN_IF_ERROR(authorizer_.TakeDenial());
    ASSIGN_OR_RETURN(bool row, std::move(stepped));
    if (!row) break;
    ResultSet::Row r(ncols);
    for (int i = 0; i < ncols; ++i) {
      int type = sqlite3_column_type(stmt.get(), i);
      if (type == SQLITE_NULL) continue;
      seen_type[i] = seen_type[i] == 0 || seen_type[i] == type ? type : -1;
      if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) numeric[i] = false;
      if (type == SQLITE_BLOB) {
        const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt.get(), i));
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
    ResultSet::Type type = DeclaredType(sqlite3_column_decltype(stmt.get(), i));
    if (type == ResultSet::Type::kUnknown) {
      switch (seen_type[i]) {
        case SQLITE_INTEGER:
          type = ResultSet::Type::kInt;
          break;
        case SQLITE_FLOAT:
          type = ResultSet::Type::kFloat;
          break;
        case SQLITE_BLOB:
          type = ResultSet::Type::kBytes;
          break;
        default:
          break;
      }
    }
    rs.columns.push_back(
        {name ? name : "?",
         numeric[i] && !rs.rows.empty() ? ResultSet::Kind::kNumber : ResultSet::Kind::kText, type});
  }
  return rs;
}

}  // namespace cofre::sql
