// S3Storage through tests/tools/fault_proxy.py (a loopback HTTP proxy in front of moto that
// injects 5xx answers, connection resets, delays and truncated bodies): retries recover from
// transient faults, and exhausted retries fail cleanly without publishing or leaking uploads.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "storage/s3_storage.h"
#include "storage/s3_test_support.h"
#include "storage/storage_test_helpers.h"
#include "util/http_client.h"

namespace cofre {
namespace {

using s3_testing::ChildProcess;
using s3_testing::OpenOrDie;
using s3_testing::RequireServer;
using s3_testing::S3TestServer;
using s3_testing::S3Uri;
using storage_testing::ListToStrings;
using storage_testing::PatternBytes;

class S3FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::optional<S3TestServer> server = RequireServer(/*auth=*/false);
    ASSERT_TRUE(server.has_value());
    server_ = *server;
    proxy_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "python3", COFRE_SOURCE_DIR "/tests/tools/fault_proxy.py", "--upstream", server_.endpoint});
    std::string line = proxy_->ReadLine();
    ASSERT_TRUE(line.starts_with("PORT ")) << "fault proxy did not start: '" << line << "'";
    proxy_endpoint_ = "http://127.0.0.1:" + line.substr(5);
    bucket_ = s3_testing::UniqueBucket("fault");
    storage_ = Storage(s3_testing::FastTestSettings());
    ASSERT_NE(storage_, nullptr);
    ASSERT_TRUE(storage_->client().CreateBucket().ok());
  }

  std::unique_ptr<S3Storage> Storage(const S3Settings& settings) {
    return OpenOrDie(S3Uri(server_, bucket_, "f", "", proxy_endpoint_), settings);
  }

  // Configures the proxy, e.g. "mode=status&status=503&code=SlowDown&first=3".
  void Inject(const std::string& query) {
    HttpClient http;
    HttpRequest req;
    req.method = "POST";
    req.url = proxy_endpoint_ + "/__fault__/config?" + query;
    StatusOr<HttpResponse> r = http.Send(req);
    ASSERT_TRUE(r.ok() && r->status == 200) << "cannot configure the fault proxy";
  }

  // {eligible requests, faults injected}.
  std::pair<int, int> Stats() {
    HttpClient http;
    HttpRequest req;
    req.url = proxy_endpoint_ + "/__fault__/stats";
    StatusOr<HttpResponse> r = http.Send(req);
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return {-1, -1};
    auto field = [&](const std::string& name) {
      size_t p = r->body.find("\"" + name + "\": ");
      return p == std::string::npos ? -1 : std::atoi(r->body.c_str() + p + name.size() + 4);
    };
    return {field("requests"), field("faults")};
  }

  S3TestServer server_;
  std::unique_ptr<ChildProcess> proxy_;
  std::string proxy_endpoint_;
  std::string bucket_;
  std::unique_ptr<S3Storage> storage_;
};

TEST_F(S3FaultTest, SlowDownAndServerErrorsAreRetried) {
  Inject("mode=status&status=503&code=SlowDown&first=3");
  ASSERT_TRUE(WriteSmallFile(*storage_, "a", "hello").ok());
  EXPECT_EQ(Stats().second, 3);

  Inject("mode=status&status=500&code=InternalError&first=2");
  auto got = ReadSmallFile(*storage_, "a");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "hello");
  EXPECT_EQ(Stats().second, 2);
}

TEST_F(S3FaultTest, MultipartUploadSurvivesFaultsOnEveryOtherRequest) {
  const std::string data = PatternBytes(16 << 20, 1);
  Inject("mode=status&status=503&code=SlowDown&every=2");
  Status s = WriteSmallFile(*storage_, "big", data);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto [requests, faults] = Stats();
  EXPECT_GE(faults, 3);  // create, 4 parts, complete: at least half of them failed once
  Inject("mode=status&status=500&code=InternalError&every=3");
  auto got = ReadSmallFile(*storage_, "big", 64 << 20);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
}

TEST_F(S3FaultTest, ConnectionResetsAreRetried) {
  Inject("mode=reset&first=2");
  Status s = WriteSmallFile(*storage_, "r", "reset me");
  ASSERT_TRUE(s.ok()) << s.ToString();
  Inject("mode=reset&first=2");
  auto got = ReadSmallFile(*storage_, "r");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "reset me");
  EXPECT_EQ(Stats().second, 2);
}

// A reader opened with the size its caller expects (a backup file's, from its manifest) sends
// no HEAD: one request fewer per file of a restore. The proxy counts the HEADs (a delay of 0 ms
// on each makes them eligible without changing them).
TEST_F(S3FaultTest, ReaderOpenedWithItsExpectedSizeSendsNoHead) {
  const std::string data = PatternBytes(100000, 5);
  ASSERT_TRUE(WriteSmallFile(*storage_, "h", data).ok());
  std::vector<char> buf(data.size() + 1);
  Inject("mode=delay&delay_ms=0&match=HEAD%20");
  ReaderOptions options;
  options.expected_size = data.size();
  auto sized = storage_->NewReader("h", options);
  ASSERT_TRUE(sized.ok()) << sized.status().ToString();
  auto n = ReadFully(**sized, buf.data(), buf.size());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_TRUE(std::string(buf.data(), *n) == data);
  EXPECT_EQ(Stats().first, 0);
  auto looked_up = storage_->NewReader("h");
  ASSERT_TRUE(looked_up.ok()) << looked_up.status().ToString();
  EXPECT_EQ((*looked_up)->Size(), data.size());
  EXPECT_EQ(Stats().first, 1);
}

// A small file (LATEST, a manifest) is read with one GET, no HEAD first; one longer than its
// limit is refused naming it, and the GET stops at the limit.
TEST_F(S3FaultTest, SmallFilesAreOneGet) {
  ASSERT_TRUE(WriteSmallFile(*storage_, "LATEST", "2026/12/07-073000.00").ok());
  ASSERT_TRUE(WriteSmallFile(*storage_, "big", PatternBytes(200000, 6)).ok());
  Inject("mode=delay&delay_ms=0&match=HEAD%20");
  auto latest = ReadSmallFile(*storage_, "LATEST");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(*latest, "2026/12/07-073000.00");
  auto big = ReadSmallFile(*storage_, "big", 100000);
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted) << big.status().ToString();
  EXPECT_NE(big.status().message().find("'big'"), std::string::npos) << big.status().message();
  EXPECT_NE(big.status().message().find("100000-byte limit"), std::string::npos);
  EXPECT_EQ(Stats().first, 0);
  Inject("mode=delay&delay_ms=0&match=GET%20");
  ASSERT_TRUE(ReadSmallFile(*storage_, "LATEST").ok());
  EXPECT_EQ(Stats().first, 1);
}

TEST_F(S3FaultTest, TruncatedDownloadsResumeWhereTheyStopped) {
  S3Settings settings = s3_testing::FastTestSettings();
  auto storage = Storage(settings);
  const std::string data = PatternBytes(3 << 20, 2);
  ASSERT_TRUE(WriteSmallFile(*storage, "t", data).ok());
  Inject("mode=truncate&match=GET&first=2");
  auto got = ReadSmallFile(*storage, "t", 64 << 20);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  EXPECT_EQ(Stats().second, 2);
}

TEST_F(S3FaultTest, ASequentialReadOfAnObjectIsOneGet) {
  const std::string data = PatternBytes((9 << 20) + 12345, 3);
  ASSERT_TRUE(WriteSmallFile(*storage_, "one", data).ok());
  Inject("mode=delay&delay_ms=0&match=GET");  // counts the GETs, delays none
  auto reader = storage_->NewReader("one");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::string got;
  std::vector<char> buf(64 << 10);
  while (true) {
    auto n = (*reader)->Read(buf.data(), got.size() % 3 == 0 ? buf.size() : 1000);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) break;
    got.append(buf.data(), *n);
  }
  EXPECT_TRUE(got == data);
  EXPECT_EQ(Stats().first, 1);
}

TEST_F(S3FaultTest, StalledResponsesTimeOutAndAreRetried) {
  S3Settings settings = s3_testing::FastTestSettings();
  settings.stall_timeout = std::chrono::milliseconds(1000);
  auto storage = Storage(settings);
  ASSERT_TRUE(WriteSmallFile(*storage, "slow", "zzz").ok());
  Inject("mode=delay&delay_ms=4000&first=1&match=GET");
  auto start = std::chrono::steady_clock::now();
  auto got = ReadSmallFile(*storage, "slow");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "zzz");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(3800));
}

TEST_F(S3FaultTest, ExhaustedRetriesFailCleanly) {
  S3Settings settings = s3_testing::FastTestSettings();
  settings.retry.max_attempts = 3;
  auto storage = Storage(settings);
  ASSERT_TRUE(WriteSmallFile(*storage, "kept", "old").ok());

  Inject("mode=status&status=503&code=SlowDown&first=1000");
  auto start = std::chrono::steady_clock::now();
  Status s = WriteSmallFile(*storage, "kept", "new");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("failed after 3 attempts"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("SlowDown"), std::string::npos);
  EXPECT_EQ(s.message().find(server_.secret_access_key), std::string::npos);
  EXPECT_EQ(Stats().first, 3);

  // A multipart upload whose parts keep failing is aborted and publishes nothing.
  Inject("mode=status&status=500&code=InternalError&first=1000&match=partNumber");
  s = WriteSmallFile(*storage, "doomed", PatternBytes(11 << 20, 3));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  Inject("mode=none");
  EXPECT_EQ(ListToStrings(*storage, "", ""), std::vector<std::string>{"kept:3"});
  EXPECT_EQ(*ReadSmallFile(*storage, "kept"), "old");
  EXPECT_EQ(s3_testing::Boto3Client::Get().Call(server_, "uploads", bucket_), "OK 0");

  // Connection resets all the way down are Unavailable too, naming the endpoint.
  Inject("mode=reset&first=1000");
  auto size = storage->Size("kept");
  ASSERT_EQ(size.status().code(), StatusCode::kUnavailable) << size.status().ToString();
  EXPECT_NE(size.status().message().find(HostPortOf(proxy_endpoint_)), std::string::npos)
      << size.status().message();
}

TEST_F(S3FaultTest, PermissionErrorsAreNotRetried) {
  Inject("mode=status&status=403&code=AccessDenied&first=1000");
  Status s = WriteSmallFile(*storage_, "x", "y");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
  EXPECT_EQ(Stats().first, 1);
}

}  // namespace
}  // namespace cofre
