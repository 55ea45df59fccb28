// Listening sockets for the server: "host:port" parsing, binding, and loopback checks.
// Thread-safety: pure functions.
#ifndef COFRE_SERVER_LISTEN_H_
#define COFRE_SERVER_LISTEN_H_

#include <string>

#include "util/status.h"

namespace cofre::server {

struct HostPort {
  std::string host;
  int port = 0;
};
// "host:port", "[v6]:port" or ":port" (all interfaces). InvalidArgument naming the value.
StatusOr<HostPort> ParseHostPort(const std::string& addr);
// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopback(const std::string& host);
// A listening TCP socket on addr (SO_REUSEADDR); returns the fd and sets *bound_port.
StatusOr<int> Listen(const HostPort& addr, int* bound_port);

}  // namespace cofre::server

#endif  // COFRE_SERVER_LISTEN_H_
