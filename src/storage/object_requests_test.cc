#include "storage/object_requests.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

}  // namespace
}  // namespace cofre
