// PgConnection: one client of the wire server, from its startup packet to its Terminate.
//
// States (each transition is one arrow; any protocol error or lost socket ends the connection):
//
//   kStartup --SSLRequest--> TLS handshake --> kStartup      (at most once)
//   kStartup --CancelRequest--> interrupt the matching connection, close
//   kStartup --StartupMessage--> kAuth
//   kAuth    --insecure, or verified client certificate whose CN is the user--> kReady
//   kAuth    --SCRAM-SHA-256[-PLUS] exchange, right proof--> kReady  (28P01 otherwise, close)
//   kReady   --Query / Parse / Bind / Describe / Execute / Sync / Close / Flush--> kReady
//   kReady   --Terminate or EOF--> closed
//
// Invariants:
//   1. Nothing runs for a client before it has authenticated; password authentication happens
//      only inside TLS unless the server is --insecure.
//   2. Every statement runs through one sql::Session opened as the authenticated user, so the
//      privilege checks of the sql layer apply to every byte a client sends.
//   3. After an error inside an explicit transaction, only ROLLBACK (or COMMIT, which rolls
//      back) is accepted, as in PostgreSQL (25P02).
//   4. After an error in the extended protocol, messages are skipped until Sync.
//   5. A message longer than ServerOptions::max_message_size ends the connection with 08P01
//      before any of its body is read.
// Thread-safety: Run() on one thread; InterruptStatement()/Close() from any thread.
#ifndef COFRE_SERVER_PG_CONNECTION_H_
#define COFRE_SERVER_PG_CONNECTION_H_

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/pg_message.h"
#include "server/server_context.h"
#include "server/tls.h"
#include "sql/access_control.h"
#include "sql/session.h"

namespace cofre::server {

// Milliseconds of the monotonic clock.
inline int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class PgConnection : public LiveConnection {
 public:
  PgConnection(ServerContext* ctx, int fd, std::string peer_address);
  ~PgConnection() override;

  // Serves the client until it leaves or the connection fails.
  void Run();

  void InterruptStatement() override;
  int64_t StatementElapsedMs() const override;
  int64_t StatementTimeoutMs() const override { return statement_timeout_ms_.load(); }
  void Close() override;

 private:
  struct Prepared {
    std::string query;
    std::vector<int32_t> param_types;
    sql::StatementDescription description;
  };
  struct Portal {
    std::string query;
    std::vector<sql::Param> params;
    std::vector<int16_t> result_formats;
    std::optional<ResultSet> result;  // run at Describe or Execute
    size_t sent = 0;                  // rows already sent (Execute with a row limit)
    std::optional<sql::StatementDescription> description;
  };

  // Startup and authentication; false when the connection should close.
  bool Startup();
  Status Authenticate(const std::string& user);
  Status ScramExchange(const std::string& user);
  // What authentication needs of `user`, from the server's system database.
  StatusOr<sql::AccessControl::Login> LookUpLogin(const std::string& user);
  void SendStartupParameters();

  // Reads one message (type and body). DeadlineExceeded when idle too long.
  Status ReadMessage(char* type, std::string* body, int timeout_ms);
  Status Flush();

  // Messages.
  void HandleQuery(const std::string& text);
  void HandleParse(std::string_view body);
  void HandleBind(std::string_view body);
  void HandleDescribe(std::string_view body);
  void HandleExecute(std::string_view body);
  void HandleClose(std::string_view body);
  void HandleSync();

  // Runs one statement with the transaction and session-variable rules; fills *out.
  StatusOr<ResultSet> RunStatement(const std::string& text, const std::vector<sql::Param>& params);
  // COPY FROM STDIN / TO STDOUT (pg_copy.cc).
  StatusOr<ResultSet> RunCopy(const std::string& text);
  // Session variables (SET/SHOW/RESET of names cofre does not plan itself).
  std::optional<StatusOr<ResultSet>> SessionVariable(const std::string& text);

  // Output.
  void SendRowDescription(const std::vector<ResultSet::Column>& cols,
                          const std::vector<int16_t>& formats);
  Status SendRows(const ResultSet& rs, const std::vector<int16_t>& formats, size_t from,
                  size_t count);
  void SendCommandComplete(const ResultSet& rs, size_t rows);
  void SendError(const Status& st, std::string_view sqlstate = "");
  // The named prepared statement / portal, or null after FailExtended (26000 / 34000).
  Prepared* FindPrepared(const std::string& name);
  Portal* FindPortal(const std::string& name);
  // Runs the portal's statement unless it already ran; false after sending its error.
  bool RunPortal(Portal* portal);
  // An error in the extended protocol: sent, then messages are skipped until Sync.
  void FailExtended(const Status& st, std::string_view sqlstate = "");
  // The error of a statement (25P02 when refused inside a failed transaction).
  void SendStatementError(const Status& st);
  void SendNotices(const ResultSet& rs);
  void SendReady();

  ServerContext* ctx_;
  Stream stream_;
  std::string peer_;
  std::string user_;
  std::string database_;
  MessageWriter out_;
  std::unique_ptr<sql::Session> session_;
  int32_t pid_ = 0;
  std::map<std::string, Prepared> prepared_;
  std::map<std::string, Portal> portals_;
  std::map<std::string, std::string> variables_;
  bool failed_txn_ = false;    // invariant 3
  bool skip_to_sync_ = false;  // invariant 4
  bool rejected_in_failed_txn_ = false;
  std::atomic<bool> closing_{false};  // set by the monitor thread (Close)
  std::atomic<int64_t> statement_started_ms_{-1};
  std::atomic<int64_t> statement_timeout_ms_{0};
  std::mutex session_mu_;  // guards session_ against InterruptStatement during open/close
};

}  // namespace cofre::server

#endif  // COFRE_SERVER_PG_CONNECTION_H_
