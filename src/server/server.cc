#include "server/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "server/http_endpoint.h"
#include "server/listen.h"
#include "server/pg_connection.h"
#include "server/pg_message.h"
#include "sql/job_statements.h"
#include "sql/schedule_statements.h"
#include "sql/session.h"

namespace cofre::server {

namespace {

std::string PeerAddress(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof(buf));
  } else if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

std::string LockPath(const std::string& data_dir) { return data_dir + "/server.lock"; }

}  // namespace

StatusOr<int> LockForEmbeddedUse(const std::string& data_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(data_dir, ec)) return -1;
  int fd = ::open(LockPath(data_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;  // a read-only directory: nothing to coordinate with
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    char buf[256] = {0};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    std::string addr = n > 0 ? std::string(buf, n) : std::string("its listen address");
    while (!addr.empty() && (addr.back() == '\n' || addr.back() == ' ')) addr.pop_back();
    return FailedPreconditionError("data directory " + data_dir +
                                   " is owned by a running cofre server")
        .WithHint("connect to the server instead: cofre sql --url 'postgresql://root@" + addr +
                  "/defaultdb' (or psql)");
  }
  return fd;
}

Server::Server(ServerOptions options) : ctx_(std::move(options)) {}

Server::~Server() {
  Shutdown(true);
  Wait();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status Server::Start() {
  const ServerOptions& o = ctx_.options;
  ASSIGN_OR_RETURN(HostPort sql_addr, ParseHostPort(o.listen_addr));
  if (o.insecure && !IsLoopback(sql_addr.host)) {
    return InvalidArgumentError(
        "--insecure serves without TLS or passwords: it is allowed only on "
        "a loopback listen address (127.0.0.1, ::1, localhost), not " +
        o.listen_addr);
  }
  if (!o.insecure && o.certs_dir.empty()) {
    return InvalidArgumentError(
        "cofre start needs --certs-dir DIR (see cofre cert) or, on a "
        "loopback address only, --insecure");
  }
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  lock_fd_ = ::open(LockPath(o.data_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) {
    return PermissionDeniedError("cannot create " + LockPath(o.data_dir) + ": " + strerror(errno));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return FailedPreconditionError("data directory " + o.data_dir +
                                   " is in use by another cofre server or a cofre sql session; "
                                   "one server owns a data directory");
  }
  // Opening a session creates the directory, the catalog, users (root) and jobs tables.
  {
    sql::SessionOptions so;
    so.data_dir = o.data_dir;
    so.locality = o.locality;
    ASSIGN_OR_RETURN(auto session, sql::Session::Open(so));
  }
  ASSIGN_OR_RETURN(ctx_.system.dir, DataDir::Open(o.data_dir));
  if (!o.certs_dir.empty()) {
    ASSIGN_OR_RETURN(ctx_.tls, TlsContext::Load(o.certs_dir));
  }
  JobRunnerOptions jro;
  jro.data_dir = o.data_dir;
  ASSIGN_OR_RETURN(
      ctx_.job_runner,
      JobRunner::Start(jro, [dir = o.data_dir, ops = o.operations](const JobExecution& job) {
        return sql::RunStatementJob(dir, ops, job);
      }));
  SchedulerOptions sco;
  sco.data_dir = o.data_dir;
  sco.retry_delay = std::chrono::milliseconds(o.schedule_retry_delay_ms);
  sco.job_created = [runner = ctx_.job_runner.get()] { runner->Notify(); };
  ASSIGN_OR_RETURN(ctx_.scheduler, Scheduler::Start(sco, [dir = o.data_dir](const ScheduleRecord& s,
                                                                            JobRegistry* jobs) {
                     return sql::StartScheduledBackup(dir, s, jobs);
                   }));
  ASSIGN_OR_RETURN(sql_fd_, Listen(sql_addr, &sql_port_));
  if (!o.http_addr.empty()) {
    ASSIGN_OR_RETURN(HostPort http_addr, ParseHostPort(o.http_addr));
    ASSIGN_OR_RETURN(http_fd_, Listen(http_addr, &http_port_));
  }
  std::string advertised =
      (sql_addr.host.empty() ? "127.0.0.1" : sql_addr.host) + ":" + std::to_string(sql_port_);
  if (::ftruncate(lock_fd_, 0) == 0) {
    (void)!::pwrite(lock_fd_, advertised.data(), advertised.size(), 0);
  }
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  if (http_fd_ >= 0) http_thread_ = std::thread([this] { HttpLoop(); });
  monitor_thread_ = std::thread([this] { MonitorLoop(); });
  return Status::OK();
}

void Server::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd p{sql_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd = ::accept4(sql_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (active_threads_.load() >= ctx_.options.max_connections) {
      ctx_.metrics.connections_refused++;
      MessageWriter w;
      w.Begin('E');
      for (auto [k, v] : {std::pair<char, const char*>{'S', "FATAL"},
                          {'V', "FATAL"},
                          {'C', "53300"},
                          {'M', "sorry, too many clients already"}}) {
        w.Byte(k);
        w.CString(v);
      }
      w.Byte(0);
      w.End();
      (void)!::send(fd, w.buffer().data(), w.buffer().size(), MSG_NOSIGNAL);
      ::close(fd);
      continue;
    }
    active_threads_++;
    std::string peer = PeerAddress(ss);
    std::thread([this, fd, peer] {
      {
        PgConnection conn(&ctx_, fd, peer);
        conn.Run();
      }
      active_threads_--;
    }).detach();
  }
}

void Server::MonitorLoop() {
  auto drain_start = std::chrono::steady_clock::time_point{};
  while (!stopped_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ctx_.connections.EnforceTimeouts();
    if (!stopping_.load()) continue;
    if (drain_start == std::chrono::steady_clock::time_point{}) {
      drain_start = std::chrono::steady_clock::now();
    }
    bool past = std::chrono::steady_clock::now() - drain_start >
                std::chrono::milliseconds(ctx_.options.drain_timeout_ms);
    // Idle connections go at once; running statements get the drain timeout.
    ctx_.connections.ForEach([&](LiveConnection* c) {
      if (past) c->InterruptStatement();
      if (past || c->StatementElapsedMs() < 0) c->Close();
    });
    if (active_threads_.load() == 0) stopped_ = true;
  }
}

void Server::HttpLoop() {
  while (!stopping_.load()) {
    pollfd p{http_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    int fd = ::accept4(http_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ServeHttp(fd, [this](const std::string& path) -> HttpResponse {
      if (path == "/health") return {200, "text/plain", "ok\n"};
      if (path == "/health?ready=1") {
        if (ctx_.draining.load()) return {503, "text/plain", "draining\n"};
        return {200, "text/plain", "ready\n"};
      }
      if (path == "/metrics") return {200, "text/plain; version=0.0.4", RenderMetrics()};
      return {404, "text/plain", "not found\n"};
    });
    ::close(fd);
  }
}

void Server::Shutdown(bool immediate) {
  ctx_.draining = true;
  stopping_ = true;
  if (immediate) {
    ctx_.connections.ForEach([](LiveConnection* c) {
      c->InterruptStatement();
      c->Close();
    });
  }
}

void Server::Wait() {
  if (accept_thread_.joinable()) accept_thread_.join();
  // No new scheduled job; jobs stop at once on shutdown (between pieces of work) and run again at
  // the next start.
  if (ctx_.scheduler) ctx_.scheduler->Shutdown();
  if (ctx_.job_runner) ctx_.job_runner->Shutdown();
  if (http_thread_.joinable()) http_thread_.join();
  if (monitor_thread_.joinable()) monitor_thread_.join();
  while (active_threads_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (sql_fd_ >= 0) ::close(sql_fd_);
  if (http_fd_ >= 0) ::close(http_fd_);
  sql_fd_ = http_fd_ = -1;
}

}  // namespace cofre::server
