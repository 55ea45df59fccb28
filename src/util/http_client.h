// HttpClient: one HTTP/1.1 connection (libcurl easy handle) that sends requests one at a time.
//
// A client keeps its connection open between requests (keep-alive), so reuse one client for many
// requests to the same host. Send() buffers the whole response body; SendStreaming() hands 2xx
// body bytes to a callback as they arrive, so large downloads are never held in memory (non-2xx
// bodies, which carry error documents, are buffered up to a small limit instead); Open() returns
// once the headers arrived and lets the caller pull the body (HttpBodyStream), no faster than it
// reads: what it has not asked for waits in the connection, not in memory.
//
// Results: any HTTP status is a successful Send() (the caller interprets the status). Transport
// failures (DNS, connect, reset, timeout) are Unavailable, naming host:port but never the query
// string (which may hold presigned credentials). A callback error aborts the transfer and is
// returned as is.
//
// Thread-safety: an HttpClient is used by one thread at a time. Threads that share a host use an
// HttpClientPool, which lends each thread its own client and keeps idle connections for reuse.
#ifndef COFRE_UTIL_HTTP_CLIENT_H_
#define COFRE_UTIL_HTTP_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"
#include "util/stream.h"

namespace cofre {

// An ordered list of header fields with case-insensitive lookup.
class HttpHeaders {
 public:
  void Add(std::string name, std::string value);
  // Replaces every field named `name` (any case) with one field.
  void Set(std::string name, std::string value);
  // The first value of `name` (any case), if present.
  std::optional<std::string> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  void Clear() { fields_.clear(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct HttpRequest {
  std::string method = "GET";  // "GET", "PUT", "POST", "HEAD", "DELETE"
  std::string url;             // absolute, already percent-encoded
  HttpHeaders headers;

  // Request body: `body` unless `body_source` is set, in which case exactly `body_length` bytes
  // are read from it (the source must outlive the call and cannot be re-sent).
  std::string_view body;
  ByteSource* body_source = nullptr;
  uint64_t body_length = 0;

  std::chrono::milliseconds connect_timeout{10'000};
  // Whole-request deadline; zero means none (large transfers rely on the stall timeout).
  std::chrono::milliseconds total_timeout{0};
  // The request fails when fewer than one byte moves for this long.
  std::chrono::milliseconds stall_timeout{60'000};
  // A PEM file of the certificate authorities to verify https:// peers with, instead of the
  // system's bundle (private endpoints, emulators with their own CA). Empty: the system's.
  std::string ca_file;
  // Send() fails (ResourceExhausted) when a response body grows beyond this: a server, or
  // whoever answers in its place, cannot make the client buffer without bound. (SendStreaming
  // hands 2xx bodies to its callback, and keeps at most 1 MiB of other bodies.)
  size_t max_response_bytes = 64u << 20;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;  // for SendStreaming: only non-2xx bodies (error documents)
};

// Called with consecutive pieces of a 2xx response body. A non-OK status aborts the transfer.
using HttpBodyCallback = std::function<Status(std::string_view)>;

class HttpBodyStream;

// One libcurl handle, reused from request to request. Every request fails with
// FailedPrecondition when libcurl cannot be loaded (util/curl_library.h).
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` and buffers the whole response body.
  StatusOr<HttpResponse> Send(const HttpRequest& request);
  // Sends `request`; 2xx body bytes go to `on_body`, other bodies (up to 1 MiB) to response.body.
  StatusOr<HttpResponse> SendStreaming(const HttpRequest& request, const HttpBodyCallback& on_body);
  // Sends `request` (a GET: InvalidArgument for any other method or a body) over HTTP/1.1 and
  // returns once the final response's status and headers arrived; a non-2xx response's body (up
  // to 1 MiB) is read too and is in response().body. A 2xx body is then read with
  // HttpBodyStream::Read as the caller asks for it. The client is busy until the stream is
  // destroyed, which must happen before the client's destruction; destroying the stream before
  // the body's end closes the connection, after it keeps the connection for the client's next
  // Open(). Transport failures are Unavailable, as for Send().
  StatusOr<std::unique_ptr<HttpBodyStream>> Open(const HttpRequest& request);

 private:
  struct Transfer;
  Status load_status_;     // why libcurl could not be loaded (then curl_ is null)
  void* curl_ = nullptr;   // CURL*
  void* multi_ = nullptr;  // CURLM* that Open() runs transfers in (and keeps connections of)
};

// The body of a response being received (HttpClient::Open, HttpClientPool::Open). Between reads
// the transfer is paused: the bytes not yet asked for stay in the connection (the server waits
// when the socket's buffers are full), and the stream holds at most one receive buffer
// (kBufferBytes) of them, whatever the body's size. A pause is not a stall: the stall timeout
// counts only while a Read() waits.
// Thread-safety: one thread at a time.
class HttpBodyStream : public ByteSource {
 public:
  static constexpr size_t kBufferBytes = 128 << 10;

  ~HttpBodyStream() override;
  HttpBodyStream(const HttpBodyStream&) = delete;
  HttpBodyStream& operator=(const HttpBodyStream&) = delete;

  // The status and headers; for a non-2xx response, its body too (up to 1 MiB).
  const HttpResponse& response() const;
  // Reads body bytes into `buf` until `n` arrived or the body ended; 0 at its end (and always
  // for a non-2xx response). A transport failure (reset, stall, a body shorter than its
  // Content-Length) is Unavailable, returned once the bytes received before it were read.
  StatusOr<size_t> Read(char* buf, size_t n) override;
  // Body bytes received but not read yet that the stream holds itself (the rest of a piece
  // larger than the last Read() asked for): at most kBufferBytes.
  size_t held_bytes() const;

 private:
  friend class HttpClient;
  friend class HttpClientPool;
  struct State;
  explicit HttpBodyStream(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Lends HttpClients to threads and keeps up to `max_idle` of them (with their open connections)
// for reuse. Thread-safe.
class HttpClientPool {
 public:
  explicit HttpClientPool(size_t max_idle = 16) : max_idle_(max_idle) {}

  class Lease {
   public:
    Lease(HttpClientPool* pool, std::unique_ptr<HttpClient> client)
        : pool_(pool), client_(std::move(client)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    HttpClient* operator->() { return client_.get(); }
    HttpClient& operator*() { return *client_; }

   private:
    HttpClientPool* pool_;
    std::unique_ptr<HttpClient> client_;
  };

  // An idle client if there is one, else a new one. Returned to the pool when the lease ends.
  Lease Acquire();
  // HttpClient::Open on a lent client, which the stream keeps until it is destroyed.
  StatusOr<std::unique_ptr<HttpBodyStream>> Open(const HttpRequest& request);

 private:
  void Release(std::unique_ptr<HttpClient> client);

  const size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<HttpClient>> idle_;
};

// "host:port" of an absolute URL, for messages (port filled in from the scheme when absent).
std::string HostPortOf(std::string_view url);

// Whether `host_port` ("127.0.0.1:4566", "[::1]:80", "localhost") names this machine: where
// plain http:// may carry credentials and keys (a local emulator, a sidecar proxy).
bool IsLoopbackHostPort(std::string_view host_port);

}  // namespace cofre

#endif  // COFRE_UTIL_HTTP_CLIENT_H_
