#include "cli/start_command.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "cli/args.h"
#include "cli/environment_settings.h"
#include "server/server.h"

namespace cofre::cli {

namespace {

int g_signal_pipe[2] = {-1, -1};

void OnSignal(int) {
  char c = 's';
  (void)!::write(g_signal_pipe[1], &c, 1);
}

void Log(const std::string& line) {
  char ts[32];
  std::time_t now = std::time(nullptr);
  std::strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", std::gmtime(&now));
  std::fprintf(stderr, "%s cofre: %s\n", ts, line.c_str());
  std::fflush(stderr);
}

StatusOr<int> ParseInt(const std::string& flag, const std::string& v) {
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgumentError(flag + " takes a non-negative whole number, not \"" + v + "\"");
  }
  return std::stoi(v);
}

StatusOr<server::ServerOptions> ParseStartArgs(const std::vector<std::string>& args,
                                               std::string* log_dir) {
  server::ServerOptions o;
  o.data_dir = std::string(kDefaultDataDir);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i], value;
    size_t eq = flag.find('=');
    if (eq != std::string::npos && flag.starts_with("--")) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    if (flag == "--insecure") {
      o.insecure = true;
      continue;
    }
    auto need_value = [&]() -> Status {
      if (eq != std::string::npos) return Status::OK();
      if (i + 1 >= args.size()) return InvalidArgumentError(flag + " needs a value");
      value = args[++i];
      return Status::OK();
    };
    if (flag == "--data" || flag == "--store") {
      RETURN_IF_ERROR(need_value());
      o.data_dir = value;
    } else if (flag == "--listen-addr") {
      RETURN_IF_ERROR(need_value());
      o.listen_addr = value;
    } else if (flag == "--http-addr") {
      RETURN_IF_ERROR(need_value());
      o.http_addr = value;
    } else if (flag == "--certs-dir") {
      RETURN_IF_ERROR(need_value());
      o.certs_dir = value;
    } else if (flag == "--locality") {
      RETURN_IF_ERROR(need_value());
      RETURN_IF_ERROR(ValidateLocality(value));
      o.locality = value;
    } else if (flag == "--log-dir") {
      RETURN_IF_ERROR(need_value());
      *log_dir = value;
    } else if (flag == "--drain-timeout") {
      RETURN_IF_ERROR(need_value());
      ASSIGN_OR_RETURN(int s, ParseInt(flag, value));
      o.drain_timeout_ms = s * 1000;
    } else if (flag == "--max-connections") {
      RETURN_IF_ERROR(need_value());
      ASSIGN_OR_RETURN(o.max_connections, ParseInt(flag, value));
    } else if (flag == "--statement-timeout") {
      RETURN_IF_ERROR(need_value());
      ASSIGN_OR_RETURN(o.statement_timeout_ms, ParseInt(flag, value));
    } else if (flag == "--lock-timeout") {
      RETURN_IF_ERROR(need_value());
      ASSIGN_OR_RETURN(o.lock_timeout_ms, ParseInt(flag, value));
    } else if (flag == "--schedule-retry-delay") {
      RETURN_IF_ERROR(need_value());
      ASSIGN_OR_RETURN(int s, ParseInt(flag, value));
      o.schedule_retry_delay_ms = s * 1000;
    } else if (flag == "--idle-timeout") {
      RETURN_IF_ERROR(need_value());
      ASSIGN_OR_RETURN(o.idle_timeout_ms, ParseInt(flag, value));
    } else {
      return InvalidArgumentError("unknown flag '" + args[i] + "' for 'cofre start'");
    }
  }
  if (o.insecure && !o.certs_dir.empty()) {
    return InvalidArgumentError("give either --certs-dir or --insecure, not both");
  }
  return o;
}

}  // namespace

int RunStartCommand(const std::vector<std::string>& args) {
  std::string log_dir;
  auto options = ParseStartArgs(args, &log_dir);
  if (!options.ok()) {
    std::fprintf(stderr, "cofre: %s\nTry 'cofre --help'.\n", options.status().message().c_str());
    return 1;
  }
  options->operations = OperationSettingsFromEnvironment();
  if (!log_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(log_dir, ec);
    int fd =
        ::open((log_dir + "/cofre.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
      std::fprintf(stderr, "cofre: cannot open %s/cofre.log: %s\n", log_dir.c_str(),
                   strerror(errno));
      return 1;
    }
    ::dup2(fd, 2);
    ::close(fd);
  }
  if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) return 1;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const bool insecure = options->insecure;
  server::Server srv(*options);
  Status st = srv.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "ERROR: %s\n", st.message().c_str());
    if (!st.hint().empty()) std::fprintf(stderr, "HINT: %s\n", st.hint().c_str());
    return 1;
  }
  if (insecure) {
    Log("WARNING: running in --insecure mode: no TLS, no passwords; any local user can connect "
        "as any user, including root");
  }
  Log("SQL (PostgreSQL wire protocol) on port " + std::to_string(srv.sql_port()) +
      (srv.http_port() ? ", HTTP on port " + std::to_string(srv.http_port()) : std::string()) +
      ", data directory " + options->data_dir);
  Log("node started");
  char c;
  while (::read(g_signal_pipe[0], &c, 1) < 0 && errno == EINTR) {
  }
  Log("draining: no new connections; running statements may finish");
  srv.Shutdown(false);
  // A second signal exits at once: SQLite's journal keeps every commit acknowledged so far.
  std::thread second([] {
    char c2;
    while (::read(g_signal_pipe[0], &c2, 1) < 0 && errno == EINTR) {
    }
    Log("second signal: exiting now");
    std::_Exit(1);
  });
  second.detach();
  srv.Wait();
  Log("stopped");
  return 0;
}

}  // namespace cofre::cli
