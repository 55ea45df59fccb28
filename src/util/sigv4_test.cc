// Checks SigV4 signing against AWS's published test suite (tests/testdata/aws-sigv4, see
// SOURCE.md there) step by step, plus S3 examples from AWS's S3 API reference.
#include "util/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/sha256.h"
#include "util/uri.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

std::string ReadFileOrDie(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << p;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The value of "name" in a flat-enough JSON document: a string's contents or a bare token.
std::string JsonField(const std::string& json, const std::string& name) {
  size_t k = json.find("\"" + name + "\"");
  if (k == std::string::npos) return "";
  size_t colon = json.find(':', k);
  size_t v = json.find_first_not_of(" \t\n", colon + 1);
  if (json[v] == '"') return json.substr(v + 1, json.find('"', v + 1) - v - 1);
  size_t end = json.find_first_of(",}\n", v);
  return json.substr(v, end - v);
}

std::chrono::system_clock::time_point ParseTimestamp(const std::string& iso) {
  std::tm tm{};
  EXPECT_TRUE(strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr) << iso;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

KeyValueList ParseQuery(std::string_view q) {
  KeyValueList out;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    size_t eq = kv.find('=');
    StatusOr<std::string> k = PercentDecode(kv.substr(0, eq));
    StatusOr<std::string> v =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1));
    EXPECT_TRUE(k.ok() && v.ok()) << kv;
    out.emplace_back(*k, *v);
  }
  return out;
}

struct TestCase {
  std::string name;
  AwsCredentials credentials;
  SigV4Params params;
  int64_t expires = 0;
  SigV4Request request;
};

// Parses a case directory: context.json and request.txt (request line, headers with folded
// continuation lines, blank line, body).
TestCase LoadCase(const fs::path& dir) {
  TestCase tc;
  tc.name = dir.filename().string();
  std::string ctx = ReadFileOrDie(dir / "context.json");
  tc.credentials = AwsCredentials(JsonField(ctx, "access_key_id"),
                                  JsonField(ctx, "secret_access_key"), JsonField(ctx, "token"));
  tc.params = SigV4Params::ForService(JsonField(ctx, "service"), JsonField(ctx, "region"),
                                      ParseTimestamp(JsonField(ctx, "timestamp")));
  tc.params.normalize_path = JsonField(ctx, "normalize") != "false";
  tc.params.add_content_sha256_header = JsonField(ctx, "sign_body") == "true";
  tc.params.sign_session_token = JsonField(ctx, "omit_session_token") != "true";
  tc.expires = std::stoll(JsonField(ctx, "expiration_in_seconds"));

  std::string raw = ReadFileOrDie(dir / "request.txt");
  size_t header_end = raw.find("\n\n");
  std::string head = raw.substr(0, header_end);
  std::string body = header_end == std::string::npos ? "" : raw.substr(header_end + 2);
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  size_t sp = line.find(' ');
  tc.request.method = line.substr(0, sp);
  std::string target = line.substr(sp + 1, line.rfind(" HTTP/") - sp - 1);
  size_t q = target.find('?');
  tc.request.path = target.substr(0, q);
  if (q != std::string::npos) tc.request.query = ParseQuery(target.substr(q + 1));
  while (std::getline(lines, line)) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      tc.request.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    tc.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  tc.request.payload_hash = Sha256::HexDigest(body);
  return tc;
}

std::vector<fs::path> CaseDirs() {
  std::vector<fs::path> dirs;
  for (const auto& e :
       fs::directory_iterator(fs::path(COFRE_SOURCE_DIR) / "tests/testdata/aws-sigv4")) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

std::string AuthorizationLine(const std::string& signed_request) {
  std::istringstream in(signed_request);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("Authorization:")) return line.substr(strlen("Authorization:"));
  }
  return "";
}

TEST(SigV4TestSuite, HasAllCases) { EXPECT_EQ(CaseDirs().size(), 38u); }

TEST(SigV4TestSuite, HeaderSigningMatchesEveryVector) {
  for (const fs::path& dir : CaseDirs()) {
    SCOPED_TRACE(dir.filename().string());
    TestCase tc = LoadCase(dir);
    SigV4Signature sig = SignRequestHeaders(tc.credentials, tc.params, &tc.request);
    EXPECT_EQ(sig.canonical_request, ReadFileOrDie(dir / "header-canonical-request.txt"));
    EXPECT_EQ(sig.string_to_sign, ReadFileOrDie(dir / "header-string-to-sign.txt"));
    EXPECT_EQ(sig.signature, ReadFileOrDie(dir / "header-signature.txt"));
    EXPECT_EQ(sig.authorization,
              AuthorizationLine(ReadFileOrDie(dir / "header-signed-request.txt")));
    // The Authorization header was added to the request.
    EXPECT_EQ(tc.request.headers.back().first, "Authorization");
  }
}

TEST(SigV4TestSuite, QuerySigningMatchesEveryVector) {
  for (const fs::path& dir : CaseDirs()) {
    SCOPED_TRACE(dir.filename().string());
    TestCase tc = LoadCase(dir);
    SigV4Signature sig = PresignRequestQuery(tc.credentials, tc.params,
                                             std::chrono::seconds(tc.expires), &tc.request);
    EXPECT_EQ(sig.canonical_request, ReadFileOrDie(dir / "query-canonical-request.txt"));
    EXPECT_EQ(sig.string_to_sign, ReadFileOrDie(dir / "query-string-to-sign.txt"));
    EXPECT_EQ(sig.signature, ReadFileOrDie(dir / "query-signature.txt"));
    // The presigned query holds the same parameters as AWS's signed request (order aside).
    std::string signed_req = ReadFileOrDie(dir / "query-signed-request.txt");
    std::string first_line = signed_req.substr(0, signed_req.find('\n'));
    std::string target = first_line.substr(first_line.find(' ') + 1);
    target = target.substr(0, target.rfind(" HTTP/"));
    KeyValueList expected = ParseQuery(target.substr(target.find('?') + 1));
    KeyValueList got = tc.request.query;
    std::sort(expected.begin(), expected.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, expected);
  }
}

// AWS S3 API reference, "Signature Calculations for the Authorization Header: Transferring
// Payload in a Single Chunk" examples.
const AwsCredentials kS3DocCreds("AKIAIOSFODNN7EXAMPLE",
                                 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

std::chrono::system_clock::time_point May24_2013() {
  return ParseTimestamp("2013-05-24T00:00:00Z");
}

TEST(SigV4S3, GetObjectWithRange) {
  SigV4Request r;
  r.method = "GET";
  r.path = S3WirePath("/test.txt");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  r.payload_hash = Sha256::HexDigest("");
  SigV4Signature sig =
      SignRequestHeaders(kS3DocCreds, SigV4Params::ForS3("us-east-1", May24_2013()), &r);
  EXPECT_EQ(
      sig.canonical_request,
      "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sig.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3, PutObjectEncodesKeyOnceAndSignsStorageClass) {
  SigV4Request r;
  r.method = "PUT";
  r.path = S3WirePath("/test$file.text");
  EXPECT_EQ(r.path, "/test%24file.text");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  r.payload_hash = Sha256::HexDigest("Welcome to Amazon S3.");
  SigV4Signature sig =
      SignRequestHeaders(kS3DocCreds, SigV4Params::ForS3("us-east-1", May24_2013()), &r);
  EXPECT_EQ(sig.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4S3, ListObjectsQuery) {
  SigV4Request r;
  r.method = "GET";
  r.path = "/";
  r.query = {{"max-keys", "2"}, {"prefix", "J"}};
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  r.payload_hash = Sha256::HexDigest("");
  SigV4Signature sig =
      SignRequestHeaders(kS3DocCreds, SigV4Params::ForS3("us-east-1", May24_2013()), &r);
  EXPECT_EQ(sig.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// AWS S3 API reference, "Authenticating Requests: Using Query Parameters" example.
TEST(SigV4S3, PresignedGet) {
  SigV4Request r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  r.payload_hash = "UNSIGNED-PAYLOAD";
  SigV4Params p = SigV4Params::ForS3("us-east-1", May24_2013());
  SigV4Signature sig = PresignRequestQuery(kS3DocCreds, p, std::chrono::seconds(86400), &r);
  EXPECT_EQ(sig.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ(r.query.back().first, "X-Amz-Signature");
  EXPECT_NE(r.EncodedQuery().find(
                "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"),
            std::string::npos);
}

TEST(SigV4S3, SessionTokenIsSignedAndSecretNeverAppears) {
  AwsCredentials creds("AKID", "very-secret-key", "session-token-value");
  SigV4Request r;
  r.method = "GET";
  r.path = "/bucket/key";
  r.headers = {{"host", "127.0.0.1:9000"}};
  r.payload_hash = Sha256::HexDigest("");
  SigV4Signature sig = SignRequestHeaders(creds, SigV4Params::ForS3("us-east-1", May24_2013()), &r);
  EXPECT_NE(sig.canonical_request.find("x-amz-security-token:session-token-value"),
            std::string::npos);
  EXPECT_NE(sig.authorization.find("x-amz-security-token"), std::string::npos);
  for (const auto& [k, v] : r.headers) EXPECT_EQ(v.find("very-secret-key"), std::string::npos);
  EXPECT_EQ(sig.canonical_request.find("very-secret-key"), std::string::npos);
}

TEST(SigV4Blocks, S3PathIsVerbatimOtherServicesNormaliseAndEncodeAgain) {
  EXPECT_EQ(CanonicalUriPath("/a//b/./c/../d%20e", false, false), "/a//b/./c/../d%20e");
  EXPECT_EQ(CanonicalUriPath("/a//b/./c/../d%20e", true, true), "/a/b/d%2520e");
  EXPECT_EQ(CanonicalUriPath("", true, true), "/");
}

TEST(SigV4Blocks, NormalizeUriPath) {
  EXPECT_EQ(NormalizeUriPath("/"), "/");
  EXPECT_EQ(NormalizeUriPath(""), "/");
  EXPECT_EQ(NormalizeUriPath("/a/b/../../.."), "/");
  EXPECT_EQ(NormalizeUriPath("/a/./b/"), "/a/b/");
  EXPECT_EQ(NormalizeUriPath("/a/b/."), "/a/b/");
  EXPECT_EQ(NormalizeUriPath("a/b"), "/a/b");
  for (std::string p : {"/x/../y//z/.", "//..//a", "/a/b/c"}) {
    EXPECT_EQ(NormalizeUriPath(NormalizeUriPath(p)), NormalizeUriPath(p)) << p;
  }
}

TEST(SigV4Blocks, CanonicalHeaderValueAndQuery) {
  EXPECT_EQ(CanonicalHeaderValue("  a \t b\n   c  "), "a b c");
  EXPECT_EQ(CanonicalHeaderValue(""), "");
  EXPECT_EQ(CanonicalQueryString({{"b", "2"}, {"a", "x y"}, {"a", "1"}, {"c", ""}}),
            "a=1&a=x%20y&b=2&c=");
}

}  // namespace
}  // namespace cofre
