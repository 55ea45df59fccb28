#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace cofre::server {

namespace {

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

}  // namespace

StatusOr<std::unique_ptr<TlsContext>> TlsContext::Load(const std::string& certs_dir) {
  namespace fs = std::filesystem;
  const std::string cert = certs_dir + "/node.crt", key = certs_dir + "/node.key",
                    ca = certs_dir + "/ca.crt";
  for (const auto& f : {cert, key}) {
    if (!fs::exists(f)) {
      return NotFoundError("certificate file " + f +
                           " is missing; create it with cofre cert create-node");
    }
  }
  std::unique_ptr<TlsContext> t(new TlsContext);
  t->ctx_ = SSL_CTX_new(TLS_server_method());
  if (!t->ctx_) return InternalError("cannot create a TLS context: " + OpenSslError());
  SSL_CTX_set_min_proto_version(t->ctx_, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(t->ctx_, cert.c_str()) != 1) {
    return InvalidArgumentError("cannot load " + cert + ": " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(t->ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(t->ctx_) != 1) {
    return InvalidArgumentError("cannot load " + key + " (or it does not match " + cert +
                                "): " + OpenSslError());
  }
  if (fs::exists(ca)) {
    if (SSL_CTX_load_verify_locations(t->ctx_, ca.c_str(), nullptr) != 1) {
      return InvalidArgumentError("cannot load " + ca + ": " + OpenSslError());
    }
    SSL_CTX_set_verify(t->ctx_, SSL_VERIFY_PEER, nullptr);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str());
    if (names) SSL_CTX_set_client_CA_list(t->ctx_, names);
  }
  // tls-server-end-point (RFC 5929): the certificate's hash with its signature's digest,
  // SHA-256 for MD5/SHA-1.
  X509* x = SSL_CTX_get0_certificate(t->ctx_);
  int md_nid = NID_sha256;
  int pkey_nid = 0;
  if (X509_get_signature_info(x, &md_nid, &pkey_nid, nullptr, nullptr) != 1 || md_nid == NID_md5 ||
      md_nid == NID_sha1 || md_nid == NID_undef) {
    md_nid = NID_sha256;
  }
  const EVP_MD* md = EVP_get_digestbynid(md_nid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (md && X509_digest(x, md, digest, &len) == 1) {
    t->channel_binding_.assign(reinterpret_cast<char*>(digest), len);
  }
  return t;
}

TlsContext::~TlsContext() {
  if (ctx_) SSL_CTX_free(ctx_);
}

Stream::~Stream() {
  if (ssl_) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (fd_ >= 0) ::close(fd_);
}

void Stream::ShutdownRead() { ::shutdown(fd_, SHUT_RD); }

Status Stream::WaitReadable(int timeout_ms) {
  if (in_pos_ < in_.size()) return Status::OK();
  // No deadline: the blocking read itself waits (one system call fewer per request).
  // ShutdownRead() still wakes it.
  if (timeout_ms < 0) return Status::OK();
  if (ssl_ && SSL_pending(ssl_) > 0) return Status::OK();
  pollfd p{fd_, POLLIN, 0};
  while (true) {
    int rc = ::poll(&p, 1, timeout_ms);
    if (rc > 0) return Status::OK();
    if (rc == 0) return DeadlineExceededError("timed out waiting for the client");
    if (errno != EINTR) return UnavailableError(std::string("poll: ") + strerror(errno));
  }
}

Status Stream::StartTls(const TlsContext& ctx, int timeout_ms) {
  if (in_pos_ != in_.size()) {
    // Bytes sent after SSLRequest before the handshake: a man in the middle's injection.
    return PermissionDeniedError("unexpected data before the TLS handshake");
  }
  ssl_ = SSL_new(ctx.get());
  if (!ssl_) return InternalError("cannot start TLS: " + OpenSslError());
  SSL_set_fd(ssl_, fd_);
  while (true) {
    int rc = SSL_accept(ssl_);
    if (rc == 1) return Status::OK();
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ) {
      RETURN_IF_ERROR(WaitReadable(timeout_ms));
      continue;
    }
    if (err == SSL_ERROR_WANT_WRITE) continue;
    return PermissionDeniedError("TLS handshake failed: " + OpenSslError());
  }
}

std::optional<std::string> Stream::PeerCommonName() const {
  if (!ssl_) return std::nullopt;
  X509* peer = SSL_get1_peer_certificate(ssl_);
  if (!peer) return std::nullopt;
  std::optional<std::string> cn;
  if (SSL_get_verify_result(ssl_) == X509_V_OK) {
    char buf[256];
    int n =
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof(buf));
    if (n > 0) cn = std::string(buf, n);
  }
  X509_free(peer);
  return cn;
}

Status Stream::Fill(int timeout_ms) {
  RETURN_IF_ERROR(WaitReadable(timeout_ms));
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  }
  char buf[64 * 1024];
  while (true) {
    if (ssl_) {
      int rc = SSL_read(ssl_, buf, sizeof(buf));
      if (rc <= 0) {
        int err = SSL_get_error(ssl_, rc);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
          RETURN_IF_ERROR(WaitReadable(timeout_ms));
          continue;
        }
        return UnavailableError("the client closed the connection");
      }
      in_.append(buf, static_cast<size_t>(rc));
      return Status::OK();
    }
    ssize_t rc = ::recv(fd_, buf, sizeof(buf), 0);
    if (rc == 0) return UnavailableError("the client closed the connection");
    if (rc < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        RETURN_IF_ERROR(WaitReadable(timeout_ms));
        continue;
      }
      return UnavailableError(std::string("read: ") + strerror(errno));
    }
    in_.append(buf, static_cast<size_t>(rc));
    return Status::OK();
  }
}

Status Stream::ReadExact(char* out, size_t n, int timeout_ms) {
  size_t got = 0;
  while (got < n) {
    if (in_pos_ == in_.size()) RETURN_IF_ERROR(Fill(timeout_ms));
    size_t take = std::min(n - got, in_.size() - in_pos_);
    std::memcpy(out + got, in_.data() + in_pos_, take);
    in_pos_ += take;
    got += take;
  }
  return Status::OK();
}

Status Stream::WriteAll(std::string_view data) {
  size_t sent = 0;
  while (sent < data.size()) {
    if (ssl_) {
      int rc = SSL_write(ssl_, data.data() + sent,
                         static_cast<int>(std::min<size_t>(data.size() - sent, 1 << 20)));
      if (rc <= 0) {
        int err = SSL_get_error(ssl_, rc);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
        return UnavailableError("the client closed the connection");
      }
      sent += rc;
    } else {
      ssize_t rc = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (rc < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return UnavailableError(std::string("write: ") + strerror(errno));
      }
      sent += static_cast<size_t>(rc);
    }
  }
  return Status::OK();
}

}  // namespace cofre::server
