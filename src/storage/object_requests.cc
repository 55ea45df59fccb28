#include "storage/object_requests.h"

#include <charconv>
#include <cstring>

namespace cofre {

StatusOr<HttpResponse> SendRetried(const RetrySettings& retry, std::string_view what,
                                   const SendAttempt& send, const ResponseError& error_for) {
  HttpResponse out;
  Status s = Retry(retry, what, [&](int) -> Status {
    StatusOr<HttpResponse> r = send();
    if (!r.ok()) return r.status();
    if (r->status < 200 || r->status >= 300) return error_for(*r);
    out = std::move(*r);
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

StatusOr<size_t> ReadRangeRetried(const RetrySettings& retry, const RangedReadRequest& request,
                                  char* out, const RangeAttempt& send,
                                  const ResponseError& error_for) {
  const size_t n = request.length;
  if (n == 0) return size_t{0};
  size_t got = 0;
  bool at_end = false;
  Status s = Retry(retry, request.what, [&](int) -> Status {
    if (got == n || at_end) return Status::OK();
    HttpBodyCallback sink = [&](std::string_view data) -> Status {
      if (data.size() > n - got) {
        return FailedPreconditionError(request.endpoint + " ignored a range request while " +
                                       request.what + "; it is not compatible");
      }
      std::memcpy(out + got, data.data(), data.size());
      got += data.size();
      return Status::OK();
    };
    StatusOr<HttpResponse> r = send(request.offset + got, request.offset + n - 1, sink);
    if (!r.ok()) return r.status();
    if (r->status == 416) {
      at_end = true;  // the range starts at or past the end: nothing more to read
      return Status::OK();
    }
    if (r->status < 200 || r->status >= 300) return error_for(*r);
    at_end = got < n;
    return Status::OK();
  });
  if (!s.ok()) return s;
  return got;
}

StatusOr<uint64_t> ContentLengthOf(const HttpResponse& response, std::string_view service,
                                   std::string_view what) {
  std::string len = response.headers.Get("Content-Length").value_or("");
  uint64_t size = 0;
  auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), size);
  if (len.empty() || ec != std::errc() || ptr != len.data() + len.size()) {
    return UnavailableError(std::string(service) + " sent no valid Content-Length while " +
                            std::string(what));
  }
  return size;
}

}  // namespace cofre
