// Object requests: what the object-store clients (S3, Azure Blob) share once a request is
// signed. A client supplies how it sends one attempt and how it turns a non-2xx response into a
// Status (Unavailable for what is worth retrying); these helpers do the rest the same way for
// every service: retry a request until it answers 2xx, parse a response inside the retry (a
// garbled listing page is retried like a dropped connection), resume a ranged read where a
// dropped connection left it, stream an object's bytes as the caller reads them, check each
// ranged response against the object a reader pinned, bound a whole-object GET, and read a
// HEAD's Content-Length.
// Thread-safety: stateless; the callbacks are called on the caller's thread.
#ifndef COFRE_STORAGE_OBJECT_REQUESTS_H_
#define COFRE_STORAGE_OBJECT_REQUESTS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "util/http_client.h"
#include "util/retry.h"
#include "util/status.h"

namespace cofre {

// One attempt of a request: its response whatever the HTTP status, or a transport error.
using SendAttempt = std::function<StatusOr<HttpResponse>()>;
// One attempt of a ranged GET of bytes [first, last], its body streamed to `on_body`.
using RangeAttempt = std::function<StatusOr<HttpResponse>(uint64_t first, uint64_t last,
                                                          const HttpBodyCallback& on_body)>;
// One attempt to open a ranged GET of bytes [first, last], its body not read yet.
using RangeOpenAttempt =
    std::function<StatusOr<std::unique_ptr<HttpBodyStream>>(uint64_t first, uint64_t last)>;
// The Status a non-2xx response means.
using ResponseError = std::function<Status(const HttpResponse&)>;

// Sends until an attempt answers 2xx (returned) or the retry settings give up.
StatusOr<HttpResponse> SendRetried(const RetrySettings& retry, std::string_view what,
                                   const SendAttempt& send, const ResponseError& error_for);

// SendRetried, then parse(body) inside the same retry: a parse error that is Unavailable is
// retried, any other is returned.
template <typename T>
StatusOr<T> SendAndParseRetried(const RetrySettings& retry, std::string_view what,
                                const SendAttempt& send, const ResponseError& error_for,
                                const std::function<StatusOr<T>(const std::string&)>& parse) {
  StatusOr<T> parsed = UnavailableError("no attempt made");
  Status s = Retry(retry, what, [&](int) -> Status {
    StatusOr<HttpResponse> r = send();
    if (!r.ok()) return r.status();
    if (r->status < 200 || r->status >= 300) return error_for(*r);
    parsed = parse(r->body);
    return parsed.status();
  });
  if (!s.ok()) return s;
  return parsed;
}

// What pins the object one reader reads, shared by all of that reader's requests (used by one
// thread at a time). `etag` goes out as If-Match, so that an object replaced while it is read
// fails instead of mixing versions; `size` is the size the reader was opened with. A reader
// opened without a HEAD (its caller knew the size: ReaderOptions in external_storage.h) starts
// with no ETag and takes its first response's.
struct ObjectPin {
  std::string etag;  // empty: none known yet
  uint64_t size = 0;
};

// Checks a response to a ranged GET of bytes from `first` on against `pin`, and takes its ETag
// when the pin has none yet; other responses than 2xx and 416 (errors) pass. The object's size is a
// 206's Content-Range total ("bytes 0-99/1000"), a 416's ("bytes */1000") or a 200's
// Content-Length; a size other than pin.size, or a 416 for a range that starts inside pin.size, is
// DataLoss with ErrorDetail::kWrongObjectSize. A 206 without a numeric total is FailedPrecondition
// (the endpoint is not compatible). `what` and `endpoint` as in RangedReadRequest.
Status CheckPinnedResponse(ObjectPin& pin, const HttpResponse& response, uint64_t first,
                           std::string_view what, std::string_view endpoint);

struct RangedReadRequest {
  uint64_t offset = 0;   // first byte wanted
  size_t length = 0;     // bytes wanted; `out` holds at least this many
  std::string what;      // "reading s3://bucket/key", for messages
  std::string endpoint;  // the service as messages name it ("the S3 endpoint of s3://b")
  // When set, every response is checked against it (CheckPinnedResponse).
  std::shared_ptr<ObjectPin> pin;
};

// Reads up to `length` bytes from `offset` into `out`; returns how many were read (fewer only at
// the end of the object; 0 when `offset` is at or past it, which the service answers with 416).
// A retried attempt asks only for the bytes not yet received. A response longer than asked is
// FailedPrecondition: the endpoint ignored the range and is not compatible.
StatusOr<size_t> ReadRangeRetried(const RetrySettings& retry, const RangedReadRequest& request,
                                  char* out, const RangeAttempt& send,
                                  const ResponseError& error_for);

// Reads bytes [request.offset, request.offset + request.length) of an object sequentially, as
// one ranged GET whose body is pulled as the caller reads (HttpClient::Open): the bytes go from
// the connection straight into the caller's buffer, and the stream holds none of the object
// beyond one receive buffer. The GET is opened at the first Read(). A GET that fails, before or
// while its body arrives, is retried within the Read() that met the failure, asking only for
// the bytes not read yet (`retry` applies to each Read()). The object ending early reads as its
// end (the caller knows the size it expects); a response longer than asked is
// FailedPrecondition (the endpoint ignored the range).
std::unique_ptr<ByteSource> NewRangeStream(const RetrySettings& retry, RangedReadRequest request,
                                           RangeOpenAttempt open, ResponseError error_for);

// A whole-object GET of an object of at most `max_bytes` (LATEST, ENCRYPTION-INFO): the
// request's max_response_bytes leaves room for an error document (1 MiB, what HttpClient keeps
// of a streamed request's) even when `max_bytes` is smaller, so that a 503 with a long page is
// retried, not refused as too large; WholeObjectBody then refuses a 2xx body longer than
// `max_bytes` (ResourceExhausted).
size_t WholeObjectResponseLimit(size_t max_bytes);
StatusOr<std::string> WholeObjectBody(HttpResponse&& response, size_t max_bytes,
                                      std::string_view what);

// The Content-Length header of a HEAD response; Unavailable (retryable) when it is missing or
// not a number. `service` names the service in the message ("S3", "Azure").
StatusOr<uint64_t> ContentLengthOf(const HttpResponse& response, std::string_view service,
                                   std::string_view what);

}  // namespace cofre

#endif  // COFRE_STORAGE_OBJECT_REQUESTS_H_
