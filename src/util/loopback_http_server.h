// A loopback HTTP/1.1 server for tests of HTTP clients: real sockets on 127.0.0.1, one thread
// per connection, keep-alive, and responses built by the test (status, headers, body, or a
// misbehaviour: no answer, silence, a body cut short).
// Thread-safety: `respond` runs on the server's connection threads.
#ifndef COFRE_UTIL_LOOPBACK_HTTP_SERVER_H_
#define COFRE_UTIL_LOOPBACK_HTTP_SERVER_H_

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cofre {
namespace http_testing {

struct ReceivedRequest {
  std::string request_line;
  std::string headers;  // raw header block, lower-cased
  std::string body;
};

// A loopback HTTP/1.1 server with keep-alive. `respond` builds each raw response; returning ""
// closes the connection without answering; "STALL" keeps it open silently; a response that
// starts with "CLOSE\n" is sent without that prefix, and then the connection is closed.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::function<std::string(const ReceivedRequest&)> respond)
      : respond_(std::move(respond)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listen_fd_, 16), 0);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~LoopbackServer() {
    stopping_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : conns_) shutdown(fd, SHUT_RDWR);
    for (auto& t : workers_) t.join();
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  int connections() const { return connections_; }
  uint64_t bytes_written() const { return bytes_written_; }
  std::vector<ReceivedRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections_;
      std::lock_guard<std::mutex> lock(mu_);
      conns_.push_back(fd);
      workers_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    std::string buf;
    char chunk[65536];
    while (true) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n <= 0) return Close(fd);
        buf.append(chunk, n);
      }
      ReceivedRequest req;
      std::string head = buf.substr(0, end);
      req.request_line = head.substr(0, head.find("\r\n"));
      req.headers = head.substr(head.find("\r\n") + 2);
      for (char& c : req.headers) c = static_cast<char>(tolower(c));
      size_t content_length = 0;
      if (size_t p = req.headers.find("content-length:"); p != std::string::npos) {
        content_length = std::stoul(req.headers.substr(p + 15));
      }
      buf.erase(0, end + 4);
      while (buf.size() < content_length) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n <= 0) return Close(fd);
        buf.append(chunk, n);
      }
      req.body = buf.substr(0, content_length);
      buf.erase(0, content_length);
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req);
      }
      std::string response = respond_(req);
      if (response.empty()) return Close(fd);
      const bool close_after = response.starts_with("CLOSE\n");
      if (close_after) response.erase(0, 6);
      if (response == "STALL") {
        while (read(fd, chunk, sizeof(chunk)) > 0) {
        }
        return Close(fd);
      }
      size_t off = 0;
      while (off < response.size()) {
        ssize_t n = send(fd, response.data() + off, std::min<size_t>(response.size() - off, 65536),
                         MSG_NOSIGNAL);
        if (n <= 0) return Close(fd);
        off += n;
        bytes_written_ += n;
      }
      if (close_after) return Close(fd);
    }
  }

  void Close(int fd) { shutdown(fd, SHUT_RDWR); }

  std::function<std::string(const ReceivedRequest&)> respond_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<uint64_t> bytes_written_{0};
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> conns_;
  std::vector<std::thread> workers_;
  std::vector<ReceivedRequest> requests_;
};

inline std::string Response(int status, const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

// The value of header `name` (lower case) in a received request's header block.
inline std::optional<std::string> HeaderOf(const ReceivedRequest& r, const std::string& name) {
  size_t p = r.headers.find(name + ":");
  if (p == std::string::npos || (p > 0 && r.headers[p - 1] != '\n')) return std::nullopt;
  size_t begin = p + name.size() + 1;
  size_t end = r.headers.find("\r\n", begin);
  std::string v =
      r.headers.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  v.erase(0, v.find_first_not_of(' '));
  return v;
}

}  // namespace http_testing
}  // namespace cofre

#endif  // COFRE_UTIL_LOOPBACK_HTTP_SERVER_H_
