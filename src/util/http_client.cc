#include "util/http_client.h"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <cstring>

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

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
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
    auto* t = static_cast<Transfer*>(self);
    std::string_view line(data, size * n);
    if (line.starts_with("HTTP/")) {
      // A new response begins (after 100 Continue or a redirect): forget earlier headers.
      t->response.headers.Clear();
      return size * n;
    }
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      t->response.headers.Add(std::string(TrimWhitespace(line.substr(0, colon))),
                              std::string(TrimWhitespace(line.substr(colon + 1))));
    }
    return size * n;
  }

  static size_t OnBody(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    size_t len = size * n;
    long code = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
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
  GlobalInitOnce();
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  return SendStreaming(request, nullptr);
}

StatusOr<HttpResponse> HttpClient::SendStreaming(const HttpRequest& request,
                                                 const HttpBodyCallback& on_body) {
  CURL* curl = static_cast<CURL*>(curl_);
  const std::string host_port = HostPortOf(request.url);
  if (curl == nullptr) {
    return ResourceExhaustedError("could not create an HTTP handle for " + host_port +
                                  "; the process may be out of memory");
  }
  curl_easy_reset(curl);  // keeps the open connections and DNS cache

  Transfer t;
  t.curl = curl;
  t.request = &request;
  t.on_body = on_body ? &on_body : nullptr;
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  if (!request.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  if (request.total_timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
  }
  if (request.stall_timeout.count() > 0) {
    long secs = static_cast<long>((request.stall_timeout.count() + 999) / 1000);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, secs);
  }
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);

  const bool has_body = request.body_source != nullptr || !request.body.empty();
  const uint64_t body_len =
      request.body_source != nullptr ? request.body_length : request.body.size();
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (has_body || request.method == "PUT" || request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_len));
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &Transfer::OnRead);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, &Transfer::OnSeek);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &t);
    if (request.method != "PUT") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  curl_slist* headers = nullptr;
  // No "Expect: 100-continue" round trip; S3 answers errors after the body just as well.
  headers = curl_slist_append(headers, "Expect:");
  for (const auto& [name, value] : request.headers.fields()) {
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    headers = curl_slist_append(headers, line.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);

  if (!t.callback_status.ok()) return t.callback_status;
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    // Never echo a query string: presigned URLs carry credentials there.
    detail = detail.substr(0, detail.find('?'));
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
    return UnavailableError("HTTP " + request.method + " to " + host_port + " failed: " + detail +
                            "; check that the endpoint is reachable");
  }
  t.response.status = static_cast<int>(code);
  return std::move(t.response);
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
