#include "storage/object_requests.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

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
    const uint64_t first = request.offset + got;
    StatusOr<HttpResponse> r = send(first, request.offset + n - 1, sink);
    if (!r.ok()) return r.status();
    if (request.pin) {
      RETURN_IF_ERROR(CheckPinnedResponse(*request.pin, *r, first, request.what, request.endpoint));
    }
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

namespace {

class RetriedRangeStream : public ByteSource {
 public:
  RetriedRangeStream(const RetrySettings& retry, RangedReadRequest request, RangeOpenAttempt open,
                     ResponseError error_for)
      : retry_(retry),
        request_(std::move(request)),
        open_(std::move(open)),
        error_for_(std::move(error_for)),
        end_(request_.offset + request_.length) {}

  StatusOr<size_t> Read(char* buf, size_t n) override {
    n = static_cast<size_t>(std::min<uint64_t>(n, end_ - pos()));
    if (n == 0 || at_end_) return size_t{0};
    size_t got = 0;
    Status s = Retry(retry_, request_.what, [&](int) -> Status {
      if (stream_ == nullptr) {
        RETURN_IF_ERROR(OpenAt(pos()));
        if (at_end_) return Status::OK();
      }
      StatusOr<size_t> r = stream_->Read(buf, n);
      if (!r.ok()) {
        stream_.reset();  // the next attempt asks for the rest
        return r.status();
      }
      got = *r;
      if (got == 0) at_end_ = true;  // the object is shorter than expected
      return Status::OK();
    });
    if (!s.ok()) {
      stream_.reset();
      return s;
    }
    read_ += got;
    // Done with the GET: its connection goes back to its client now, not when the reader goes.
    if (at_end_ || pos() == end_) stream_.reset();
    return got;
  }

 private:
  uint64_t pos() const { return request_.offset + read_; }

  // Opens the GET of [first, end_), checking that the endpoint honoured the range.
  Status OpenAt(uint64_t first) {
    ASSIGN_OR_RETURN(std::unique_ptr<HttpBodyStream> stream, open_(first, end_ - 1));
    const HttpResponse& r = stream->response();
    if (request_.pin) {
      RETURN_IF_ERROR(
          CheckPinnedResponse(*request_.pin, r, first, request_.what, request_.endpoint));
    }
    if (r.status == 416) {
      at_end_ = true;  // the range starts at or past the end: nothing more to read
      return Status::OK();
    }
    if (r.status < 200 || r.status >= 300) return error_for_(r);
    StatusOr<uint64_t> length = ContentLengthOf(r, request_.endpoint, request_.what);
    // A 206 says where its bytes start ("bytes 100-199/1000"): it must be where we asked.
    bool other_start = false;
    if (r.status == 206) {
      std::string range = r.headers.Get("Content-Range").value_or("");
      uint64_t start = 0;
      const char* p = range.data() + std::min<size_t>(range.size(), 6);
      auto [end, error] = std::from_chars(p, range.data() + range.size(), start);
      other_start =
          !range.starts_with("bytes ") || error != std::errc() || end == p || start != first;
    }
    if ((r.status != 206 && first != 0) || other_start || (length.ok() && *length > end_ - first)) {
      return FailedPreconditionError(request_.endpoint + " ignored a range request while " +
                                     request_.what + "; it is not compatible");
    }
    stream_ = std::move(stream);
    return Status::OK();
  }

  const RetrySettings retry_;
  const RangedReadRequest request_;
  const RangeOpenAttempt open_;
  const ResponseError error_for_;
  const uint64_t end_;
  uint64_t read_ = 0;  // bytes handed to the caller
  bool at_end_ = false;
  std::unique_ptr<HttpBodyStream> stream_;
};

}  // namespace

std::unique_ptr<ByteSource> NewRangeStream(const RetrySettings& retry, RangedReadRequest request,
                                           RangeOpenAttempt open, ResponseError error_for) {
  return std::make_unique<RetriedRangeStream>(retry, std::move(request), std::move(open),
                                              std::move(error_for));
}

namespace {

// The total of a Content-Range header ("bytes 0-99/1000", "bytes */1000"); nullopt when absent
// or not a number ("bytes 0-99/*").
std::optional<uint64_t> ContentRangeTotal(const HttpResponse& response) {
  std::string range = response.headers.Get("Content-Range").value_or("");
  const size_t slash = range.rfind('/');
  if (!range.starts_with("bytes ") || slash == std::string::npos) return std::nullopt;
  uint64_t total = 0;
  const char* begin = range.data() + slash + 1;
  const char* end = range.data() + range.size();
  auto [ptr, ec] = std::from_chars(begin, end, total);
  if (ec != std::errc() || ptr != end || ptr == begin) return std::nullopt;
  return total;
}

}  // namespace

Status CheckPinnedResponse(ObjectPin& pin, const HttpResponse& response, uint64_t first,
                           std::string_view what, std::string_view endpoint) {
  auto wrong_size = [&](const std::string& actual) {
    return DataLossError("the object is " + actual + ", not the " + std::to_string(pin.size) +
                         " bytes expected, while " + std::string(what))
        .WithDetail(ErrorDetail::kWrongObjectSize);
  };
  if (response.status != 416 && (response.status < 200 || response.status >= 300)) {
    return Status::OK();  // an error: the caller's to report
  }
  std::optional<uint64_t> total;
  if (response.status == 200) {
    StatusOr<uint64_t> length = ContentLengthOf(response, endpoint, what);
    if (length.ok()) total = *length;
  } else {
    total = ContentRangeTotal(response);
  }
  if (response.status == 416) {
    if (total && *total != pin.size) return wrong_size(std::to_string(*total) + " bytes");
    // The range starts at or past the object's end: inside the size expected, it is shorter.
    if (first < pin.size) return wrong_size("shorter");
  } else if (!total) {
    if (response.status == 206) {
      return FailedPreconditionError(std::string(endpoint) +
                                     " sent no object size in Content-Range while " +
                                     std::string(what) + "; it is not compatible");
    }
  } else if (*total != pin.size) {
    return wrong_size(std::to_string(*total) + " bytes");
  }
  if (pin.etag.empty()) pin.etag = response.headers.Get("ETag").value_or("");
  return Status::OK();
}

size_t WholeObjectResponseLimit(size_t max_bytes) { return std::max<size_t>(max_bytes, 1 << 20); }

StatusOr<std::string> WholeObjectBody(HttpResponse&& response, size_t max_bytes,
                                      std::string_view what) {
  if (response.body.size() > max_bytes) {
    return ResourceExhaustedError("the object is longer than " + std::to_string(max_bytes) +
                                  " bytes, while " + std::string(what));
  }
  return std::move(response.body);
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
