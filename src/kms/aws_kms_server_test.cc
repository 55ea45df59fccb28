// AwsKms against a real AWS KMS protocol server: the moto servers scripts/test-servers.sh starts
// (COFRE_TEST_KMS_ENDPOINT without signature checks, COFRE_TEST_KMS_AUTH_ENDPOINT with them).
// Keys are created with boto3, an independent client. When the variables are missing the tests
// FAIL (never skip) with a message saying how to start the servers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "kms/aws_kms.h"
#include "kms/kms.h"
#include "util/uri.h"

namespace cofre {
namespace {

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::optional<std::string> RequireEnv(const char* name) {
  auto v = Env(name);
  if (!v) {
    ADD_FAILURE() << name
                  << " is not set: the KMS tests need the local moto servers. Run "
                     "`scripts/test-servers.sh start` and `source build/test-servers.env` (or "
                     "`make test`, which does both) before running them.";
  }
  return v;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a boto3 KMS snippet (`kms` is the client) and returns its stdout, trimmed.
std::string Boto3(const std::string& endpoint, const std::string& region, const std::string& id,
                  const std::string& secret, const std::string& snippet) {
  std::string script =
      "import boto3\nkms = boto3.client('kms', endpoint_url=" + ShellQuote(endpoint) +
      ", region_name=" + ShellQuote(region) + ", aws_access_key_id=" + ShellQuote(id) +
      ", aws_secret_access_key=" + ShellQuote(secret) + ")\n" + snippet + "\n";
  FILE* p = popen(("python3 -c " + ShellQuote(script)).c_str(), "r");
  if (p == nullptr) return "";
  std::string out;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << "boto3 snippet failed: " << snippet;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

struct Server {
  std::string endpoint;
  std::string id = "test-id";
  std::string secret = "test-secret";
};

std::optional<Server> PlainServer() {
  auto ep = RequireEnv("COFRE_TEST_KMS_ENDPOINT");
  if (!ep) return std::nullopt;
  return Server{*ep};
}

std::optional<Server> AuthServer() {
  auto ep = RequireEnv("COFRE_TEST_KMS_AUTH_ENDPOINT");
  auto id = RequireEnv("COFRE_TEST_S3_AUTH_ACCESS_KEY_ID");
  auto secret = RequireEnv("COFRE_TEST_S3_AUTH_SECRET_ACCESS_KEY");
  if (!ep || !id || !secret) return std::nullopt;
  return Server{*ep, *id, *secret};
}

// A new symmetric key; returns its ARN.
std::string CreateKey(const Server& s, const std::string& region) {
  return Boto3(s.endpoint, region, s.id, s.secret, "print(kms.create_key()['KeyMetadata']['Arn'])");
}

std::string KmsUri(const Server& s, const std::string& key, const std::string& region,
                   const std::string& secret_override = "") {
  return "aws:///" + key + "?AUTH=specified&AWS_ACCESS_KEY_ID=" + PercentEncode(s.id, false) +
         "&AWS_SECRET_ACCESS_KEY=" +
         PercentEncode(secret_override.empty() ? s.secret : secret_override, false) +
         "&REGION=" + region + "&AWS_ENDPOINT=" + PercentEncode(s.endpoint, false);
}

KmsOptions FastRetries() {
  KmsOptions o;
  o.retry.max_attempts = 3;
  o.retry.initial_backoff = std::chrono::milliseconds(10);
  o.retry.max_backoff = std::chrono::milliseconds(50);
  o.retry.total_budget = std::chrono::milliseconds(5'000);
  return o;
}

std::unique_ptr<Kms> OpenOrDie(const std::string& uri, const KmsOptions& o = FastRetries()) {
  auto kms = OpenKms(uri, o);
  EXPECT_TRUE(kms.ok()) << kms.status().ToString();
  return kms.ok() ? std::move(*kms) : nullptr;
}

const std::string kDataKey(32, '\x5a');
const KmsEncryptionContext kContext = {{"cofre-chain", "00112233445566778899aabbccddeeff"}};

void RoundTrip(const Server& s) {
  std::string arn = CreateKey(s, "us-east-1");
  ASSERT_TRUE(arn.starts_with("arn:aws:kms:us-east-1:")) << arn;
  std::string key_id = arn.substr(arn.find(":key/") + 5);
  Boto3(s.endpoint, "us-east-1", s.id, s.secret,
        "kms.create_alias(AliasName='alias/rt-" + key_id.substr(0, 8) + "', TargetKeyId='" +
            key_id + "')");
  for (const std::string& name :
       {key_id, arn, "alias/rt-" + key_id.substr(0, 8),
        "arn:aws:kms:us-east-1:" + arn.substr(22, 12) + ":alias/rt-" + key_id.substr(0, 8)}) {
    SCOPED_TRACE(name);
    auto kms = OpenOrDie(KmsUri(s, name, "us-east-1"));
    ASSERT_NE(kms, nullptr);
    auto ct = kms->Encrypt(kDataKey, kContext);
    ASSERT_TRUE(ct.ok()) << ct.status().ToString();
    EXPECT_EQ(ct->key_id, arn);  // the same canonical id whichever spelling the URI used
    auto pt = kms->Decrypt(ct->blob, kContext);
    ASSERT_TRUE(pt.ok()) << pt.status().ToString();
    EXPECT_EQ(pt->view(), kDataKey);
    EXPECT_EQ(kms->RequestCount(), 2);
  }
}

TEST(AwsKmsServerTest, RoundTripWithEveryKeySpelling) {
  auto s = PlainServer();
  if (s) RoundTrip(*s);
}

TEST(AwsKmsServerTest, RoundTripWithSignatureChecks) {
  auto s = AuthServer();
  if (s) RoundTrip(*s);
}

TEST(AwsKmsServerTest, ContextAndKeyAreEnforced) {
  auto s = PlainServer();
  if (!s) return;
  std::string k1 = CreateKey(*s, "us-east-1");
  std::string k2 = CreateKey(*s, "us-east-1");
  auto kms1 = OpenOrDie(KmsUri(*s, k1, "us-east-1"));
  auto kms2 = OpenOrDie(KmsUri(*s, k2, "us-east-1"));
  ASSERT_TRUE(kms1 && kms2);
  auto ct = kms1->Encrypt(kDataKey, kContext);
  ASSERT_TRUE(ct.ok()) << ct.status().ToString();

  // Another chain's context: refused.
  auto r = kms1->Decrypt(ct->blob, {{"cofre-chain", "ff"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  // Another key, even with credentials that could use the first: refused, not decrypted.
  r = kms2->Decrypt(ct->blob, kContext);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  // A corrupt blob.
  std::string bad = ct->blob;
  bad[bad.size() / 2] ^= 1;
  r = kms1->Decrypt(bad, kContext);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  // The same key in another region does not exist there.
  auto west = OpenOrDie(KmsUri(*s, k1.substr(k1.find(":key/") + 5), "us-west-2"));
  auto w = west->Encrypt(kDataKey, kContext);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kNotFound) << w.status().ToString();
  EXPECT_NE(w.status().message().find("REGION"), std::string::npos);
}

TEST(AwsKmsServerTest, UnknownAliasIsNotFound) {
  auto s = PlainServer();
  if (!s) return;
  auto kms = OpenOrDie(KmsUri(*s, "alias/never-created-" + std::to_string(getpid()), "us-east-1"));
  auto r = kms->Encrypt(kDataKey, kContext);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().ToString();
}

TEST(AwsKmsServerTest, WrongSecretIsRejectedWithoutLeakingIt) {
  auto s = AuthServer();
  if (!s) return;
  std::string arn = CreateKey(*s, "us-east-1");
  const std::string wrong = "WRONG-secret-value-1234";
  auto kms = OpenOrDie(KmsUri(*s, arn, "us-east-1", wrong));
  auto r = kms->Encrypt(kDataKey, kContext);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << r.status().ToString();
  EXPECT_NE(r.status().message().find("rejected the credentials"), std::string::npos);
  EXPECT_EQ(r.status().ToString().find(wrong), std::string::npos);
  EXPECT_EQ(r.status().ToString().find(s->secret), std::string::npos);
  EXPECT_EQ(kms->RequestCount(), 1);  // not retried
}

TEST(AwsKmsServerTest, UnreachableIsUnavailableAfterRetries) {
  Server dead{"http://127.0.0.1:1"};
  auto kms = OpenOrDie(KmsUri(dead, "alias/x", "us-east-1"));
  auto r = kms->Encrypt(kDataKey, kContext);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_EQ(kms->RequestCount(), 3);
  EXPECT_NE(r.status().message().find("127.0.0.1:1"), std::string::npos);
}

}  // namespace
}  // namespace cofre
