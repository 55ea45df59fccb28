// PgConnection's statements: the simple and extended query protocols, transactions and session
// variables (see pg_connection.h for the state machine and its invariants).
#include <chrono>

#include "server/copy_format.h"
#include "server/pg_connection.h"
#include "server/pg_rewrite.h"
#include "server/pg_types.h"
#include "server/sqlstate.h"
#include "sql/lexer.h"
#include "sql/splitter.h"

namespace cofre::server {

namespace {

// The first one or two keywords of a statement, lower-cased.
std::pair<std::string, std::string> LeadingWords(const std::string& text) {
  sql::Lexer lexer(text);
  std::pair<std::string, std::string> w;
  auto a = lexer.Next();
  if (!a.ok() || a->kind != sql::TokenKind::kIdent) return w;
  w.first = sql::AsciiLower(a->text);
  auto b = lexer.Next();
  if (b.ok() && b->kind == sql::TokenKind::kIdent) w.second = sql::AsciiLower(b->text);
  return w;
}

int16_t FormatFor(const std::vector<int16_t>& formats, size_t i) {
  if (formats.empty()) return 0;
  if (formats.size() == 1) return formats[0];
  return i < formats.size() ? formats[i] : 0;
}

ResultSet Tag(std::string tag) {
  ResultSet rs;
  rs.tag = std::move(tag);
  return rs;
}

}  // namespace

std::optional<StatusOr<ResultSet>> PgConnection::SessionVariable(const std::string& text) {
  auto [first, second] = LeadingWords(text);
  if (first != "set" && first != "reset" && first != "show") return std::nullopt;
  auto tokens = sql::Tokenize(text);
  if (!tokens.ok()) return std::nullopt;
  const auto& t = *tokens;
  if (first == "set" && second != "database") {
    // SET [SESSION|LOCAL] name {=|TO} value[, ...] | SET TIME ZONE value
    size_t i = 1;
    if (t[i].IsKeyword("session") || t[i].IsKeyword("local")) ++i;
    std::string name;
    if (t[i].IsKeyword("time") && t[i + 1].IsKeyword("zone")) {
      name = "timezone";
      i += 2;
    } else {
      if (!t[i].IsName()) return std::nullopt;
      name = sql::AsciiLower(t[i].text);
      ++i;
      if (name == "transaction" || name == "session") return std::nullopt;  // SQLite decides
      if (!t[i].IsPunct('=') && !t[i].IsKeyword("to")) return std::nullopt;
      ++i;
    }
    std::string value;
    for (; i < t.size() && t[i].kind != sql::TokenKind::kEof; ++i) {
      if (t[i].IsPunct(';')) break;
      if (!value.empty() && !t[i].IsPunct(',')) value += t[i - 1].IsPunct(',') ? "" : " ";
      value += t[i].text;
    }
    if (name == "statement_timeout") {
      // Milliseconds, or a number with a unit: 500ms, 5s, 1min.
      std::string v = value;
      int64_t ms = std::atoll(v.c_str());
      if (v.ends_with("min")) {
        ms *= 60000;
      } else if (v.ends_with("ms")) {
      } else if (v.ends_with("s")) {
        ms *= 1000;
      }
      if (ms < 0)
        return StatusOr<ResultSet>(InvalidArgumentError("statement_timeout must be >= 0"));
      statement_timeout_ms_ = ms;
    }
    variables_[name] = value;
    return StatusOr<ResultSet>(Tag("SET"));
  }
  if (first == "reset") {
    if (t.size() > 1 && t[1].IsName()) variables_.erase(sql::AsciiLower(t[1].text));
    return StatusOr<ResultSet>(Tag("RESET"));
  }
  if (first == "show" && t.size() >= 2 && t[1].IsName() &&
      (t.size() == 2 || t[2].kind == sql::TokenKind::kEof || t[2].IsPunct(';'))) {
    std::string name = sql::AsciiLower(t[1].text);
    static const std::map<std::string, std::string> kDefaults = {
        {"server_version", "15.0.0"},
        {"client_encoding", "UTF8"},
        {"datestyle", "ISO, MDY"},
        {"timezone", "UTC"},
        {"transaction_isolation", "serializable"},
        {"standard_conforming_strings", "on"},
        {"statement_timeout", "0"},
        {"application_name", ""},
        {"server_encoding", "UTF8"}};
    std::string value;
    if (variables_.count(name)) {
      value = variables_[name];
    } else if (kDefaults.count(name)) {
      value = kDefaults.at(name);
    } else if (name == "database") {
      value = session_->current_database();
    } else {
      return std::nullopt;  // SHOW TABLES, SHOW JOBS, ...: cofre's own
    }
    ResultSet rs;
    rs.columns = {{name}};
    rs.rows.push_back({value});
    return StatusOr<ResultSet>(std::move(rs));
  }
  return std::nullopt;
}

StatusOr<ResultSet> PgConnection::RunStatement(const std::string& text,
                                               const std::vector<sql::Param>& params) {
  auto [first, second] = LeadingWords(text);
  const bool is_rollback = first == "rollback" || first == "abort";
  const bool is_commit = first == "commit" || first == "end";
  if (failed_txn_) {
    // Invariant 3: only the end of the failed transaction is accepted.
    if (!is_rollback && !is_commit) {
      rejected_in_failed_txn_ = true;
      return Status(StatusCode::kFailedPrecondition,
                    "current transaction is aborted, commands ignored until end of transaction "
                    "block");
    }
    if (session_->InTransaction()) RETURN_IF_ERROR(session_->Execute("ROLLBACK").status());
    failed_txn_ = false;
    return Tag("ROLLBACK");
  }
  if (auto v = SessionVariable(text)) return std::move(*v);
  std::string statement = RewritePgCasts(text);
  // PostgreSQL's transaction statements in SQLite's words.
  if (first == "begin" || first == "start") {
    statement = "BEGIN";
  } else if (is_commit) {
    statement = "COMMIT";
  } else if (is_rollback && second != "to") {
    statement = "ROLLBACK";
  }
  if ((is_commit || is_rollback) && !session_->InTransaction()) {
    return Tag(is_commit ? "COMMIT" : "ROLLBACK");  // PostgreSQL warns and succeeds
  }
  if ((first == "begin" || first == "start") && session_->InTransaction()) {
    return Tag("BEGIN");  // already in one: PostgreSQL warns and goes on
  }
  ctx_->metrics.statements_total++;
  statement_started_ms_ = SteadyNowMs();
  auto rs = session_->Execute(statement, params);
  statement_started_ms_ = -1;
  if (!rs.ok()) {
    ctx_->metrics.statement_errors++;
    if (session_->InTransaction()) failed_txn_ = true;
    return rs.status();
  }
  if (first == "begin" || first == "start") rs->tag = "BEGIN";
  return rs;
}

PgConnection::Prepared* PgConnection::FindPrepared(const std::string& name) {
  auto it = prepared_.find(name);
  if (it != prepared_.end()) return &it->second;
  FailExtended(NotFoundError("prepared statement \"" + name + "\" does not exist"),
               sqlstate::kInvalidPreparedStatement);
  return nullptr;
}

PgConnection::Portal* PgConnection::FindPortal(const std::string& name) {
  auto it = portals_.find(name);
  if (it != portals_.end()) return &it->second;
  FailExtended(NotFoundError("portal \"" + name + "\" does not exist"), sqlstate::kInvalidCursor);
  return nullptr;
}

bool PgConnection::RunPortal(Portal* portal) {
  if (portal->result) return true;
  auto rs = RunStatement(portal->query, portal->params);
  if (!rs.ok()) {
    SendStatementError(rs.status());
    skip_to_sync_ = true;  // invariant 4
    return false;
  }
  portal->result = std::move(*rs);
  return true;
}

void PgConnection::FailExtended(const Status& st, std::string_view sqlstate) {
  SendError(st, sqlstate);
  skip_to_sync_ = true;  // invariant 4
}

void PgConnection::SendStatementError(const Status& st) {
  SendError(st, rejected_in_failed_txn_ ? sqlstate::kInFailedTransaction : std::string_view());
  rejected_in_failed_txn_ = false;
}

void PgConnection::SendRowDescription(const std::vector<ResultSet::Column>& cols,
                                      const std::vector<int16_t>& formats) {
  out_.Begin('T');
  out_.Int16(static_cast<int16_t>(cols.size()));
  for (size_t i = 0; i < cols.size(); ++i) {
    int32_t oid = TypeOid(cols[i].type);
    out_.CString(cols[i].name);
    out_.Int32(0);
    out_.Int16(0);
    out_.Int32(oid);
    out_.Int16(TypeSize(oid));
    out_.Int32(-1);
    out_.Int16(FormatFor(formats, i));
  }
  out_.End();
}

Status PgConnection::SendRows(const ResultSet& rs, const std::vector<int16_t>& formats, size_t from,
                              size_t count) {
  for (size_t r = from; r < from + count && r < rs.rows.size(); ++r) {
    const auto& row = rs.rows[r];
    out_.Begin('D');
    out_.Int16(static_cast<int16_t>(row.size()));
    for (size_t c = 0; c < row.size(); ++c) {
      if (!row[c]) {
        out_.Int32(-1);
        continue;
      }
      ResultSet::Type type = c < rs.columns.size() ? rs.columns[c].type : ResultSet::Type::kText;
      ASSIGN_OR_RETURN(std::string v, EncodeValue(type, *row[c], FormatFor(formats, c)));
      out_.Int32(static_cast<int32_t>(v.size()));
      out_.Bytes(v);
    }
    out_.End();
    // Large results go out as they are encoded, not all at once.
    if (out_.buffer().size() > (1 << 20)) RETURN_IF_ERROR(Flush());
  }
  return Status::OK();
}

void PgConnection::SendCommandComplete(const ResultSet& rs, size_t rows) {
  out_.Begin('C');
  out_.CString(rs.has_rows() ? "SELECT " + std::to_string(rows) : rs.tag);
  out_.End();
}

void PgConnection::HandleQuery(const std::string& text) {
  std::vector<std::string> statements = sql::SplitStatements(text, nullptr);
  if (statements.empty()) {
    out_.Begin('I');
    out_.End();
  }
  for (const std::string& s : statements) {
    auto rs = IsCopy(s) && !failed_txn_ ? RunCopy(s) : RunStatement(s, {});
    if (!rs.ok()) {
      SendStatementError(rs.status());
      break;
    }
    SendNotices(*rs);
    if (rs->has_rows()) SendRowDescription(rs->columns, {});
    if (!SendRows(*rs, {}, 0, rs->rows.size()).ok()) break;
    SendCommandComplete(*rs, rs->rows.size());
  }
  SendReady();
}

void PgConnection::HandleParse(std::string_view body) {
  auto m = DecodeParse(body);
  if (!m.ok()) {
    return FailExtended(m.status(), sqlstate::kProtocolViolation);
  }
  std::vector<std::string> statements = sql::SplitStatements(m->query, nullptr);
  if (statements.size() > 1) {
    return FailExtended(
        InvalidArgumentError("cannot insert multiple commands into a prepared statement"), "42601");
  }
  Prepared p;
  p.query = statements.empty() ? "" : statements[0];
  p.param_types = m->param_types;
  if (!p.query.empty() && !failed_txn_ && !SessionVariable(p.query)) {
    auto d = session_->Describe(p.query);
    if (!d.ok()) {
      return FailExtended(d.status());
    }
    p.description = std::move(*d);
  }
  if (!m->name.empty() && prepared_.count(m->name)) {
    return FailExtended(AlreadyExistsError("prepared statement \"" + m->name + "\" already exists"),
                        "42P05");
  }
  prepared_[m->name] = std::move(p);
  out_.Begin('1');
  out_.End();
}

void PgConnection::HandleBind(std::string_view body) {
  auto m = DecodeBind(body);
  if (!m.ok()) {
    return FailExtended(m.status(), sqlstate::kProtocolViolation);
  }
  Prepared* prepared = FindPrepared(m->statement);
  if (!prepared) return;
  Portal portal;
  portal.query = prepared->query;
  portal.result_formats = m->result_formats;
  if (prepared->description.columns_known) portal.description = prepared->description;
  for (size_t i = 0; i < m->params.size(); ++i) {
    int32_t oid = i < prepared->param_types.size() ? prepared->param_types[i] : 0;
    auto p =
        DecodeParam(oid, FormatFor(m->param_formats, i), m->params[i], static_cast<int>(i + 1));
    if (!p.ok()) {
      return FailExtended(p.status());
    }
    portal.params.push_back(std::move(*p));
  }
  portals_[m->portal] = std::move(portal);
  out_.Begin('2');
  out_.End();
}

void PgConnection::HandleDescribe(std::string_view body) {
  auto m = DecodeDescribe(body);
  if (!m.ok()) {
    return FailExtended(m.status(), sqlstate::kProtocolViolation);
  }
  if (m->kind == 'S') {
    const Prepared* prepared = FindPrepared(m->name);
    if (!prepared) return;
    const auto& d = prepared->description;
    const auto& types = prepared->param_types;
    out_.Begin('t');
    int n = std::max<int>(d.param_count, static_cast<int>(types.size()));
    out_.Int16(static_cast<int16_t>(n));
    for (int i = 0; i < n; ++i) {
      int32_t oid = i < static_cast<int>(types.size()) ? types[i] : 0;
      out_.Int32(oid ? oid : oid::kText);
    }
    out_.End();
    if (d.columns_known && !d.columns.empty()) {
      SendRowDescription(d.columns, {});
    } else {
      out_.Begin('n');
      out_.End();
    }
    return;
  }
  Portal* portal_ptr = FindPortal(m->name);
  if (!portal_ptr) return;
  Portal& portal = *portal_ptr;
  // The columns of a cofre statement are known once it runs: run it now, send at Execute.
  if (!portal.query.empty() && !RunPortal(&portal)) return;
  if (portal.result && portal.result->has_rows()) {
    SendRowDescription(portal.result->columns, portal.result_formats);
  } else {
    out_.Begin('n');
    out_.End();
  }
}

void PgConnection::HandleExecute(std::string_view body) {
  auto m = DecodeExecute(body);
  if (!m.ok()) {
    return FailExtended(m.status(), sqlstate::kProtocolViolation);
  }
  Portal* portal_ptr = FindPortal(m->portal);
  if (!portal_ptr) return;
  Portal& portal = *portal_ptr;
  if (portal.query.empty()) {
    out_.Begin('I');
    out_.End();
    return;
  }
  if (!RunPortal(&portal)) return;
  const ResultSet& rs = *portal.result;
  if (portal.sent == 0) SendNotices(rs);
  size_t left = rs.rows.size() - portal.sent;
  size_t n = m->max_rows > 0 ? std::min<size_t>(left, m->max_rows) : left;
  Status st = SendRows(rs, portal.result_formats, portal.sent, n);
  if (!st.ok()) {
    return FailExtended(st);
  }
  portal.sent += n;
  if (m->max_rows > 0 && portal.sent < rs.rows.size()) {
    out_.Begin('s');  // PortalSuspended
    out_.End();
    return;
  }
  SendCommandComplete(rs, portal.sent);
}

void PgConnection::HandleClose(std::string_view body) {
  auto m = DecodeDescribe(body);
  if (!m.ok()) {
    return FailExtended(m.status(), sqlstate::kProtocolViolation);
  }
  if (m->kind == 'S') {
    prepared_.erase(m->name);
  } else {
    portals_.erase(m->name);
  }
  out_.Begin('3');
  out_.End();
}

void PgConnection::HandleSync() {
  skip_to_sync_ = false;
  portals_.erase("");  // the unnamed portal lives until the next Sync
  SendReady();
}

}  // namespace cofre::server
