// S3Storage against real moto servers (see scripts/test-servers.sh), cross-checked with boto3.
#include "storage/s3_storage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "storage/s3_test_support.h"
#include "storage/storage_factory.h"
#include "storage/storage_test_helpers.h"
#include "util/sha256.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

using s3_testing::OpenOrDie;
using s3_testing::RequireServer;
using s3_testing::S3TestServer;
using s3_testing::S3Uri;
using s3_testing::UniqueBucket;
using storage_testing::ListToStrings;
using storage_testing::PatternBytes;
using storage_testing::TempDir;
using ::testing::HasSubstr;

// --- URI handling (no server needed) ---

StatusOr<std::unique_ptr<S3Storage>> OpenS3(const std::string& uri, S3Settings settings = {}) {
  ASSIGN_OR_RETURN(Uri parsed, ParseUri(uri));
  return OpenS3Storage(parsed, settings);
}

const char* kGoodUri =
    "s3://bkt/base/dir?AWS_ACCESS_KEY_ID=AKIDVALUE&AWS_SECRET_ACCESS_KEY=SECRETVALUE"
    "&AWS_SESSION_TOKEN=TOKENVALUE&AWS_REGION=eu-west-1&AWS_ENDPOINT=http://127.0.0.1:9"
    "&AWS_USE_PATH_STYLE=true&AUTH=specified&S3_STORAGE_CLASS=STANDARD_IA"
    "&COCKROACH_LOCALITY=region%3Deu";

TEST(S3StorageUri, AcceptsEveryDocumentedParameterAndRedactsSecrets) {
  auto s = OpenS3(kGoodUri);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::string shown = (*s)->RedactedUri();
  for (const char* secret : {"AKIDVALUE", "SECRETVALUE", "TOKENVALUE"}) {
    EXPECT_EQ(shown.find(secret), std::string::npos) << shown;
  }
  EXPECT_NE(shown.find("s3://bkt/base/dir"), std::string::npos);
  EXPECT_NE(shown.find("AWS_SECRET_ACCESS_KEY=redacted"), std::string::npos);
  EXPECT_EQ((*s)->base_prefix(), "base/dir/");
  EXPECT_EQ((*s)->client().config().region, "eu-west-1");
  EXPECT_TRUE((*s)->client().config().path_style);
  EXPECT_EQ((*s)->client().config().credentials.session_token, "TOKENVALUE");
}

TEST(S3StorageUri, UnknownParametersAreAllNamed) {
  auto s = OpenS3("s3://bkt/p?AWS_ACCESS_KEY_ID=a&AWS_SECRET_ACCESS_KEY=b&AWS_REGOIN=x&FOO=1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("AWS_REGOIN, FOO"), std::string::npos)
      << s.status().message();
  EXPECT_EQ(s.status().message().find("=b"), std::string::npos);
}

TEST(S3StorageUri, RefusesBadValues) {
  const std::string creds = "AWS_ACCESS_KEY_ID=a&AWS_SECRET_ACCESS_KEY=supersecret";
  for (const std::string& uri : std::vector<std::string>{
           "s3:///p?" + creds,                                          // no bucket
           std::string("s3://bkt/p?AWS_ACCESS_KEY_ID=a"),               // no secret
           "s3://bkt/p?" + creds + "&AUTH=magic",                       // bad AUTH
           "s3://bkt/p?" + creds + "&AWS_ENDPOINT=ftp://x",             // bad endpoint
           "s3://bkt/p?" + creds + "&AWS_ENDPOINT=http://h/some/path",  // endpoint path
           "s3://bkt/p?" + creds + "&AWS_USE_PATH_STYLE=maybe",         // bad bool
           "s3://bkt/p?" + creds + "&S3_STORAGE_CLASS=cold%20storage",  // bad class
           "s3://bkt/p?" + creds + "&AWS_REGION=a&AWS_REGION=b",        // repeated
           "s3://bkt/a/../b?" + creds,                                  // dot segment
           "s3://Bad_Bucket/p?" + creds,                                // not DNS-safe
           "gs://bkt/p?" + creds,                                       // wrong scheme
       }) {
    auto s = OpenS3(uri);
    ASSERT_FALSE(s.ok()) << uri;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument)
        << uri << " " << s.status().ToString();
    EXPECT_EQ(s.status().message().find("supersecret"), std::string::npos) << s.status().message();
  }
  // A bucket that cannot be a host name is fine with path-style addressing.
  EXPECT_TRUE(OpenS3("s3://Bad_Bucket/p?" + creds + "&AWS_USE_PATH_STYLE=true").ok());
}

TEST(S3StorageUri, SettingsAreValidated) {
  S3Settings s;
  s.part_size = 1 << 20;
  auto st = OpenS3(kGoodUri, s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("part size"), std::string::npos);
  s = S3Settings();
  s.list_page_size = 0;
  EXPECT_FALSE(OpenS3(kGoodUri, s).ok());
}

TEST(S3StorageUri, PathStyleDefaultsForIpEndpointsAndImplicitAuthUsesEnvironment) {
  S3Settings s;
  std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", "ENVID"},
                                            {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"},
                                            {"AWS_REGION", "ap-south-1"},
                                            {"HOME", "/nonexistent"}};
  s.env = [&](std::string_view n) -> std::optional<std::string> {
    auto it = env.find(std::string(n));
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto st = OpenS3("s3://bkt?AUTH=implicit&AWS_ENDPOINT=http://127.0.0.1:9000", s);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_TRUE((*st)->client().config().path_style);
  EXPECT_EQ((*st)->client().config().credentials.access_key_id, "ENVID");
  EXPECT_EQ((*st)->client().config().region, "ap-south-1");
  EXPECT_EQ((*st)->base_prefix(), "");

  st = OpenS3("s3://bkt/x?AUTH=implicit", s);
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE((*st)->client().config().path_style);

  env.clear();
  st = OpenS3("s3://bkt/x?AUTH=implicit", s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST(S3StorageUri, StorageFactoryOpensS3Uris) {
  auto s = OpenExternalStorage(kGoodUri, StorageContext{});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE((*s)->RedactedUri().starts_with("s3://bkt/base/dir?"));
  EXPECT_EQ((*s)->RedactedUri().find("SECRETVALUE"), std::string::npos);
  auto bad = OpenExternalStorage("s3://bkt/p?AWS_SECRET_ACCESS_KEY=SECRETVALUE&NOPE=1", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("NOPE"), std::string::npos);
  EXPECT_EQ(bad.status().message().find("SECRETVALUE"), std::string::npos);
}

TEST(S3StorageUri, InvalidObjectPathsAreRefusedBeforeAnyRequest) {
  auto s = OpenS3(kGoodUri);
  ASSERT_TRUE(s.ok());
  for (const char* bad : {"", "/abs", "a//b", "a/./b", "../x"}) {
    EXPECT_EQ((*s)->NewWriter(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ((*s)->Size(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

// --- against the plain moto server ---

class S3StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::optional<S3TestServer> server = RequireServer(/*auth=*/false);
    ASSERT_TRUE(server.has_value());
    server_ = *server;
    bucket_ = UniqueBucket("st");
    storage_ = Storage("base");
    ASSERT_NE(storage_, nullptr);
    Status s = storage_->client().CreateBucket();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::unique_ptr<S3Storage> Storage(const std::string& base, const std::string& extra = "",
                                     S3Settings settings = s3_testing::FastTestSettings()) {
    return OpenOrDie(S3Uri(server_, bucket_, base, extra), settings);
  }

  void Put(ExternalStorage& s, const std::string& path, std::string_view data) {
    Status st = WriteSmallFile(s, path, data);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // boto3's answer to `cmd` ("OK ..." on success), expecting success.
  std::string Boto3(const std::string& cmd,
                    const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string r = s3_testing::Boto3Client::Get().Call(server_, cmd, bucket_, fields);
    EXPECT_TRUE(r.starts_with("OK")) << cmd << ": " << r;
    return r.size() > 3 ? r.substr(3) : "";
  }

  std::string Boto3Get(const std::string& key) {
    TempDir dir;
    std::string file = dir.path() + "/obj";
    Boto3("get", {{"key", key}, {"file", file}});
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // "<size> <storage class> <etag>" from boto3's head_object.
  std::string Boto3Head(const std::string& key) { return Boto3("head", {{"key", key}}); }

  int Boto3OpenUploads() { return std::atoi(Boto3("uploads", {}).c_str()); }

  S3TestServer server_;
  std::string bucket_;
  std::unique_ptr<S3Storage> storage_;
};

TEST_F(S3StorageTest, SmallObjectsRoundTrip) {
  Put(*storage_, "LATEST", "2026/11/28-145137.12");
  auto got = ReadSmallFile(*storage_, "LATEST");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "2026/11/28-145137.12");
  auto size = storage_->Size("LATEST");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 20u);

  // Overwrite, empty object, and names that need percent-encoding.
  Put(*storage_, "LATEST", "x");
  EXPECT_EQ(*ReadSmallFile(*storage_, "LATEST"), "x");
  Put(*storage_, "empty", "");
  EXPECT_EQ(*storage_->Size("empty"), 0u);
  EXPECT_EQ(*ReadSmallFile(*storage_, "empty"), "");
  const std::string odd = "dir with space/a+b=c&d%e~f\xe1\x88\xb4.bin";
  Put(*storage_, odd, "odd");
  EXPECT_EQ(*ReadSmallFile(*storage_, odd), "odd");
  EXPECT_EQ(Boto3Get("base/" + odd), "odd");
  EXPECT_EQ(ListToStrings(*storage_, "dir with space/", "/"), std::vector<std::string>{odd + ":3"});
}

TEST_F(S3StorageTest, MultipartUploadIsReadableByBoto3AndCofre) {
  const std::string data = PatternBytes(20 << 20, 7);
  auto writer = storage_->NewWriter("data/1.cfd");
  ASSERT_TRUE(writer.ok());
  size_t off = 0;
  const size_t pieces[] = {1, 100, 70000, 3 << 20, 5, 1 << 20, 7 << 20};
  for (size_t i = 0; off < data.size(); ++i) {
    size_t n = std::min(pieces[i % 7], data.size() - off);
    ASSERT_TRUE((*writer)->Append(std::string_view(data).substr(off, n)).ok());
    off += n;
  }
  EXPECT_EQ((*writer)->BytesAppended(), data.size());
  // Not visible before Close.
  EXPECT_TRUE(IsNotFound(storage_->Size("data/1.cfd").status()));
  Status closed = (*writer)->Close();
  ASSERT_TRUE(closed.ok()) << closed.ToString();

  // boto3 sees a 4-part multipart object (ETag "...-4") with the same bytes.
  std::string head = Boto3Head("base/data/1.cfd");
  EXPECT_TRUE(head.starts_with(std::to_string(data.size()) + " STANDARD ")) << head;
  EXPECT_NE(head.find("-4\""), std::string::npos) << head;
  EXPECT_TRUE(Boto3Get("base/data/1.cfd") == data);

  auto got = ReadSmallFile(*storage_, "data/1.cfd", 64 << 20);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  EXPECT_EQ(Boto3OpenUploads(), 0);
}

TEST_F(S3StorageTest, ObjectOfExactlyOnePartIsOnePut) {
  const std::string data = PatternBytes(5 << 20, 8);
  Put(*storage_, "one", data);
  std::string head = Boto3Head("base/one");
  EXPECT_EQ(head.find("-1\""), std::string::npos) << head;  // not a multipart ETag
  EXPECT_TRUE(*ReadSmallFile(*storage_, "one") == data);
}

TEST_F(S3StorageTest, SequentialAndRangedReads) {
  S3Settings settings = s3_testing::FastTestSettings();
  auto storage = Storage("base", "", settings);
  const std::string data = PatternBytes(3 * (256 << 10) + 12345, 9);
  Put(*storage, "f", data);
  auto reader = storage->NewReader("f");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->Size(), data.size());

  // Sequential reads of varying small sizes cross window boundaries.
  std::string got;
  std::vector<char> buf(1 << 20);
  size_t i = 0;
  while (true) {
    size_t want = (i++ % 3 == 2) ? (300 << 10) : 1 + (got.size() % 70001);
    auto n = (*reader)->Read(buf.data(), want);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) break;
    got.append(buf.data(), *n);
  }
  EXPECT_TRUE(got == data);

  // Ranged reads anywhere, including across the end and past it.
  for (uint64_t at :
       {uint64_t{0}, uint64_t{1}, uint64_t{(256 << 10) - 3}, uint64_t{500000}, data.size() - 10}) {
    auto n = (*reader)->ReadAt(at, buf.data(), 4096);
    ASSERT_TRUE(n.ok());
    size_t want = std::min<size_t>(4096, data.size() - at);
    ASSERT_EQ(*n, want);
    EXPECT_EQ(std::string(buf.data(), *n), data.substr(at, want)) << at;
  }
  auto past = (*reader)->ReadAt(data.size() + 5, buf.data(), 10);
  ASSERT_TRUE(past.ok());
  EXPECT_EQ(*past, 0u);
  auto big = (*reader)->ReadAt(7, buf.data(), buf.size());
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(std::string(buf.data(), *big), data.substr(7, buf.size()));
}

TEST_F(S3StorageTest, ReplacedObjectFailsTheOpenReader) {
  Put(*storage_, "r", PatternBytes(100000, 1));
  S3Settings settings = s3_testing::FastTestSettings();
  auto storage = Storage("base", "", settings);
  auto reader = storage->NewReader("r");
  ASSERT_TRUE(reader.ok());
  char buf[100];
  ASSERT_TRUE((*reader)->Read(buf, sizeof(buf)).ok());
  Put(*storage_, "r", PatternBytes(100000, 2));
  auto n = (*reader)->ReadAt(50000, buf, sizeof(buf));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kFailedPrecondition) << n.status().ToString();
  EXPECT_NE(n.status().message().find("changed while it was being read"), std::string::npos);
}

// A reader opened with the object's expected size makes no HEAD (s3_fault_test.cc counts them):
// its first GET checks the size and pins the ETag, so that a size other than the one expected is
// kWrongObjectSize, a missing object NotFound at the first read, and an object replaced after
// the first read fails the reader as it does when the ETag came from a HEAD.
TEST_F(S3StorageTest, ReaderOpenedWithItsExpectedSize) {
  const std::string data = PatternBytes(200000, 3);
  Put(*storage_, "sized", data);
  S3Settings settings = s3_testing::FastTestSettings();
  auto storage = Storage("base", "", settings);
  ReaderOptions right;
  right.expected_size = data.size();
  ASSERT_OK_AND_ASSIGN(auto reader, storage->NewReader("sized", right));
  std::vector<char> buf(2 * data.size());
  ASSERT_OK_AND_ASSIGN(size_t n, ReadFully(*reader, buf.data(), buf.size()));
  EXPECT_TRUE(std::string(buf.data(), n) == data);

  for (uint64_t wrong : {data.size() - 1, data.size() + 1}) {
    ReaderOptions options;
    options.expected_size = wrong;
    ASSERT_OK_AND_ASSIGN(auto r, storage->NewReader("sized", options));
    EXPECT_EQ(r->Size(), wrong);
    StatusOr<size_t> read = ReadFully(*r, buf.data(), buf.size());
    EXPECT_THAT(read, StatusIs(StatusCode::kDataLoss, HasSubstr(std::to_string(data.size()))));
    EXPECT_EQ(read.status().detail(), ErrorDetail::kWrongObjectSize) << wrong;
    StatusOr<size_t> ranged = r->ReadAt(wrong - 1, buf.data(), 1);
    EXPECT_EQ(ranged.status().detail(), ErrorDetail::kWrongObjectSize) << wrong;
  }

  ReaderOptions ten;
  ten.expected_size = 10;
  ASSERT_OK_AND_ASSIGN(auto missing, storage->NewReader("no/such", ten));
  EXPECT_THAT(missing->Read(buf.data(), 10), StatusIs(StatusCode::kNotFound));

  ASSERT_OK_AND_ASSIGN(auto pinned, storage->NewReader("sized", right));
  ASSERT_THAT(pinned->Read(buf.data(), 100), IsOk());
  Put(*storage_, "sized", PatternBytes(data.size(), 4));  // the same size, other bytes
  EXPECT_THAT(
      pinned->ReadAt(50000, buf.data(), 100),
      StatusIs(StatusCode::kFailedPrecondition, HasSubstr("changed while it was being read")));
}

TEST_F(S3StorageTest, ListWithDelimiterAcrossSmallPages) {
  S3Settings settings = s3_testing::FastTestSettings();
  settings.list_page_size = 2;
  auto storage = Storage("base", "", settings);
  for (const std::string& p : storage_testing::TreePaths()) Put(*storage, p, p);
  // Objects outside the base path never show up.
  auto other = Storage("base2");
  Put(*other, "zzz", "");
  Put(*other, "x/y/z", "");

  std::vector<std::string> all;
  for (std::string p : storage_testing::TreePaths())
    all.push_back(p + ":" + std::to_string(p.size()));
  std::sort(all.begin(), all.end());
  EXPECT_EQ(ListToStrings(*storage, "", ""), all);
  EXPECT_EQ(ListToStrings(*storage, "", "/"),
            (std::vector<std::string>{"2026/", "data/", "w:1", "x-1:3", "x.d/", "x/", "x0:2"}));
  EXPECT_EQ(ListToStrings(*storage, "x/y", "/"),
            (std::vector<std::string>{"x/y-z:5", "x/y.z:5", "x/y/", "x/yz:4"}));
  EXPECT_EQ(ListToStrings(*storage, "2026/11/", "/"),
            (std::vector<std::string>{"2026/11/28-145137.12/", "2026/11/29-000000.00/"}));
  EXPECT_EQ(ListToStrings(*storage, "data/1", ""),
            (std::vector<std::string>{"data/1.cfd:10", "data/10.cfd:11"}));
  EXPECT_TRUE(ListToStrings(*storage, "nope/", "/").empty());

  // A callback error stops the listing and is returned.
  int seen = 0;
  Status s = storage->List("", "", [&](const ListEntry&) {
    return ++seen == 3 ? CancelledError("enough") : Status::OK();
  });
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_EQ(seen, 3);
}

TEST_F(S3StorageTest, ConcurrentWritesThenPaginatedListAndBatchDelete) {
  constexpr int kKeys = 61;
  S3Settings settings = s3_testing::FastTestSettings();
  settings.list_page_size = 4;
  auto storage = Storage("base", "", settings);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kKeys; i += 4) {
        char name[32];
        std::snprintf(name, sizeof(name), "many/%05d", i);
        if (!WriteSmallFile(*storage, name, "v").ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures, 0);

  std::vector<std::string> listed = ListToStrings(*storage, "many/", "");
  ASSERT_EQ(listed.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(listed.front(), "many/00000:1");
  EXPECT_EQ(listed.back(), "many/00060:1");
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));

  // 1003 paths, most of them absent, take two DeleteObjects requests (1000 keys at most each).
  std::vector<std::string> paths;
  for (int i = 0; i < 1003; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "many/%05d", i);
    paths.push_back(name);
  }
  Status s = storage->DeleteMany(paths);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(ListToStrings(*storage, "many/", "").empty());
}

TEST_F(S3StorageTest, DeleteIsIdempotent) {
  Put(*storage_, "gone", "bye");
  ASSERT_TRUE(storage_->Delete("gone").ok());
  EXPECT_TRUE(IsNotFound(storage_->Size("gone").status()));
  EXPECT_TRUE(storage_->Delete("gone").ok());
  EXPECT_TRUE(storage_->Delete("never/was").ok());
}

TEST_F(S3StorageTest, MissingObjectsAndBucketsAreNotFound) {
  auto r = storage_->NewReader("missing/file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("s3://" + bucket_ + "/base/missing/file"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(IsNotFound(storage_->Size("missing/file").status()));
  auto small = ReadSmallFile(*storage_, "missing/file");  // one GET, no HEAD first
  EXPECT_THAT(small, StatusIs(StatusCode::kNotFound, HasSubstr("base/missing/file")));

  const std::string ghost = UniqueBucket("ghost");
  auto missing = OpenOrDie(S3Uri(server_, ghost, "p"), s3_testing::FastTestSettings());
  std::vector<Status> errors = {
      missing->Size("x").status(),
      missing->NewReader("x").status(),
      ReadSmallFile(*missing, "x").status(),
      missing->List("", "/", [](const ListEntry&) { return Status::OK(); }),
      WriteSmallFile(*missing, "x", "data"),
      missing->Delete("x")};
  for (const Status& s : errors) {
    EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
    EXPECT_EQ(s.detail(), ErrorDetail::kMissingContainer) << s.ToString();
    EXPECT_NE(s.message().find("bucket '" + ghost + "' does not exist"), std::string::npos)
        << s.message();
    EXPECT_EQ(s.message().find(server_.secret_access_key), std::string::npos);
  }
}

TEST_F(S3StorageTest, AbandonedAndMisusedWritersPublishNothing) {
  {
    auto w = storage_->NewWriter("small");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append("partial").ok());
  }
  {
    auto w = storage_->NewWriter("big");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(PatternBytes(12 << 20, 3)).ok());  // two parts sent
    EXPECT_EQ(Boto3OpenUploads(), 1);
  }
  EXPECT_EQ(Boto3OpenUploads(), 0);
  EXPECT_TRUE(ListToStrings(*storage_, "", "").empty());

  auto w = storage_->NewWriter("w");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ((*w)->Append("x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*w)->Close().code(), StatusCode::kFailedPrecondition);
}

TEST_F(S3StorageTest, StorageClassIsAppliedToPutsAndMultipartUploads) {
  auto storage = Storage("cls", "&S3_STORAGE_CLASS=STANDARD_IA");
  Put(*storage, "small", "s");
  Put(*storage, "large", PatternBytes(6 << 20, 4));
  EXPECT_EQ(Boto3Head("cls/small").substr(0, 14), "1 STANDARD_IA ");
  EXPECT_NE(Boto3Head("cls/large").find(" STANDARD_IA "), std::string::npos);
}

TEST_F(S3StorageTest, ReadsWhatBoto3Wrote) {
  TempDir dir;
  const std::string data = PatternBytes(12 << 20 | 333, 5);
  std::ofstream(dir.path() + "/f", std::ios::binary) << data;
  Boto3("put", {{"key", "base/from-boto3"}, {"file", dir.path() + "/f"}, {"part_mib", "5"}});
  EXPECT_NE(Boto3Head("base/from-boto3").find("-3\""), std::string::npos);
  auto got = ReadSmallFile(*storage_, "from-boto3", 64 << 20);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  EXPECT_EQ(ListToStrings(*storage_, "from-", ""),
            std::vector<std::string>{"from-boto3:" + std::to_string(data.size())});
}

// 256 MiB up and down with the default settings; run with --gtest_also_run_disabled_tests.
TEST_F(S3StorageTest, DISABLED_Throughput256MiB) {
  S3Settings settings;  // defaults: 8 MiB parts, 4 in flight, 8 MiB read window
  auto storage = Storage("bench", "", settings);
  const std::string chunk = PatternBytes(1 << 20, 11);
  constexpr int kMiB = 256;
  auto start = std::chrono::steady_clock::now();
  auto w = storage->NewWriter("big");
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < kMiB; ++i) ASSERT_TRUE((*w)->Append(chunk).ok());
  Status s = (*w)->Close();
  ASSERT_TRUE(s.ok()) << s.ToString();
  double up = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  start = std::chrono::steady_clock::now();
  auto r = storage->NewReader("big");
  ASSERT_TRUE(r.ok());
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  while (true) {
    auto n = (*r)->Read(buf.data(), 256 << 10);
    ASSERT_TRUE(n.ok());
    if (*n == 0) break;
    total += *n;
  }
  double down = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(total, uint64_t{kMiB} << 20);
  std::printf("256 MiB to moto: upload %.2f s (%.1f MiB/s), download %.2f s (%.1f MiB/s)\n", up,
              kMiB / up, down, kMiB / down);
}

// --- against the signature-checking moto server ---

class S3AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::optional<S3TestServer> server = RequireServer(/*auth=*/true);
    ASSERT_TRUE(server.has_value());
    server_ = *server;
    bucket_ = UniqueBucket("auth");
  }
  S3TestServer server_;
  std::string bucket_;
};

TEST_F(S3AuthTest, CorrectlySignedRequestsAreAccepted) {
  auto storage = OpenOrDie(S3Uri(server_, bucket_, "signed/base"), s3_testing::FastTestSettings());
  ASSERT_NE(storage, nullptr);
  Status s = storage->client().CreateBucket();
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::string big = PatternBytes(11 << 20, 6);
  ASSERT_TRUE(WriteSmallFile(*storage, "dir/big.cfd", big).ok());
  ASSERT_TRUE(WriteSmallFile(*storage, "dir/sub/small", "s").ok());
  ASSERT_TRUE(WriteSmallFile(*storage, "LATEST", "l").ok());
  auto got = ReadSmallFile(*storage, "dir/big.cfd", 64 << 20);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == big);
  EXPECT_TRUE(storage->DeleteMany({"dir/big.cfd", "LATEST"}).ok());
  EXPECT_TRUE(IsNotFound(storage->Size("LATEST").status()));

  // moto 5.2.1 checks query strings after decoding them, so it rejects any correctly signed
  // query value containing '/' (boto3's list_objects_v2(Prefix="a/") fails the same way).
  // List from the bucket root with a slash-free prefix here; the plain server and the AWS test
  // vectors cover prefixes and delimiters.
  auto root = OpenOrDie(S3Uri(server_, bucket_, ""), s3_testing::FastTestSettings());
  ASSERT_TRUE(WriteSmallFile(*root, "top-1", "a").ok());
  ASSERT_TRUE(WriteSmallFile(*root, "top-2", "bb").ok());
  EXPECT_EQ(ListToStrings(*root, "top", ""), (std::vector<std::string>{"top-1:1", "top-2:2"}));
  EXPECT_EQ(ListToStrings(*root, "", "").size(), 3u);
}

TEST_F(S3AuthTest, ImplicitCredentialsFromTheEnvironmentWork) {
  S3Settings settings = s3_testing::FastTestSettings();
  std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", server_.access_key_id},
                                            {"AWS_SECRET_ACCESS_KEY", server_.secret_access_key}};
  settings.env = [&](std::string_view n) -> std::optional<std::string> {
    auto it = env.find(std::string(n));
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto storage = OpenOrDie(
      "s3://" + bucket_ + "/p?AUTH=implicit&AWS_ENDPOINT=" + PercentEncode(server_.endpoint, false),
      settings);
  ASSERT_NE(storage, nullptr);
  ASSERT_TRUE(storage->client().CreateBucket().ok());
  ASSERT_TRUE(WriteSmallFile(*storage, "f", "implicit").ok());
  EXPECT_EQ(*ReadSmallFile(*storage, "f"), "implicit");
}

TEST_F(S3AuthTest, WrongSecretIsPermissionDeniedWithoutRetries) {
  auto good = OpenOrDie(S3Uri(server_, bucket_, "p"), s3_testing::FastTestSettings());
  ASSERT_TRUE(good->client().CreateBucket().ok());
  ASSERT_TRUE(WriteSmallFile(*good, "f", "data").ok());

  S3TestServer wrong = server_;
  wrong.secret_access_key = "wrong-secret-value-123";
  auto bad = OpenOrDie(S3Uri(wrong, bucket_, "p"), s3_testing::FastTestSettings());
  auto start = std::chrono::steady_clock::now();
  std::vector<Status> errors = {WriteSmallFile(*bad, "g", "x"), ReadSmallFile(*bad, "f").status(),
                                bad->List("", "", [](const ListEntry&) { return Status::OK(); })};
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  for (const Status& s : errors) {
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
    EXPECT_NE(s.message().find("S3 rejected the credentials for s3://" + bucket_ + "/p"),
              std::string::npos)
        << s.message();
    EXPECT_EQ(s.message().find("wrong-secret-value-123"), std::string::npos);
    EXPECT_EQ(s.message().find(server_.access_key_id), std::string::npos);
  }
  EXPECT_NE(errors[0].message().find("SignatureDoesNotMatch"), std::string::npos);
}

}  // namespace
}  // namespace cofre
