// ServerOptions: everything `cofre start` configures, with documented defaults, and the
// counters the server exports on /metrics.
// Thread-safety: options are plain values; Metrics counters are atomics.
#ifndef COFRE_SERVER_SERVER_OPTIONS_H_
#define COFRE_SERVER_SERVER_OPTIONS_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "sql/operation_settings.h"

namespace cofre::server {

struct ServerOptions {
  std::string data_dir = "cofre-data";
  std::string listen_addr = "127.0.0.1:26257";  // host:port of the SQL (pgwire) listener
  std::string http_addr = "127.0.0.1:8080";     // host:port of /health and /metrics; "" = off
  std::string certs_dir;                        // TLS and client certificates (tls.h)
  bool insecure = false;                 // no TLS, no passwords: loopback listen addresses only
  std::string locality;                  // e.g. "region=us-west"
  int max_connections = 500;             // more get SQLSTATE 53300
  size_t max_message_size = 64 << 20;    // a larger client message ends the connection (08P01)
  int auth_timeout_ms = 10'000;          // startup and authentication must finish in this time
  int idle_timeout_ms = 0;               // idle session timeout; 0: none
  int statement_timeout_ms = 0;          // default statement_timeout; 0: none
  int drain_timeout_ms = 10'000;         // on SIGTERM: how long running statements may finish
  int lock_timeout_ms = 10'000;          // how long a writer waits for SQLite's write lock (40001)
  int max_failed_logins = 5;             // failures per user or address before logins slow down
  sql::OperationSettings operations;     // backup/restore tuning of every session and job
  int schedule_retry_delay_ms = 60'000;  // on_execution_failure = 'retry': wait before rerunning
};

struct Metrics {
  std::atomic<int64_t> connections_total{0};
  std::atomic<int64_t> connections_open{0};
  std::atomic<int64_t> connections_refused{0};
  std::atomic<int64_t> auth_failures{0};
  std::atomic<int64_t> statements_total{0};
  std::atomic<int64_t> statement_errors{0};
  std::atomic<int64_t> bytes_received{0};
  std::atomic<int64_t> bytes_sent{0};
  std::atomic<int64_t> cancel_requests{0};
};

}  // namespace cofre::server

#endif  // COFRE_SERVER_SERVER_OPTIONS_H_
