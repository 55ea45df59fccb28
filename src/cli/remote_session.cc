#include "cli/remote_session.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "cli/pq_library.h"

namespace cofre::cli {

namespace {

// libpq, loaded by OpenRemoteSession: every call below is on a connection it opened.
const PqLibrary& Pq() { return **PqLibrary::Get(); }

// Reads a line from the terminal without echo.
std::string ReadPassword(const char* prompt) {
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  termios old{};
  bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  int c;
  while ((c = std::fgetc(stdin)) != EOF && c != '\n') line.push_back(static_cast<char>(c));
  if (tty) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::fputc('\n', stderr);
  return line;
}

Status FromSqlState(const std::string& state, std::string message, const char* hint) {
  StatusCode code = StatusCode::kInvalidArgument;
  if (state.starts_with("28") || state == "42501") code = StatusCode::kPermissionDenied;
  if (state == "57014") code = StatusCode::kCancelled;
  if (state.starts_with("08") || state == "57P01" || state == "58000")
    code = StatusCode::kUnavailable;
  if (state == "XX001") code = StatusCode::kDataLoss;
  if (state == "55000") code = StatusCode::kFailedPrecondition;
  if (state == "42704" || state == "42P01" || state == "3D000") code = StatusCode::kNotFound;
  Status st(code, std::move(message));
  if (hint && *hint) st = st.WithHint(hint);
  return st;
}

ResultSet::Type TypeOfOid(Oid oid) {
  switch (oid) {
    case 16:
      return ResultSet::Type::kBool;
    case 17:
      return ResultSet::Type::kBytes;
    case 20:
    case 21:
    case 23:
      return ResultSet::Type::kInt;
    case 700:
    case 701:
      return ResultSet::Type::kFloat;
    case 1700:
      return ResultSet::Type::kNumeric;
    case 1082:
      return ResultSet::Type::kDate;
    case 1114:
      return ResultSet::Type::kTimestamp;
    case 1184:
      return ResultSet::Type::kTimestampTz;
    case 114:
    case 3802:
      return ResultSet::Type::kJson;
    default:
      return ResultSet::Type::kText;
  }
}

class RemoteSession : public sql::Session {
 public:
  explicit RemoteSession(PGconn* conn) : conn_(conn) {
    Pq().PQsetNoticeReceiver(conn_, &RemoteSession::OnNotice, this);
    const char* db = Pq().PQdb(conn_);
    database_ = db ? db : "";
  }
  ~RemoteSession() override {
    std::lock_guard<std::mutex> l(mu_);
    Pq().PQfinish(conn_);
  }

  // The connection parameters in use (password included), for a second connection.
  std::vector<std::pair<std::string, std::string>> Parameters() const {
    std::vector<std::pair<std::string, std::string>> out;
    PQconninfoOption* opts = Pq().PQconninfo(conn_);
    if (!opts) return out;
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
      if (o->val && *o->val) out.emplace_back(o->keyword, o->val);
    }
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
      if (o->val) std::memset(o->val, 0, std::strlen(o->val));
    }
    Pq().PQconninfoFree(opts);
    return out;
  }

  StatusOr<ResultSet> Execute(std::string_view statement,
                              const std::vector<sql::Param>& params) override {
    notices_.clear();
    std::string text(statement);
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.value ? p.value->c_str() : nullptr);
    PGresult* res = params.empty()
                        ? Pq().PQexec(conn_, text.c_str())
                        : Pq().PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()),
                                            nullptr, values.data(), nullptr, nullptr, 0);
    std::unique_ptr<PGresult, void (*)(PGresult*)> guard(res, Pq().PQclear);
    if (!res) {
      return UnavailableError(std::string("lost the server: ") + Pq().PQerrorMessage(conn_));
    }
    ResultSet rs;
    for (auto& n : notices_) rs.notices.push_back(std::move(n));
    notices_.clear();
    switch (Pq().PQresultStatus(res)) {
      case PGRES_COMMAND_OK:
        rs.tag = Pq().PQcmdStatus(res);
        return rs;
      case PGRES_TUPLES_OK: {
        const int ncols = Pq().PQnfields(res), nrows = Pq().PQntuples(res);
        for (int c = 0; c < ncols; ++c) {
          ResultSet::Type type = TypeOfOid(Pq().PQftype(res, c));
          ResultSet::Kind kind = type == ResultSet::Type::kInt || type == ResultSet::Type::kFloat ||
                                         type == ResultSet::Type::kNumeric
                                     ? ResultSet::Kind::kNumber
                                 : type == ResultSet::Type::kBool ? ResultSet::Kind::kBool
                                                                  : ResultSet::Kind::kText;
          rs.columns.push_back({Pq().PQfname(res, c), kind, type});
        }
        for (int r = 0; r < nrows; ++r) {
          ResultSet::Row row(ncols);
          for (int c = 0; c < ncols; ++c) {
            if (!Pq().PQgetisnull(res, r, c))
              row[c] = std::string(Pq().PQgetvalue(res, r, c), Pq().PQgetlength(res, r, c));
          }
          rs.rows.push_back(std::move(row));
        }
        return rs;
      }
      case PGRES_EMPTY_QUERY:
        rs.tag = "OK";
        return rs;
      case PGRES_COPY_IN:
      case PGRES_COPY_OUT:
        // The shell has no COPY data stream: end it cleanly and say what to use.
        if (Pq().PQresultStatus(res) == PGRES_COPY_IN)
          Pq().PQputCopyEnd(conn_, "COPY is not supported by cofre sql");
        while (PGresult* r = Pq().PQgetResult(conn_)) Pq().PQclear(r);
        return UnimplementedError(
            "COPY FROM STDIN / TO STDOUT needs a client that streams data: use "
            "psql's \\copy or a driver");
      default: {
        const char* state = Pq().PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char* msg = Pq().PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        const char* hint = Pq().PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
        if (Pq().PQstatus(conn_) == CONNECTION_BAD) {
          return UnavailableError(std::string("lost the server: ") + Pq().PQerrorMessage(conn_));
        }
        return FromSqlState(state ? state : "", msg ? msg : Pq().PQerrorMessage(conn_), hint);
      }
    }
  }

  StatusOr<sql::StatementDescription> Describe(std::string_view) override {
    return sql::StatementDescription{};
  }
  bool InTransaction() const override { return Pq().PQtransactionStatus(conn_) != PQTRANS_IDLE; }
  void Interrupt() override {
    std::lock_guard<std::mutex> l(mu_);
    PGcancel* cancel = Pq().PQgetCancel(conn_);
    if (!cancel) return;
    char err[256];
    Pq().PQcancel(cancel, err, sizeof(err));
    Pq().PQfreeCancel(cancel);
  }
  const std::string& current_database() const override {
    const char* db = Pq().PQdb(conn_);
    database_ = db ? db : "";
    return database_;
  }

 private:
  static void OnNotice(void* self, const PGresult* res) {
    auto* s = static_cast<RemoteSession*>(self);
    const char* severity = Pq().PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char* msg = Pq().PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    ResultSet::Notice n;
    n.severity = severity && std::strcmp(severity, "WARNING") == 0
                     ? ResultSet::Notice::Severity::kWarning
                     : ResultSet::Notice::Severity::kNotice;
    n.message = msg ? msg : "";
    s->notices_.push_back(std::move(n));
  }

  PGconn* conn_;
  std::mutex mu_;
  mutable std::string database_;
  std::vector<ResultSet::Notice> notices_;
};

}  // namespace

StatusOr<std::unique_ptr<sql::Session>> OpenRemoteSession(const RemoteSessionOptions& options) {
  RETURN_IF_ERROR(PqLibrary::Get().status());
  const char* keys[] = {"dbname", "fallback_application_name", nullptr, nullptr};
  const char* values[] = {options.url.c_str(), "cofre sql", nullptr, nullptr};
  PGconn* conn = Pq().PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  std::string password;
  if (conn && Pq().PQstatus(conn) == CONNECTION_BAD && Pq().PQconnectionNeedsPassword(conn) &&
      options.prompt_for_password) {
    Pq().PQfinish(conn);
    password = ReadPassword("Enter password: ");
    keys[2] = "password";
    values[2] = password.c_str();
    conn = Pq().PQconnectdbParams(keys, values, 1);
    std::fill(password.begin(), password.end(), '\0');
  }
  if (!conn) return ResourceExhaustedError("cannot allocate a connection");
  if (Pq().PQstatus(conn) != CONNECTION_OK) {
    std::string msg = Pq().PQerrorMessage(conn);
    Pq().PQfinish(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    // libpq's message names the server and the reason (refused, authentication, TLS).
    return UnavailableError("cannot connect: " + msg);
  }
  return std::unique_ptr<sql::Session>(new RemoteSession(conn));
}

ProgressPoll RemoteJobProgress(sql::Session* session) {
  auto* remote = dynamic_cast<RemoteSession*>(session);
  if (!remote) return nullptr;
  struct Poller {
    std::vector<std::pair<std::string, std::string>> params;
    PGconn* conn = nullptr;
    ~Poller() {
      if (conn) Pq().PQfinish(conn);
      for (auto& [k, v] : params) std::fill(v.begin(), v.end(), '\0');
    }
  };
  auto poller = std::make_shared<Poller>();
  poller->params = remote->Parameters();
  return [poller](const std::string& description) -> std::optional<JobProgress> {
    if (description.empty()) return std::nullopt;
    if (!poller->conn) {
      std::vector<const char*> keys, values;
      for (const auto& [k, v] : poller->params) {
        keys.push_back(k.c_str());
        values.push_back(v.c_str());
      }
      keys.push_back(nullptr);
      values.push_back(nullptr);
      poller->conn = Pq().PQconnectdbParams(keys.data(), values.data(), 0);
    }
    if (Pq().PQstatus(poller->conn) != CONNECTION_OK) return std::nullopt;
    std::unique_ptr<PGresult, void (*)(PGresult*)> res(Pq().PQexec(poller->conn, "SHOW JOBS"),
                                                       Pq().PQclear);
    if (Pq().PQresultStatus(res.get()) != PGRES_TUPLES_OK || Pq().PQnfields(res.get()) < 11) {
      return std::nullopt;
    }
    // Newest first: the first running job with the statement's description.
    for (int r = 0; r < Pq().PQntuples(res.get()); ++r) {
      if (description != Pq().PQgetvalue(res.get(), r, 2) ||
          std::strcmp(Pq().PQgetvalue(res.get(), r, 4), "running") != 0) {
        continue;
      }
      JobProgress p;
      p.fraction = std::strtod(Pq().PQgetvalue(res.get(), r, 10), nullptr);
      // cofre's SHOW JOBS ends with the rows and bytes done so far (NULL until reported).
      if (Pq().PQnfields(res.get()) >= 16 && !Pq().PQgetisnull(res.get(), r, 14) &&
          !Pq().PQgetisnull(res.get(), r, 15)) {
        p.rows = std::strtoull(Pq().PQgetvalue(res.get(), r, 14), nullptr, 10);
        p.bytes = std::strtoull(Pq().PQgetvalue(res.get(), r, 15), nullptr, 10);
      }
      return p;
    }
    return std::nullopt;
  };
}

}  // namespace cofre::cli
