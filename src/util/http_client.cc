#include "util/http_client.h"

#include <strings.h>

#include <algorithm>
#include <cstring>

#include "util/curl_library.h"
#include "util/wipe.h"

namespace cofre {
namespace {

constexpr size_t kMaxErrorBodyBytes = 1 << 20;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// libcurl, loaded by the first HttpClient: only a client that loaded it has handles, and every
// call below is on one of them (HttpClient::HttpClient).
const CurlLibrary& Curl() { return **CurlLibrary::Get(); }

// Adds one header line to `headers`. A status line starts a new response (after 100 Continue or
// a redirect): the earlier headers are forgotten.
void TakeHeaderLine(std::string_view line, HttpHeaders* headers) {
  if (line.starts_with("HTTP/")) {
    headers->Clear();
    return;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    headers->Add(std::string(TrimWhitespace(line.substr(0, colon))),
                 std::string(TrimWhitespace(line.substr(colon + 1))));
  }
}

// Sets what every transfer of `request` shares: URL, CA file, timeouts, error buffer and the
// request's header fields. Returns the header list, to free once the transfer ended.
curl_slist* SetCommonOptions(CURL* curl, const HttpRequest& request, char* errbuf) {
  Curl().curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  if (!request.ca_file.empty()) {
    Curl().curl_easy_setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str());
  }
  Curl().curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  Curl().curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  Curl().curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                          static_cast<long>(request.connect_timeout.count()));
  if (request.total_timeout.count() > 0) {
    Curl().curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                            static_cast<long>(request.total_timeout.count()));
  }
  if (request.stall_timeout.count() > 0) {
    long secs = static_cast<long>((request.stall_timeout.count() + 999) / 1000);
    Curl().curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    Curl().curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, secs);
  }
  curl_slist* headers = nullptr;
  // No "Expect: 100-continue" round trip; S3 answers errors after the body just as well.
  headers = Curl().curl_slist_append(headers, "Expect:");
  for (const auto& [name, value] : request.headers.fields()) {
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    headers = Curl().curl_slist_append(headers, line.c_str());
    WipeString(&line);  // it may hold credentials (an Authorization header)
  }
  Curl().curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  return headers;
}

// Frees a header list made by SetCommonOptions, wiping its lines first.
void FreeHeaderList(curl_slist* headers) {
  for (curl_slist* h = headers; h != nullptr; h = h->next) {
    if (h->data != nullptr) WipeBytes(h->data, std::strlen(h->data));
  }
  Curl().curl_slist_free_all(headers);
}

// The Unavailable a failed transfer is. It names host:port and never the query string:
// presigned URLs carry credentials there.
Status TransportError(const std::string& method, const std::string& host_port, CURLcode rc,
                      const char* errbuf) {
  std::string detail = errbuf[0] != '\0' ? errbuf : Curl().curl_easy_strerror(rc);
  detail = detail.substr(0, detail.find('?'));
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  return UnavailableError("HTTP " + method + " to " + host_port + " failed: " + detail +
                          "; check that the endpoint is reachable");
}

}  // namespace

void HttpHeaders::Add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void HttpHeaders::Set(std::string name, std::string value) {
  std::erase_if(fields_, [&](const auto& f) { return EqualsIgnoreCase(f.first, name); });
  fields_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> HttpHeaders::Get(std::string_view name) const {
  for (const auto& [k, v] : fields_) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return std::nullopt;
}

std::string HostPortOf(std::string_view url) {
  std::string_view scheme;
  if (size_t p = url.find("://"); p != std::string_view::npos) {
    scheme = url.substr(0, p);
    url.remove_prefix(p + 3);
  }
  url = url.substr(0, url.find_first_of("/?#"));
  if (size_t at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  size_t host_end = url.size();
  if (!url.empty() && url.front() == '[') {
    host_end = url.find(']');
    host_end = host_end == std::string_view::npos ? url.size() : host_end + 1;
  } else if (size_t colon = url.rfind(':'); colon != std::string_view::npos) {
    host_end = colon;
  }
  if (host_end < url.size() && url[host_end] == ':') return std::string(url);
  std::string port = EqualsIgnoreCase(scheme, "https") ? "443" : "80";
  return std::string(url.substr(0, host_end)) + ":" + port;
}

// State shared with libcurl's callbacks during one transfer.
struct HttpClient::Transfer {
  CURL* curl = nullptr;
  const HttpRequest* request = nullptr;
  const HttpBodyCallback* on_body = nullptr;  // null: buffer everything
  HttpResponse response;
  size_t body_pos = 0;
  uint64_t source_sent = 0;
  Status callback_status;

  static size_t OnHeader(char* data, size_t size, size_t n, void* self) {
    TakeHeaderLine(std::string_view(data, size * n),
                   &static_cast<Transfer*>(self)->response.headers);
    return size * n;
  }

  static size_t OnBody(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    size_t len = size * n;
    long code = 0;
    Curl().curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    bool success = code >= 200 && code < 300;
    if (t->on_body != nullptr && success) {
      t->callback_status = (*t->on_body)(std::string_view(data, len));
      return t->callback_status.ok() ? len : 0;
    }
    if (t->on_body != nullptr && t->response.body.size() + len > kMaxErrorBodyBytes) {
      len = kMaxErrorBodyBytes - std::min(kMaxErrorBodyBytes, t->response.body.size());
      t->response.body.append(data, len);
      return size * n;
    }
    if (t->on_body == nullptr && t->response.body.size() + len > t->request->max_response_bytes) {
      t->callback_status =
          ResourceExhaustedError("the response from the server is larger than " +
                                 std::to_string(t->request->max_response_bytes) +
                                 " bytes, more than any answer to this request can be");
      return 0;
    }
    t->response.body.append(data, len);
    return len;
  }

  static size_t OnRead(char* buf, size_t size, size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    size_t want = size * n;
    const HttpRequest& r = *t->request;
    if (r.body_source == nullptr) {
      size_t k = std::min(want, r.body.size() - t->body_pos);
      std::memcpy(buf, r.body.data() + t->body_pos, k);
      t->body_pos += k;
      return k;
    }
    uint64_t left = r.body_length - t->source_sent;
    if (left == 0) return 0;
    want = static_cast<size_t>(std::min<uint64_t>(want, left));
    StatusOr<size_t> got = r.body_source->Read(buf, want);
    if (!got.ok()) {
      t->callback_status = got.status();
      return CURL_READFUNC_ABORT;
    }
    if (*got == 0) {
      t->callback_status =
          InvalidArgumentError("request body source ended after " + std::to_string(t->source_sent) +
                               " of " + std::to_string(r.body_length) + " bytes");
      return CURL_READFUNC_ABORT;
    }
    t->source_sent += *got;
    return *got;
  }

  static int OnSeek(void* self, curl_off_t offset, int origin) {
    auto* t = static_cast<Transfer*>(self);
    // Only in-memory bodies can be rewound (curl resends them on a stale reused connection).
    if (t->request->body_source != nullptr || origin != SEEK_SET || offset < 0 ||
        static_cast<uint64_t>(offset) > t->request->body.size()) {
      return CURL_SEEKFUNC_CANTSEEK;
    }
    t->body_pos = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
  }
};

HttpClient::HttpClient() {
  StatusOr<const CurlLibrary*> curl = CurlLibrary::Get();
  if (!curl.ok()) {
    load_status_ = curl.status();
    return;
  }
  curl_ = (*curl)->curl_easy_init();
}

HttpClient::~HttpClient() {
  if (multi_ != nullptr) Curl().curl_multi_cleanup(static_cast<CURLM*>(multi_));
  if (curl_ != nullptr) Curl().curl_easy_cleanup(static_cast<CURL*>(curl_));
}

StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  return SendStreaming(request, nullptr);
}

StatusOr<HttpResponse> HttpClient::SendStreaming(const HttpRequest& request,
                                                 const HttpBodyCallback& on_body) {
  CURL* curl = static_cast<CURL*>(curl_);
  const std::string host_port = HostPortOf(request.url);
  if (!load_status_.ok()) return load_status_;
  if (curl == nullptr) {
    return ResourceExhaustedError("could not create an HTTP handle for " + host_port +
                                  "; the process may be out of memory");
  }
  Curl().curl_easy_reset(curl);  // keeps the open connections and DNS cache

  Transfer t;
  t.curl = curl;
  t.request = &request;
  t.on_body = on_body ? &on_body : nullptr;
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_slist* headers = SetCommonOptions(curl, request, errbuf);
  Curl().curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  Curl().curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);

  const bool has_body = request.body_source != nullptr || !request.body.empty();
  const uint64_t body_len =
      request.body_source != nullptr ? request.body_length : request.body.size();
  if (request.method == "HEAD") {
    Curl().curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (has_body || request.method == "PUT" || request.method == "POST") {
    Curl().curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    Curl().curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_len));
    Curl().curl_easy_setopt(curl, CURLOPT_READFUNCTION, &Transfer::OnRead);
    Curl().curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    Curl().curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, &Transfer::OnSeek);
    Curl().curl_easy_setopt(curl, CURLOPT_SEEKDATA, &t);
    if (request.method != "PUT") {
      Curl().curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  } else if (request.method != "GET") {
    Curl().curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  CURLcode rc = Curl().curl_easy_perform(curl);
  long code = 0;
  Curl().curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  FreeHeaderList(headers);
  Curl().curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);

  if (!t.callback_status.ok()) return t.callback_status;
  if (rc != CURLE_OK) return TransportError(request.method, host_port, rc, errbuf);
  t.response.status = static_cast<int>(code);
  return std::move(t.response);
}

// A transfer whose body the caller pulls. The easy handle runs in the client's multi handle, so
// that a Read() can drive it until its buffer is full and then leave it paused.
struct HttpBodyStream::State {
  CURL* curl = nullptr;
  CURLM* multi = nullptr;  // the client's; the easy handle is in it while the stream lives
  curl_slist* headers = nullptr;
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::string method;
  std::string host_port;
  std::optional<HttpClientPool::Lease> lease;  // the client lent to the stream (pool Open)

  HttpResponse response;
  bool final_headers = false;  // the final response's header block ended
  bool success = false;        // ... and its status is 2xx
  bool done = false;           // the transfer ended: `result` says how
  CURLcode result = CURLE_OK;
  bool paused = false;  // receiving is paused (by OnBody, or by Read() on its way out)

  // The running Read(): bytes [0, got) of dest[0, room) are filled.
  char* dest = nullptr;
  size_t room = 0;
  size_t got = 0;
  // What a piece of the body held beyond the last Read()'s room (at most one piece).
  std::string spill;
  size_t spill_pos = 0;

  ~State() {
    // Closes the connection if the body did not end; else the multi handle keeps it for reuse.
    if (multi != nullptr) Curl().curl_multi_remove_handle(multi, curl);
    FreeHeaderList(headers);
    if (curl != nullptr) Curl().curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  }

  long Code() const {
    long code = 0;
    Curl().curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    return code;
  }

  static size_t OnHeader(char* data, size_t size, size_t n, void* self) {
    auto* s = static_cast<State*>(self);
    std::string_view line(data, size * n);
    if (TrimWhitespace(line).empty()) {
      // The blank line that ends a header block: final unless it was a 1xx's.
      if (s->Code() >= 200) s->final_headers = true;
    } else {
      TakeHeaderLine(line, &s->response.headers);
    }
    return size * n;
  }

  static size_t OnBody(char* data, size_t size, size_t n, void* self) {
    auto* s = static_cast<State*>(self);
    const size_t len = size * n;
    const long code = s->Code();
    if (code < 200 || code >= 300) {
      size_t keep =
          std::min(len, kMaxErrorBodyBytes - std::min(kMaxErrorBodyBytes, s->response.body.size()));
      s->response.body.append(data, keep);
      return len;
    }
    if (s->dest == nullptr || s->got == s->room || s->spill_pos < s->spill.size()) {
      // No room: curl keeps this piece and hands it over again when unpaused.
      s->paused = true;
      return CURL_WRITEFUNC_PAUSE;
    }
    const size_t k = std::min(len, s->room - s->got);
    std::memcpy(s->dest + s->got, data, k);
    s->got += k;
    if (k < len) {
      s->spill.assign(data + k, len - k);
      s->spill_pos = 0;
    }
    return len;
  }

  // Moves the transfer on; with `wait`, first waits (up to a second) for the socket when there
  // is nothing to do yet. Sets done/result when the transfer ended.
  Status Drive(bool wait) {
    if (wait) {
      CURLMcode pc = Curl().curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
      if (pc != CURLM_OK) {
        return InternalError(std::string("curl_multi_poll: ") + Curl().curl_multi_strerror(pc));
      }
    }
    int running = 0;
    CURLMcode mc = Curl().curl_multi_perform(multi, &running);
    if (mc != CURLM_OK) {
      return InternalError(std::string("curl_multi_perform: ") + Curl().curl_multi_strerror(mc));
    }
    int queued = 0;
    while (CURLMsg* m = Curl().curl_multi_info_read(multi, &queued)) {
      if (m->msg == CURLMSG_DONE) {
        done = true;
        result = m->data.result;
      }
    }
    return Status::OK();
  }
};

HttpBodyStream::HttpBodyStream(std::unique_ptr<State> state) : state_(std::move(state)) {}
HttpBodyStream::~HttpBodyStream() = default;

const HttpResponse& HttpBodyStream::response() const { return state_->response; }

size_t HttpBodyStream::held_bytes() const { return state_->spill.size() - state_->spill_pos; }

StatusOr<size_t> HttpBodyStream::Read(char* buf, size_t n) {
  State& s = *state_;
  if (!s.success || n == 0) return size_t{0};
  s.dest = buf;
  s.room = n;
  s.got = 0;
  // The dest pointer must not outlive this call, whatever path leaves it.
  struct ClearDest {
    State& s;
    ~ClearDest() { s.dest = nullptr; }
  } clear_dest{s};

  if (s.spill_pos < s.spill.size()) {
    const size_t k = std::min(n, s.spill.size() - s.spill_pos);
    std::memcpy(buf, s.spill.data() + s.spill_pos, k);
    s.spill_pos += k;
    s.got = k;
    if (s.spill_pos == s.spill.size()) {
      s.spill.clear();
      s.spill_pos = 0;
    }
  }
  bool first = true;
  while (s.got < s.room && !s.done) {
    if (s.paused) {
      s.paused = false;
      CURLcode rc = Curl().curl_easy_pause(s.curl, CURLPAUSE_CONT);  // may deliver a kept piece now
      if (rc != CURLE_OK) {
        s.done = true;
        s.result = rc;
        break;
      }
      if (s.got == s.room) break;
    }
    // Bytes may be waiting already: try without waiting first.
    RETURN_IF_ERROR(s.Drive(/*wait=*/!first));
    first = false;
  }
  if (!s.done && !s.paused) {
    // Leave the rest in the connection until the next Read().
    if (Curl().curl_easy_pause(s.curl, CURLPAUSE_RECV) == CURLE_OK) s.paused = true;
  }
  if (s.got > 0) return s.got;
  if (s.done && s.result != CURLE_OK) {
    return TransportError(s.method, s.host_port, s.result, s.errbuf);
  }
  return size_t{0};
}

StatusOr<std::unique_ptr<HttpBodyStream>> HttpClient::Open(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  const std::string host_port = HostPortOf(request.url);
  if (request.method != "GET" || request.body_source != nullptr || !request.body.empty()) {
    return InvalidArgumentError("HttpClient::Open sends GET requests without a body, not " +
                                request.method);
  }
  if (!load_status_.ok()) return load_status_;
  if (curl == nullptr) {
    return ResourceExhaustedError("could not create an HTTP handle for " + host_port +
                                  "; the process may be out of memory");
  }
  Curl().curl_easy_reset(curl);

  auto state = std::make_unique<HttpBodyStream::State>();
  HttpBodyStream::State& s = *state;
  s.curl = curl;
  s.method = request.method;
  s.host_port = host_port;
  s.headers = SetCommonOptions(curl, request, s.errbuf);
  Curl().curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &HttpBodyStream::State::OnHeader);
  Curl().curl_easy_setopt(curl, CURLOPT_HEADERDATA, &s);
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &HttpBodyStream::State::OnBody);
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
  Curl().curl_easy_setopt(curl, CURLOPT_BUFFERSIZE,
                          static_cast<long>(HttpBodyStream::kBufferBytes));
  // One response per connection: the bytes not read yet wait in it (pausing one HTTP/2 stream
  // of several is not what this is for).
  Curl().curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  if (multi_ == nullptr) multi_ = Curl().curl_multi_init();
  if (multi_ == nullptr ||
      Curl().curl_multi_add_handle(static_cast<CURLM*>(multi_), curl) != CURLM_OK) {
    return ResourceExhaustedError("could not start an HTTP transfer to " + host_port +
                                  "; the process may be out of memory");
  }
  s.multi = static_cast<CURLM*>(multi_);
  // Until the final headers of a 2xx response, or the end of any other.
  bool first = true;
  while (!s.done && !(s.final_headers && s.Code() >= 200 && s.Code() < 300)) {
    RETURN_IF_ERROR(s.Drive(/*wait=*/!first));
    first = false;
  }
  if (s.done && s.result != CURLE_OK) {
    return TransportError(s.method, s.host_port, s.result, s.errbuf);
  }
  s.response.status = static_cast<int>(s.Code());
  s.success = s.response.status >= 200 && s.response.status < 300;
  return std::unique_ptr<HttpBodyStream>(new HttpBodyStream(std::move(state)));
}

HttpClientPool::Lease::~Lease() {
  if (pool_ != nullptr && client_ != nullptr) pool_->Release(std::move(client_));
}

HttpClientPool::Lease HttpClientPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<HttpClient> c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
  }
  return Lease(this, std::make_unique<HttpClient>());
}

StatusOr<std::unique_ptr<HttpBodyStream>> HttpClientPool::Open(const HttpRequest& request) {
  Lease lease = Acquire();
  ASSIGN_OR_RETURN(std::unique_ptr<HttpBodyStream> stream, lease->Open(request));
  stream->state_->lease.emplace(std::move(lease));
  return stream;
}

void HttpClientPool::Release(std::unique_ptr<HttpClient> client) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(client));
}

bool IsLoopbackHostPort(std::string_view host_port) {
  std::string_view host = host_port;
  if (host.starts_with("[")) {
    host = host.substr(
        1, host.find(']') == std::string_view::npos ? host.size() - 1 : host.find(']') - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host == "localhost" || host == "::1") return true;
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

}  // namespace cofre
