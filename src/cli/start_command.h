// `cofre start`: runs the wire server in the foreground until SIGTERM or SIGINT.
//
//   cofre start [--data DIR] [--listen-addr HOST:PORT] [--http-addr HOST:PORT]
//               [--certs-dir DIR | --insecure] [--locality k=v,...] [--log-dir DIR]
//               [--drain-timeout SECONDS] [--max-connections N] [--statement-timeout MS]
//               [--idle-timeout MS] [--schedule-retry-delay SECONDS]
//
// Logs to stderr (or <log-dir>/cofre.log). The first SIGTERM/SIGINT drains (running statements
// finish within the drain timeout) and exits 0; a second one exits at once with status 1.
// Returns the exit code (1 when the server cannot start, with the reason on stderr).
// Thread-safety: call from the main thread only (it installs signal handlers).
#ifndef COFRE_CLI_START_COMMAND_H_
#define COFRE_CLI_START_COMMAND_H_

#include <string>
#include <vector>

namespace cofre::cli {

int RunStartCommand(const std::vector<std::string>& args);

}  // namespace cofre::cli

#endif  // COFRE_CLI_START_COMMAND_H_
