// TLS for the wire server: the server context from a certs directory laid out as `cockroach
// cert` lays it out (ca.crt, node.crt, node.key; client.<user>.crt/.key for clients), and one
// connection's TLS stream.
//
// With a CA present, client certificates signed by it are verified (not required: a client
// without one authenticates with a password); expired or foreign certificates fail the
// handshake. TLS 1.2 is the minimum.
// Thread-safety: a TlsContext is shared read-only by connections; a TlsStream is used by one
// connection thread.
#ifndef COFRE_SERVER_TLS_H_
#define COFRE_SERVER_TLS_H_

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>

#include "util/status.h"

namespace cofre::server {

class TlsContext {
 public:
  // Loads <certs_dir>/node.crt, node.key and ca.crt. NotFound / InvalidArgument naming the file.
  static StatusOr<std::unique_ptr<TlsContext>> Load(const std::string& certs_dir);
  ~TlsContext();
  SSL_CTX* get() const { return ctx_; }
  // tls-server-end-point channel binding data: the hash of the server certificate.
  const std::string& channel_binding() const { return channel_binding_; }

 private:
  TlsContext() = default;
  SSL_CTX* ctx_ = nullptr;
  std::string channel_binding_;
};

// A socket, plain or TLS, with bounded waits.
class Stream {
 public:
  explicit Stream(int fd) : fd_(fd) {}
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Runs the TLS handshake on the socket. PermissionDenied when it fails (bad certificate).
  Status StartTls(const TlsContext& ctx, int timeout_ms);
  bool tls() const { return ssl_ != nullptr; }
  // The CN of a verified client certificate, if the client presented one.
  std::optional<std::string> PeerCommonName() const;

  // Reads exactly n bytes, waiting at most timeout_ms for each part (-1: forever).
  // Unavailable on EOF, DeadlineExceeded on timeout.
  Status ReadExact(char* out, size_t n, int timeout_ms);
  Status WriteAll(std::string_view data);
  // Wakes a blocked read (for shutdown); thread-safe.
  void ShutdownRead();
  int fd() const { return fd_; }

 private:
  Status WaitReadable(int timeout_ms);
  // Reads what is available (at least one byte, waiting up to timeout_ms) into in_.
  Status Fill(int timeout_ms);
  int fd_;
  SSL* ssl_ = nullptr;
  // Bytes received and not yet consumed: one recv serves every message a client pipelined.
  std::string in_;
  size_t in_pos_ = 0;
};

}  // namespace cofre::server

#endif  // COFRE_SERVER_TLS_H_
