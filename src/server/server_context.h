// ServerContext: what every connection of a server shares: options, metrics, the TLS context,
// the registry of live connections (for CancelRequest, statement timeouts and draining) and
// the failed-login throttle, and the job runner.
// Thread-safety: all members are safe to use from any connection thread.
#ifndef COFRE_SERVER_SERVER_CONTEXT_H_
#define COFRE_SERVER_SERVER_CONTEXT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/data_dir.h"
#include "jobs/job_runner.h"
#include "jobs/scheduler.h"
#include "server/server_options.h"
#include "server/tls.h"

namespace cofre::server {

// What the registry needs of a live connection.
class LiveConnection {
 public:
  virtual ~LiveConnection() = default;
  // Interrupts the statement running now (thread-safe).
  virtual void InterruptStatement() = 0;
  // Milliseconds since the running statement started, -1 when idle; and its timeout (0: none).
  virtual int64_t StatementElapsedMs() const = 0;
  virtual int64_t StatementTimeoutMs() const = 0;
  // Ends the connection at its next read (shutdown).
  virtual void Close() = 0;
};

class ConnectionRegistry {
 public:
  // Registers `c` under a new backend key; returns (pid, secret).
  std::pair<int32_t, int32_t> Register(LiveConnection* c);
  void Unregister(int32_t pid);
  // CancelRequest: interrupts the connection whose key matches (else nothing, as PostgreSQL).
  void Cancel(int32_t pid, int32_t secret);
  // Interrupts statements past their timeout. Called periodically by the server.
  void EnforceTimeouts();
  // Calls f on every live connection under the registry's lock.
  void ForEach(const std::function<void(LiveConnection*)>& f);
  size_t size();

 private:
  std::mutex mu_;
  int32_t next_pid_ = 1000;
  std::map<int32_t, std::pair<int32_t, LiveConnection*>> live_;
};

// Counts recent failed logins per user and per address; past the limit, each further attempt
// waits (exponentially, up to 5 s) before it is answered.
class LoginThrottle {
 public:
  explicit LoginThrottle(int limit) : limit_(limit) {}
  // How long an attempt by `user` from `address` must wait first.
  std::chrono::milliseconds Delay(const std::string& user, const std::string& address);
  void Failed(const std::string& user, const std::string& address);
  void Succeeded(const std::string& user, const std::string& address);

 private:
  struct Entry {
    int failures = 0;
    std::chrono::steady_clock::time_point last;
  };
  int Failures(const std::string& key);
  std::mutex mu_;
  int limit_;
  std::map<std::string, Entry> entries_;
};

// The data directory's system database, opened once at start, for what the server reads itself:
// logins and /metrics. A DataDir serves one thread at a time, hence the mutex.
struct SystemDatabase {
  std::mutex mu;
  std::unique_ptr<DataDir> dir;
};

struct ServerContext {
  explicit ServerContext(ServerOptions o)
      : options(std::move(o)), throttle(options.max_failed_logins) {}
  ServerOptions options;
  Metrics metrics;
  std::unique_ptr<TlsContext> tls;  // null without certificates
  SystemDatabase system;
  ConnectionRegistry connections;
  LoginThrottle throttle;
  std::atomic<bool> draining{false};
  // Runs detached BACKUP/RESTORE jobs (set by Server::Start before connections are served).
  std::unique_ptr<JobRunner> job_runner;
  // Starts the BACKUP jobs of schedules when they are due (set by Server::Start).
  std::unique_ptr<Scheduler> scheduler;
};

}  // namespace cofre::server

#endif  // COFRE_SERVER_SERVER_CONTEXT_H_
