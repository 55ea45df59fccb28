// Server: `cofre start`. Owns a data directory (an exclusive lock on <dir>/server.lock, which
// embedded `cofre sql` runs check), listens for PostgreSQL clients on listen_addr and serves
// /health and /metrics on http_addr.
//
// Each client gets a thread running a PgConnection (pg_connection.h). A monitor thread enforces
// statement timeouts. Shutdown(): stop accepting, let running statements finish for up to
// drain_timeout_ms, then close every connection; a second Shutdown(immediate) closes at once.
// What was committed stays committed either way: SQLite's journal makes every commit durable
// before it is acknowledged.
// Thread-safety: Start/Wait from one thread; Shutdown from any thread (signal handlers post to
// it through a self-pipe in the CLI).
#ifndef COFRE_SERVER_SERVER_H_
#define COFRE_SERVER_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/server_context.h"
#include "server/server_options.h"
#include "util/status.h"

namespace cofre::server {

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();

  // Takes the data directory lock, opens the data directory, binds the listeners and starts
  // serving. FailedPrecondition when another process holds the directory; InvalidArgument for
  // --insecure on a non-loopback address; Unavailable when a port is taken.
  Status Start();
  // The bound SQL and HTTP ports (useful with port 0).
  int sql_port() const { return sql_port_; }
  int http_port() const { return http_port_; }
  // Blocks until the server has stopped.
  void Wait();
  // Stops the server (see the class comment).
  void Shutdown(bool immediate);

 private:
  void AcceptLoop();
  void HttpLoop();
  void MonitorLoop();
  std::string RenderMetrics();

  ServerContext ctx_;
  int lock_fd_ = -1;
  int sql_fd_ = -1;
  int http_fd_ = -1;
  int sql_port_ = 0;
  int http_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<int> active_threads_{0};
  std::thread accept_thread_, http_thread_, monitor_thread_;
};

// Refuses (FailedPrecondition, with how to connect instead) when a server owns `data_dir`;
// otherwise holds a shared lock on it for the returned fd's lifetime (-1 when the directory
// does not exist yet). Used by embedded `cofre sql`.
StatusOr<int> LockForEmbeddedUse(const std::string& data_dir);

}  // namespace cofre::server

#endif  // COFRE_SERVER_SERVER_H_
