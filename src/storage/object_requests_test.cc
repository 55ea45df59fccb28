#include "storage/object_requests.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "util/loopback_http_server.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

RetrySettings Fast() {
  RetrySettings r;
  r.max_attempts = 4;
  r.initial_backoff = std::chrono::milliseconds(0);
  r.max_backoff = std::chrono::milliseconds(0);
  return r;
}

HttpResponse Answer(int status) {
  HttpResponse r;
  r.status = status;
  return r;
}

Status Refused(const HttpResponse& r) {
  if (r.status >= 500) return UnavailableError("HTTP " + std::to_string(r.status));
  return FailedPreconditionError("HTTP " + std::to_string(r.status));
}

const std::string kObject = "0123456789abcdefghij";

TEST(ReadRangeRetried, ResumesWhereADroppedConnectionLeftOff) {
  std::vector<std::pair<uint64_t, uint64_t>> asked;
  char out[10];
  RangedReadRequest req{5, sizeof(out), "reading x", "the endpoint of x"};
  ASSERT_OK_AND_ASSIGN(size_t got,
                       ReadRangeRetried(
                           Fast(), req, out,
                           [&](uint64_t first, uint64_t last,
                               const HttpBodyCallback& sink) -> StatusOr<HttpResponse> {
                             asked.emplace_back(first, last);
                             size_t n = asked.size() == 1 ? 3 : last - first + 1;
                             RETURN_IF_ERROR(sink(std::string_view(kObject).substr(first, n)));
                             if (asked.size() == 1) return UnavailableError("connection reset");
                             return Answer(206);
                           },
                           Refused));
  EXPECT_EQ(got, 10u);
  EXPECT_EQ(std::string(out, got), kObject.substr(5, 10));
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[1], (std::pair<uint64_t, uint64_t>{8, 14}));  // only what was missing
}

TEST(ReadRangeRetried, PastTheEndReadsNothingAndTheTailReadsWhatIsThere) {
  char out[8];
  auto send = [&](uint64_t first, uint64_t last,
                  const HttpBodyCallback& sink) -> StatusOr<HttpResponse> {
    if (first >= kObject.size()) return Answer(416);
    RETURN_IF_ERROR(sink(std::string_view(kObject).substr(first, last - first + 1)));
    return Answer(206);
  };
  EXPECT_THAT(ReadRangeRetried(Fast(), {25, 8, "reading x", "e"}, out, send, Refused),
              IsOkAndHolds(0u));
  EXPECT_THAT(ReadRangeRetried(Fast(), {16, 8, "reading x", "e"}, out, send, Refused),
              IsOkAndHolds(4u));
}

TEST(ReadRangeRetried, AnEndpointThatIgnoresTheRangeIsRefused) {
  char out[4];
  auto whole = [&](uint64_t, uint64_t, const HttpBodyCallback& sink) -> StatusOr<HttpResponse> {
    RETURN_IF_ERROR(sink(kObject));
    return Answer(200);
  };
  EXPECT_THAT(
      ReadRangeRetried(Fast(), {0, 4, "reading x", "the endpoint of x"}, out, whole, Refused),
      StatusIs(StatusCode::kFailedPrecondition));
}

TEST(SendRetried, RetriesWhatIsUnavailableAndStopsAtARefusal) {
  int calls = 0;
  auto flaky = [&]() -> StatusOr<HttpResponse> { return Answer(++calls < 3 ? 503 : 200); };
  ASSERT_OK_AND_ASSIGN(HttpResponse r, SendRetried(Fast(), "x", flaky, Refused));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(calls, 3);
  calls = 0;
  auto refused = [&]() -> StatusOr<HttpResponse> {
    ++calls;
    return Answer(400);
  };
  EXPECT_THAT(SendRetried(Fast(), "x", refused, Refused),
              StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(calls, 1);
}

TEST(SendAndParseRetried, AGarbledBodyIsRetried) {
  int calls = 0;
  auto send = [&]() -> StatusOr<HttpResponse> {
    HttpResponse r = Answer(200);
    r.body = ++calls == 1 ? "garbled" : "42";
    return r;
  };
  std::function<StatusOr<int>(const std::string&)> parse =
      [](const std::string& body) -> StatusOr<int> {
    if (body != "42") return UnavailableError("garbled page");
    return 42;
  };
  EXPECT_THAT(SendAndParseRetried<int>(Fast(), "x", send, Refused, parse), IsOkAndHolds(42));
  EXPECT_EQ(calls, 2);
}

TEST(ContentLengthOf, RequiresADecimalNumber) {
  HttpResponse r = Answer(200);
  EXPECT_THAT(ContentLengthOf(r, "S3", "reading x"), StatusIs(StatusCode::kUnavailable));
  r.headers.Add("Content-Length", "12x");
  EXPECT_THAT(ContentLengthOf(r, "S3", "reading x"), StatusIs(StatusCode::kUnavailable));
  HttpResponse ok = Answer(200);
  ok.headers.Add("Content-Length", "1234567890123");
  EXPECT_THAT(ContentLengthOf(ok, "S3", "reading x"), IsOkAndHolds(1234567890123u));
}

HttpResponse Ranged(int status, const std::string& content_range, const std::string& etag) {
  HttpResponse r = Answer(status);
  if (!content_range.empty()) r.headers.Add("Content-Range", content_range);
  if (!etag.empty()) r.headers.Add("ETag", etag);
  return r;
}

TEST(CheckPinnedResponse, TheObjectsSizeMustBeThePins) {
  ObjectPin pin{"", 1000};
  EXPECT_THAT(
      CheckPinnedResponse(pin, Ranged(206, "bytes 0-99/1000", "\"e1\""), 0, "reading x", "S3"),
      IsOk());
  EXPECT_EQ(pin.etag, "\"e1\"");  // taken from the first response, kept after
  EXPECT_THAT(
      CheckPinnedResponse(pin, Ranged(206, "bytes 100-199/1000", "\"e2\""), 100, "reading x", "S3"),
      IsOk());
  EXPECT_EQ(pin.etag, "\"e1\"");
  for (const char* other : {"bytes 0-99/999", "bytes 0-99/1001", "bytes 0-99/10000"}) {
    Status st = CheckPinnedResponse(pin, Ranged(206, other, ""), 0, "reading x", "S3");
    EXPECT_THAT(st, StatusIs(StatusCode::kDataLoss)) << other;
    EXPECT_EQ(st.detail(), ErrorDetail::kWrongObjectSize) << other;
  }
  // A 200 (a range from 0 answered whole) tells the size by its Content-Length.
  HttpResponse whole = Answer(200);
  whole.headers.Add("Content-Length", "999");
  EXPECT_EQ(CheckPinnedResponse(pin, whole, 0, "reading x", "S3").detail(),
            ErrorDetail::kWrongObjectSize);
  whole.headers.Set("Content-Length", "1000");
  EXPECT_THAT(CheckPinnedResponse(pin, whole, 0, "reading x", "S3"), IsOk());
}

TEST(CheckPinnedResponse, A416InsideTheSizeMeansAShorterObject) {
  ObjectPin pin{"\"e\"", 1000};
  // At or past the end expected: the end.
  EXPECT_THAT(CheckPinnedResponse(pin, Ranged(416, "bytes */1000", ""), 1000, "reading x", "S3"),
              IsOk());
  EXPECT_THAT(CheckPinnedResponse(pin, Ranged(416, "", ""), 1005, "reading x", "S3"), IsOk());
  // Inside it: the object is shorter, whether or not the 416 says its size.
  EXPECT_EQ(
      CheckPinnedResponse(pin, Ranged(416, "bytes */900", ""), 950, "reading x", "S3").detail(),
      ErrorDetail::kWrongObjectSize);
  EXPECT_EQ(CheckPinnedResponse(pin, Ranged(416, "", ""), 950, "reading x", "S3").detail(),
            ErrorDetail::kWrongObjectSize);
}

TEST(CheckPinnedResponse, A206WithoutATotalIsNotCompatible) {
  ObjectPin pin{"", 1000};
  for (const char* range : {"", "bytes 0-99/*", "bytes 0-99", "bytes 0-99/1x", "items 0-99/1000"}) {
    EXPECT_THAT(CheckPinnedResponse(pin, Ranged(206, range, ""), 0, "reading x", "S3"),
                StatusIs(StatusCode::kFailedPrecondition, ::testing::HasSubstr("not compatible")))
        << range;
  }
}

// NewRangeStream against a real HTTP server on loopback that serves byte ranges of `object`;
// `shape(request number, first, last)` may replace the answer ("" keeps it).
class RangeStreamTest : public ::testing::Test {
 protected:
  using Shape = std::function<std::string(int n, uint64_t first, uint64_t last)>;

  void Serve(std::string object, Shape shape = nullptr) {
    server_.reset();
    object_ = std::move(object);
    shape_ = std::move(shape);
    requests_ = 0;
    server_ = std::make_unique<http_testing::LoopbackServer>(
        [this](const http_testing::ReceivedRequest& r) { return Answer(r); });
  }

  // A stream of bytes [offset, offset + length) through the server.
  std::unique_ptr<ByteSource> Stream(uint64_t offset, size_t length) {
    return NewRangeStream(
        Fast(), {offset, length, "reading x", "the endpoint of x"},
        [this](uint64_t first, uint64_t last) {
          HttpRequest req;
          req.url = server_->Url("/x");
          req.headers.Add("Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last));
          return client_.Open(req);
        },
        Refused);
  }

  // The ranges the server was asked for, as "first-last".
  std::vector<std::string> Asked() {
    std::vector<std::string> out;
    for (const auto& r : server_->requests()) {
      out.push_back(http_testing::HeaderOf(r, "range").value_or("").substr(6));
    }
    return out;
  }

  static StatusOr<std::string> ReadAll(ByteSource& s, size_t chunk) {
    std::string out(chunk, '\0'), all;
    while (true) {
      ASSIGN_OR_RETURN(size_t n, s.Read(out.data(), chunk));
      if (n == 0) return all;
      all.append(out.data(), n);
    }
  }

  std::string object_;

 private:
  std::string Answer(const http_testing::ReceivedRequest& r) {
    std::string range = http_testing::HeaderOf(r, "range").value_or("bytes=0-");
    uint64_t first = std::stoull(range.substr(6));
    uint64_t last = std::stoull(range.substr(range.find('-') + 1));
    const int n = ++requests_;
    if (shape_) {
      std::string shaped = shape_(n, first, last);
      if (!shaped.empty()) return shaped;
    }
    if (first >= object_.size()) return http_testing::Response(416, "");
    last = std::min<uint64_t>(last, object_.size() - 1);
    return http_testing::Response(206, object_.substr(first, last - first + 1),
                                  "Content-Range: bytes " + std::to_string(first) + "-" +
                                      std::to_string(last) + "/" + std::to_string(object_.size()) +
                                      "\r\n");
  }

  Shape shape_;
  std::atomic<int> requests_{0};
  std::unique_ptr<http_testing::LoopbackServer> server_;
  HttpClient client_;
};

std::string Bytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 7 + i / 251);
  return s;
}

TEST_F(RangeStreamTest, ReadsTheRangeAsOneRequest) {
  Serve(Bytes(500'000));
  auto stream = Stream(1000, 400'000);
  EXPECT_THAT(ReadAll(*stream, 7777), IsOkAndHolds(object_.substr(1000, 400'000)));
  EXPECT_EQ(Asked(), std::vector<std::string>{"1000-400999"});
}

TEST_F(RangeStreamTest, ACutBodyIsResumedAtTheFirstByteNotRead) {
  Serve(Bytes(300'000), [this](int n, uint64_t first, uint64_t last) -> std::string {
    if (n != 1) return "";
    // Announces the whole range, sends 100 000 bytes of it, closes.
    std::string full = http_testing::Response(206, object_.substr(first, last - first + 1),
                                              "Content-Range: bytes " + std::to_string(first) +
                                                  "-" + std::to_string(last) + "/300000\r\n");
    return "CLOSE\n" + full.substr(0, full.size() - (last - first + 1) + 100'000);
  });
  auto stream = Stream(0, 300'000);
  EXPECT_THAT(ReadAll(*stream, 65536), IsOkAndHolds(object_));
  EXPECT_EQ(Asked(), (std::vector<std::string>{"0-299999", "100000-299999"}));
}

TEST_F(RangeStreamTest, ServerErrorsAreRetriedAndRefusalsAreNot) {
  Serve(Bytes(1000), [](int n, uint64_t, uint64_t) -> std::string {
    return n <= 2 ? http_testing::Response(503, "<Error><Code>SlowDown</Code></Error>") : "";
  });
  auto stream = Stream(10, 100);
  EXPECT_THAT(ReadAll(*stream, 64), IsOkAndHolds(object_.substr(10, 100)));
  EXPECT_EQ(Asked().size(), 3u);

  stream.reset();
  Serve(Bytes(1000), [](int, uint64_t, uint64_t) -> std::string {
    return http_testing::Response(412, "<Error><Code>PreconditionFailed</Code></Error>");
  });
  stream = Stream(0, 1000);
  char buf[10];
  EXPECT_THAT(stream->Read(buf, sizeof(buf)).status(), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(Asked().size(), 1u);
}

TEST_F(RangeStreamTest, PastTheEndReadsNothing) {
  Serve(Bytes(1000));
  auto stream = Stream(1000, 50);
  char buf[10];
  EXPECT_THAT(stream->Read(buf, sizeof(buf)), IsOkAndHolds(0u));
  // An object shorter than expected ends where it ends.
  stream = Stream(990, 50);
  EXPECT_THAT(ReadAll(*stream, 64), IsOkAndHolds(object_.substr(990)));
}

TEST_F(RangeStreamTest, AnEndpointThatIgnoresOrMovesTheRangeIsRefused) {
  Serve(Bytes(1000), [this](int, uint64_t, uint64_t) -> std::string {
    return http_testing::Response(200, object_);  // the whole object
  });
  char buf[10];
  EXPECT_THAT(Stream(100, 50)->Read(buf, sizeof(buf)).status(),
              StatusIs(StatusCode::kFailedPrecondition));
  Serve(Bytes(1000), [this](int, uint64_t, uint64_t) -> std::string {
    return http_testing::Response(206, object_.substr(0, 50),
                                  "Content-Range: bytes 0-49/1000\r\n");  // not where asked
  });
  EXPECT_THAT(Stream(100, 50)->Read(buf, sizeof(buf)).status(),
              StatusIs(StatusCode::kFailedPrecondition));
  // Asked from 0, a 200 with exactly the bytes asked for is the whole object: accepted.
  Serve(Bytes(1000), [this](int, uint64_t, uint64_t) -> std::string {
    return http_testing::Response(200, object_);
  });
  EXPECT_THAT(ReadAll(*Stream(0, 1000), 300), IsOkAndHolds(object_));
}

}  // namespace
}  // namespace cofre
