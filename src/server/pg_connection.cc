#include "server/pg_connection.h"

#include <chrono>
#include <thread>

#include "crypto/scram.h"
#include "server/sqlstate.h"
#include "sql/access_control.h"
#include "sql/lexer.h"
#include "util/version.h"

namespace cofre::server {

namespace {

constexpr int32_t kAuthOk = 0, kAuthSasl = 10, kAuthSaslContinue = 11, kAuthSaslFinal = 12;

}  // namespace

PgConnection::PgConnection(ServerContext* ctx, int fd, std::string peer_address)
    : ctx_(ctx), stream_(fd), peer_(std::move(peer_address)) {}

PgConnection::~PgConnection() {
  if (pid_) ctx_->connections.Unregister(pid_);
  std::lock_guard<std::mutex> l(session_mu_);
  session_.reset();
}

void PgConnection::InterruptStatement() {
  std::lock_guard<std::mutex> l(session_mu_);
  if (session_) session_->Interrupt();
}

int64_t PgConnection::StatementElapsedMs() const {
  int64_t started = statement_started_ms_.load();
  return started < 0 ? -1 : SteadyNowMs() - started;
}

void PgConnection::Close() {
  closing_ = true;
  stream_.ShutdownRead();
}

Status PgConnection::Flush() {
  if (out_.empty()) return Status::OK();
  ctx_->metrics.bytes_sent += static_cast<int64_t>(out_.buffer().size());
  Status st = stream_.WriteAll(out_.buffer());
  out_.clear();
  return st;
}

Status PgConnection::ReadMessage(char* type, std::string* body, int timeout_ms) {
  char header[5];
  RETURN_IF_ERROR(stream_.ReadExact(header, 5, timeout_ms));
  *type = header[0];
  uint32_t len = (uint32_t(uint8_t(header[1])) << 24) | (uint32_t(uint8_t(header[2])) << 16) |
                 (uint32_t(uint8_t(header[3])) << 8) | uint32_t(uint8_t(header[4]));
  if (len < 4 || len - 4 > ctx_->options.max_message_size) {
    return ResourceExhaustedError("message of " + std::to_string(len) +
                                  " bytes is larger than the server's limit of " +
                                  std::to_string(ctx_->options.max_message_size));
  }
  body->resize(len - 4);
  // The body arrives within the authentication timeout once its header has.
  RETURN_IF_ERROR(stream_.ReadExact(body->data(), body->size(), ctx_->options.auth_timeout_ms));
  ctx_->metrics.bytes_received += static_cast<int64_t>(len + 1);
  return Status::OK();
}

void PgConnection::SendError(const Status& st, std::string_view sqlstate) {
  out_.Begin('E');
  out_.Byte('S');
  out_.CString("ERROR");
  out_.Byte('V');
  out_.CString("ERROR");
  out_.Byte('C');
  out_.CString(sqlstate.empty() ? SqlState(st) : sqlstate);
  out_.Byte('M');
  out_.CString(st.message());
  if (!st.hint().empty()) {
    out_.Byte('H');
    out_.CString(st.hint());
  }
  out_.Byte(0);
  out_.End();
}

void PgConnection::SendNotices(const ResultSet& rs) {
  for (const auto& n : rs.notices) {
    const char* severity =
        n.severity == ResultSet::Notice::Severity::kWarning ? "WARNING" : "NOTICE";
    out_.Begin('N');
    out_.Byte('S');
    out_.CString(severity);
    out_.Byte('V');
    out_.CString(severity);
    out_.Byte('C');
    out_.CString(n.severity == ResultSet::Notice::Severity::kWarning ? "01000" : "00000");
    out_.Byte('M');
    out_.CString(n.message);
    out_.Byte(0);
    out_.End();
  }
}

void PgConnection::SendReady() {
  out_.Begin('Z');
  char status = 'I';
  if (failed_txn_) {
    status = 'E';
  } else if (session_ && session_->InTransaction()) {
    status = 'T';
  }
  out_.Byte(status);
  out_.End();
}

void PgConnection::SendStartupParameters() {
  auto param = [&](std::string_view k, std::string_view v) {
    out_.Begin('S');
    out_.CString(k);
    out_.CString(v);
    out_.End();
  };
  param("server_version", std::string("15.0.0 (cofre ") + kCofreVersion + ")");
  param("server_encoding", "UTF8");
  param("client_encoding", "UTF8");
  param("DateStyle", "ISO, MDY");
  param("IntervalStyle", "postgres");
  param("TimeZone", "UTC");
  param("integer_datetimes", "on");
  param("standard_conforming_strings", "on");
  param("is_superuser", session_ && user_ == sql::kRootUser ? "on" : "off");
  param("session_authorization", user_);
  param("application_name", variables_["application_name"]);
}

bool PgConnection::Startup() {
  const int timeout = ctx_->options.auth_timeout_ms;
  bool tls_tried = false;
  StartupPacket packet;
  while (true) {
    char len_bytes[4];
    if (!stream_.ReadExact(len_bytes, 4, timeout).ok()) return false;
    uint32_t len = (uint32_t(uint8_t(len_bytes[0])) << 24) |
                   (uint32_t(uint8_t(len_bytes[1])) << 16) |
                   (uint32_t(uint8_t(len_bytes[2])) << 8) | uint32_t(uint8_t(len_bytes[3]));
    if (len < 8 || len > 10000) return false;  // not a PostgreSQL client: just close
    std::string body(len - 4, '\0');
    if (!stream_.ReadExact(body.data(), body.size(), timeout).ok()) return false;
    auto decoded = DecodeStartup(body);
    if (!decoded.ok()) {
      SendError(decoded.status(), sqlstate::kProtocolViolation);
      Flush().IgnoreError();
      return false;
    }
    packet = std::move(*decoded);
    if (packet.code == kCancelRequestCode) {
      ctx_->metrics.cancel_requests++;
      ctx_->connections.Cancel(packet.cancel_pid, packet.cancel_secret);
      return false;
    }
    if (packet.code == kSslRequestCode || packet.code == kGssEncRequestCode) {
      bool accept = packet.code == kSslRequestCode && ctx_->tls && !tls_tried;
      if (!stream_.WriteAll(accept ? "S" : "N").ok()) return false;
      if (accept) {
        tls_tried = true;
        if (!stream_.StartTls(*ctx_->tls, timeout).ok()) return false;
      }
      continue;
    }
    break;
  }
  user_ = sql::AsciiLower(packet.params.count("user") ? packet.params["user"] : "");
  database_ = packet.params.count("database") && !packet.params["database"].empty()
                  ? packet.params["database"]
                  : "defaultdb";
  variables_["application_name"] = packet.params["application_name"];
  if (user_.empty()) {
    SendError(InvalidArgumentError("no user name given in the startup message"),
              sqlstate::kInvalidAuthorization);
    Flush().IgnoreError();
    return false;
  }
  if (ctx_->draining.load()) {
    SendError(UnavailableError("the server is shutting down"), sqlstate::kAdminShutdown);
    Flush().IgnoreError();
    return false;
  }
  Status auth = Authenticate(user_);
  if (!auth.ok()) {
    ctx_->metrics.auth_failures++;
    SendError(auth, auth.code() == StatusCode::kPermissionDenied ? sqlstate::kInvalidPassword
                                                                 : sqlstate::kInvalidAuthorization);
    Flush().IgnoreError();
    return false;
  }
  sql::SessionOptions so;
  so.data_dir = ctx_->options.data_dir;
  so.database = database_;
  so.user = user_;
  so.lock_timeout_ms = ctx_->options.lock_timeout_ms;
  so.job_runner = ctx_->job_runner.get();
  so.operations = ctx_->options.operations;
  so.scheduler = ctx_->scheduler.get();
  auto session = sql::Session::Open(so);
  if (!session.ok()) {
    SendError(session.status(), session.status().code() == StatusCode::kNotFound
                                    ? std::string_view("3D000")
                                    : SqlState(session.status()));
    Flush().IgnoreError();
    return false;
  }
  {
    std::lock_guard<std::mutex> l(session_mu_);
    session_ = std::move(*session);
  }
  out_.Begin('R');
  out_.Int32(kAuthOk);
  out_.End();
  SendStartupParameters();
  auto [pid, secret] = ctx_->connections.Register(this);
  pid_ = pid;
  out_.Begin('K');
  out_.Int32(pid);
  out_.Int32(secret);
  out_.End();
  statement_timeout_ms_ = ctx_->options.statement_timeout_ms;
  SendReady();
  return Flush().ok();
}

Status PgConnection::Authenticate(const std::string& user) {
  if (ctx_->options.insecure) return Status::OK();
  if (!stream_.tls()) {
    return Status(StatusCode::kUnauthenticated,
                  "connections to this server must use TLS (sslmode=require or stronger)");
  }
  // A slow answer for an address or user that failed too often.
  auto delay = ctx_->throttle.Delay(user, peer_);
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  auto cn = stream_.PeerCommonName();
  if (cn && *cn == user) {
    // A verified client certificate names the user: no password.
    ASSIGN_OR_RETURN(auto login, LookUpLogin(user));
    if (login.exists && login.can_login) return Status::OK();
    return PermissionDeniedError("certificate authentication failed for user " + user);
  }
  Status st = ScramExchange(user);
  if (st.ok()) {
    ctx_->throttle.Succeeded(user, peer_);
  } else {
    ctx_->throttle.Failed(user, peer_);
  }
  return st;
}

StatusOr<sql::AccessControl::Login> PgConnection::LookUpLogin(const std::string& user) {
  std::lock_guard<std::mutex> lock(ctx_->system.mu);
  sql::AccessControl access(ctx_->system.dir.get());
  return access.GetLogin(user);
}

Status PgConnection::ScramExchange(const std::string& user) {
  const Status failed = PermissionDeniedError("password authentication failed for user " + user);
  std::string verifier;
  {
    ASSIGN_OR_RETURN(auto login, LookUpLogin(user));
    // Unknown users, users without a password and roles that cannot log in run the same
    // exchange against a decoy and fail only at its end: nothing tells them apart.
    bool usable = login.exists && login.can_login && login.verifier;
    verifier = usable ? *login.verifier : MakeDecoyScramVerifier(user);
  }
  ScramServer scram(verifier, ctx_->tls ? ctx_->tls->channel_binding() : std::string());
  out_.Begin('R');
  out_.Int32(kAuthSasl);
  if (scram.offers_plus()) out_.CString("SCRAM-SHA-256-PLUS");
  out_.CString("SCRAM-SHA-256");
  out_.Byte(0);
  out_.End();
  RETURN_IF_ERROR(Flush());
  char type;
  std::string body;
  RETURN_IF_ERROR(ReadMessage(&type, &body, ctx_->options.auth_timeout_ms));
  if (type != 'p') return InvalidArgumentError("expected a SASL response");
  ASSIGN_OR_RETURN(SaslInitialResponse initial, DecodeSaslInitial(body));
  auto first = scram.ServerFirst(initial.mechanism, initial.data);
  if (!first.ok())
    return first.status().code() == StatusCode::kPermissionDenied ? failed : first.status();
  out_.Begin('R');
  out_.Int32(kAuthSaslContinue);
  out_.Bytes(*first);
  out_.End();
  RETURN_IF_ERROR(Flush());
  RETURN_IF_ERROR(ReadMessage(&type, &body, ctx_->options.auth_timeout_ms));
  if (type != 'p') return InvalidArgumentError("expected a SASL response");
  auto final_msg = scram.ServerFinal(body);
  if (!final_msg.ok()) return failed;
  out_.Begin('R');
  out_.Int32(kAuthSaslFinal);
  out_.Bytes(*final_msg);
  out_.End();
  return Status::OK();
}

void PgConnection::Run() {
  ctx_->metrics.connections_total++;
  ctx_->metrics.connections_open++;
  if (Startup()) {
    while (!closing_) {
      char type;
      std::string body;
      int idle = ctx_->options.idle_timeout_ms > 0 ? ctx_->options.idle_timeout_ms : -1;
      Status st = ReadMessage(&type, &body, idle);
      if (!st.ok()) {
        if (st.code() == StatusCode::kResourceExhausted) {
          SendError(st, sqlstate::kProgramLimitExceeded);
        } else if (st.code() == StatusCode::kDeadlineExceeded) {
          SendError(Status(StatusCode::kDeadlineExceeded,
                           "terminating connection due to idle-session timeout"),
                    sqlstate::kIdleSessionTimeout);
        } else if (ctx_->draining.load()) {
          SendError(UnavailableError("the server is shutting down"), sqlstate::kAdminShutdown);
        }
        Flush().IgnoreError();
        break;
      }
      if (type == 'X') break;
      if (skip_to_sync_ && type != 'S') continue;
      switch (type) {
        case 'Q': {
          auto q = DecodeQuery(body);
          if (q.ok()) {
            HandleQuery(*q);
          } else {
            SendError(q.status(), sqlstate::kProtocolViolation);
            SendReady();
          }
          break;
        }
        case 'P':
          HandleParse(body);
          break;
        case 'B':
          HandleBind(body);
          break;
        case 'D':
          HandleDescribe(body);
          break;
        case 'E':
          HandleExecute(body);
          break;
        case 'C':
          HandleClose(body);
          break;
        case 'S':
          HandleSync();
          break;
        case 'H':
          break;  // Flush: below
        case 'd':
        case 'c':
        case 'f':
          break;  // COPY data outside COPY: ignored, as PostgreSQL
        default:
          SendError(
              InvalidArgumentError(std::string("invalid frontend message type '") + type + "'"),
              sqlstate::kProtocolViolation);
          Flush().IgnoreError();
          closing_ = true;
          continue;
      }
      // Like PostgreSQL, answers to the extended protocol wait for Sync or Flush (or a full
      // buffer): a pipelined Bind/Describe/Execute/Sync costs one send.
      bool flush = type == 'Q' || type == 'S' || type == 'H' || out_.buffer().size() > (64 << 10);
      if (flush && !Flush().ok()) break;
    }
  }
  Flush().IgnoreError();
  ctx_->metrics.connections_open--;
}

}  // namespace cofre::server
