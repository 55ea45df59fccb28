// PgConnection's COPY FROM STDIN and COPY TO STDOUT (copy_format.h for the formats). A COPY FROM
// is atomic: its rows are inserted in one transaction (a savepoint inside an explicit one) and
// none stays when any row fails or the client sends CopyFail.
#include "engine/sqlite.h"
#include "server/copy_format.h"
#include "server/pg_connection.h"
#include "server/sqlstate.h"

namespace cofre::server {

namespace {

std::string QuoteTableName(const std::string& table) {
  size_t dot = table.find('.');
  if (dot == std::string::npos) return QuoteIdent(table);
  return QuoteIdent(table.substr(0, dot)) + "." + QuoteIdent(table.substr(dot + 1));
}

}  // namespace

StatusOr<ResultSet> PgConnection::RunCopy(const std::string& text) {
  ASSIGN_OR_RETURN(CopyStatement copy, ParseCopy(text));
  if (!copy.from_stdin) {
    std::string query = copy.query;
    if (query.empty()) {
      std::string cols = "*";
      if (!copy.columns.empty()) {
        cols.clear();
        for (const auto& c : copy.columns) cols += (cols.empty() ? "" : ", ") + QuoteIdent(c);
      }
      query = "SELECT " + cols + " FROM " + QuoteTableName(copy.table);
    }
    ASSIGN_OR_RETURN(ResultSet rs, RunStatement(query, {}));
    out_.Begin('H');
    out_.Byte(0);
    out_.Int16(static_cast<int16_t>(rs.columns.size()));
    for (size_t i = 0; i < rs.columns.size(); ++i) out_.Int16(0);
    out_.End();
    if (copy.header) {
      CopyRow names;
      for (const auto& c : rs.columns) names.emplace_back(c.name);
      out_.Begin('d');
      out_.Bytes(FormatCopyRow(copy, names));
      out_.End();
    }
    for (const auto& row : rs.rows) {
      out_.Begin('d');
      out_.Bytes(FormatCopyRow(copy, row));
      out_.End();
      if (out_.buffer().size() > (1 << 20)) RETURN_IF_ERROR(Flush());
    }
    out_.Begin('c');
    out_.End();
    ResultSet done;
    done.tag = "COPY " + std::to_string(rs.rows.size());
    return done;
  }

  // COPY FROM STDIN.
  std::vector<std::string> columns = copy.columns;
  if (columns.empty()) {
    ASSIGN_OR_RETURN(auto d, session_->Describe("SELECT * FROM " + QuoteTableName(copy.table)));
    for (const auto& c : d.columns) columns.push_back(c.name);
  }
  std::string insert = "INSERT INTO " + QuoteTableName(copy.table) + " (";
  std::string values;
  for (size_t i = 0; i < columns.size(); ++i) {
    insert += (i ? ", " : "") + QuoteIdent(columns[i]);
    values += (i ? ", $" : "$") + std::to_string(i + 1);
  }
  insert += ") VALUES (" + values + ")";
  const bool nested = session_->InTransaction();
  RETURN_IF_ERROR(session_->Execute(nested ? "SAVEPOINT cofre_copy" : "BEGIN").status());
  out_.Begin('G');
  out_.Byte(0);
  out_.Int16(static_cast<int16_t>(columns.size()));
  for (size_t i = 0; i < columns.size(); ++i) out_.Int16(0);
  out_.End();
  RETURN_IF_ERROR(Flush());

  CopyRowParser parser(copy, ctx_->options.max_message_size);
  int64_t rows = 0;
  Status failed;
  std::vector<sql::Param> params(columns.size());
  auto insert_row = [&](CopyRow&& row) -> Status {
    if (row.size() != columns.size()) {
      return InvalidArgumentError("COPY row " + std::to_string(rows + 1) + " has " +
                                  std::to_string(row.size()) + " fields, expected " +
                                  std::to_string(columns.size()))
          .WithDetail(ErrorDetail::kDataException);
    }
    for (size_t i = 0; i < row.size(); ++i) {
      params[i].value = std::move(row[i]);
      params[i].type = sql::Param::Type::kText;
    }
    Status st = session_->Execute(insert, params).status();
    if (!st.ok()) return st.Annotate("COPY row " + std::to_string(rows + 1));
    rows++;
    return Status::OK();
  };
  while (true) {
    char type;
    std::string body;
    Status st = ReadMessage(&type, &body,
                            ctx_->options.idle_timeout_ms > 0 ? ctx_->options.idle_timeout_ms : -1);
    if (!st.ok()) {
      // The client is gone: nothing of the COPY stays.
      session_->Execute(nested ? "ROLLBACK TO cofre_copy" : "ROLLBACK").status().IgnoreError();
      closing_ = true;
      return st;
    }
    if (type == 'd') {
      if (failed.ok()) failed = parser.Feed(body, insert_row);
      continue;
    }
    if (type == 'c') {
      if (failed.ok()) failed = parser.Finish(insert_row);
      break;
    }
    if (type == 'f') {
      MessageReader r(body);
      auto msg = r.CString();
      failed = InvalidArgumentError("COPY from stdin failed: " +
                                    std::string(msg.ok() ? *msg : "client sent CopyFail"))
                   .WithDetail(ErrorDetail::kQueryCanceled);
      break;
    }
    if (type == 'H' || type == 'S') continue;  // Flush and Sync do nothing during COPY
    failed =
        InvalidArgumentError(std::string("unexpected message type '") + type + "' during COPY");
    break;
  }
  if (!failed.ok()) {
    session_->Execute(nested ? "ROLLBACK TO cofre_copy" : "ROLLBACK").status().IgnoreError();
    if (nested) session_->Execute("RELEASE cofre_copy").status().IgnoreError();
    return failed;
  }
  RETURN_IF_ERROR(session_->Execute(nested ? "RELEASE cofre_copy" : "COMMIT").status());
  ResultSet done;
  done.tag = "COPY " + std::to_string(rows);
  return done;
}

}  // namespace cofre::server
