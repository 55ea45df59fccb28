// AwsKms without a server: URI parsing and its refusals, redaction, the scheme dispatch of
// OpenKms, and the mapping of AWS error answers to Status codes.
#include "kms/aws_kms.h"

#include <gtest/gtest.h>

#include "kms/aws_kms_errors.h"
#include "kms/kms.h"

namespace cofre {
namespace {

constexpr char kSecret[] = "s3cr3t-VALUE";

StatusOr<AwsKmsUri> Parse(const std::string& text) {
  StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  return ParseAwsKmsUri(*uri);
}

EnvLookup EmptyEnv() {
  return [](std::string_view) { return std::optional<std::string>(); };
}

TEST(AwsKmsUriTest, AcceptsCockroachDbForms) {
  auto u = Parse(std::string("aws:///alias/backup?AUTH=specified&AWS_ACCESS_KEY_ID=AK&"
                             "AWS_SECRET_ACCESS_KEY=") +
                 kSecret + "&REGION=us-east-1");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->key_id, "alias/backup");
  EXPECT_EQ(u->region, "us-east-1");
  EXPECT_EQ(u->auth, AwsAuthMode::kSpecified);
  EXPECT_EQ(u->credentials.secret_access_key, kSecret);
  EXPECT_EQ(u->redacted.find(kSecret), std::string::npos);

  u = Parse(
      "aws-kms:///arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-"
      "1234567890ab?AUTH=implicit&REGION=us-west-2");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->key_id,
            "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab");
  EXPECT_EQ(u->auth, AwsAuthMode::kImplicit);

  u = Parse(
      "aws:///1234abcd-12ab-34cd-56ef-1234567890ab?REGION=eu-central-1&"
      "AWS_ENDPOINT=http%3A%2F%2F127.0.0.1%3A4566&AWS_ACCESS_KEY_ID=a&"
      "AWS_SECRET_ACCESS_KEY=b&AWS_SESSION_TOKEN=t");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->endpoint, "http://127.0.0.1:4566");
  EXPECT_EQ(u->credentials.session_token, "t");
}

TEST(AwsKmsUriTest, PlainHttpEndpointsOnlyOnLoopbackOrWhenAllowed) {
  const std::string base = "aws:///k?AUTH=implicit&REGION=us-east-1&AWS_ENDPOINT=";
  for (const char* ok : {"http://127.0.0.1:4566", "http://localhost:80", "http://[::1]:4566",
                         "http://127.9.8.7", "https://kms.example.com", "https://10.0.0.5:443"}) {
    auto u = Parse(base + ok);
    EXPECT_TRUE(u.ok()) << ok << ": " << u.status().ToString();
  }
  for (const char* bad :
       {"http://10.0.0.5:4566", "http://kms.example.com", "http://127.0.0.1.evil.com"}) {
    auto u = Parse(base + bad);
    EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(u.status().ToString().find("ALLOW_INSECURE_HTTP"), std::string::npos) << bad;
  }
  EXPECT_FALSE(Parse(base + "http://127.0.0.1@evil.com").ok());  // a user part: refused
  EXPECT_TRUE(Parse(base + "http://kms.example.com&ALLOW_INSECURE_HTTP=true").ok());
  EXPECT_FALSE(Parse(base + "http://kms.example.com&ALLOW_INSECURE_HTTP=false").ok());
  EXPECT_FALSE(Parse(base + "http://kms.example.com&ALLOW_INSECURE_HTTP=yes").ok());
}

TEST(AwsKmsUriTest, Refusals) {
  struct Case {
    std::string uri;
    std::string expect;
  };
  const Case cases[] = {
      {"aws:///k?AUTH=implicit", "has no REGION"},
      {"aws:///k?AUTH=implicit&REGION=", "has no REGION"},
      {"aws:///k?AUTH=implicit&REGION=US EAST", "not an AWS region name"},
      {"aws:///?AUTH=implicit&REGION=us-east-1", "names no key"},
      {"aws://k?AUTH=implicit&REGION=us-east-1", "three slashes"},
      {"aws:///k?AUTH=implicit&REGION=us-east-1&BOGUS=1&AWS_REGION=x",
       "unknown parameters BOGUS, AWS_REGION"},
      {"aws:///k?AUTH=implicit&REGION=us-east-1&REGION=us-west-2", "REGION appears more than once"},
      {"aws:///k%20x?AUTH=implicit&REGION=us-east-1", "printable ASCII"},
      {"aws:///k?AUTH=sometimes&REGION=us-east-1", "AUTH"},
      {"gs:///k?REGION=us-east-1", "not an aws:/// KMS URI"},
  };
  for (const Case& c : cases) {
    auto u = Parse(c.uri);
    ASSERT_FALSE(u.ok()) << c.uri;
    EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument) << c.uri;
    EXPECT_NE(u.status().message().find(c.expect), std::string::npos)
        << c.uri << " -> " << u.status().message();
  }
}

TEST(AwsKmsUriTest, UnknownParameterErrorHidesSecrets) {
  auto u = Parse(std::string("aws:///k?AWS_ACCESS_KEY_ID=AKID&AWS_SECRET_ACCESS_KEY=") + kSecret +
                 "&REGION=us-east-1&NOPE=1");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().message().find(kSecret), std::string::npos);
  EXPECT_EQ(u.status().message().find("AKID"), std::string::npos);
  EXPECT_NE(u.status().message().find("NOPE"), std::string::npos);
}

TEST(OpenKmsTest, DispatchesByScheme) {
  KmsOptions options;
  options.env = EmptyEnv();
  auto kms = OpenKms(std::string("aws:///alias/x?AWS_ACCESS_KEY_ID=a&AWS_SECRET_ACCESS_KEY=") +
                         kSecret + "&REGION=us-east-1",
                     options);
  ASSERT_TRUE(kms.ok()) << kms.status().ToString();
  EXPECT_EQ((*kms)->Provider(), "aws");
  EXPECT_EQ((*kms)->KeyId(), "alias/x");
  EXPECT_FALSE((*kms)->CanonicalKeyId().has_value());
  EXPECT_EQ((*kms)->RedactedUri().find(kSecret), std::string::npos);
  EXPECT_EQ((*kms)->RequestCount(), 0);

  kms = OpenKms(
      "aws-kms:///arn:aws:kms:us-east-1:1:key/abc?AUTH=specified&AWS_ACCESS_KEY_ID=a&"
      "AWS_SECRET_ACCESS_KEY=b&REGION=us-east-1",
      options);
  ASSERT_TRUE(kms.ok()) << kms.status().ToString();
  EXPECT_EQ((*kms)->Provider(), "aws");
  EXPECT_EQ((*kms)->CanonicalKeyId().value_or(""), "arn:aws:kms:us-east-1:1:key/abc");

  for (const char* other : {"gs:///projects/p/keys/k", "azure-kms:///k", "kmip://host/k"}) {
    auto r = OpenKms(other, options);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("supported KMS schemes: aws:///, aws-kms:///"),
              std::string::npos)
        << r.status().message();
  }
  auto r = OpenKms("not a uri", options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(OpenKmsTest, Credentials) {
  KmsOptions options;
  options.env = EmptyEnv();
  // AUTH=specified needs both halves of the key.
  auto r = OpenKms("aws:///k?AWS_ACCESS_KEY_ID=a&REGION=us-east-1", options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  // AUTH=implicit reads the environment, and fails clearly when it is empty.
  r = OpenKms("aws:///k?AUTH=implicit&REGION=us-east-1", options);
  ASSERT_FALSE(r.ok());
  options.env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "AWS_ACCESS_KEY_ID") return "env-id";
    if (name == "AWS_SECRET_ACCESS_KEY") return "env-secret";
    return std::nullopt;
  };
  r = OpenKms("aws:///k?AUTH=implicit&REGION=us-east-1", options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  // Endpoints must be scheme://host[:port].
  r = OpenKms("aws:///k?AUTH=implicit&REGION=us-east-1&AWS_ENDPOINT=ftp%3A%2F%2Fx", options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("http://"), std::string::npos);
  r = OpenKms("aws:///k?AUTH=implicit&REGION=us-east-1&AWS_ENDPOINT=http%3A%2F%2Fh%2Fpath",
              options);
  ASSERT_FALSE(r.ok());
}

TEST(AwsKmsErrorsTest, ParsesJsonXmlAndHeader) {
  AwsServiceError e = ParseAwsServiceError(
      R"({"__type":"com.amazonaws.kms#DisabledException","message":"key is disabled"})",
      std::nullopt);
  EXPECT_EQ(e.type, "DisabledException");
  EXPECT_EQ(e.message, "key is disabled");
  e = ParseAwsServiceError(R"({"__type":"NotFoundException:http://internal","Message":"m"})",
                           std::nullopt);
  EXPECT_EQ(e.type, "NotFoundException");
  EXPECT_EQ(e.message, "m");
  e = ParseAwsServiceError(
      "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>bad sig"
      "</Message></Error></Errors></ErrorResponse>",
      std::nullopt);
  EXPECT_EQ(e.type, "SignatureDoesNotMatch");
  EXPECT_EQ(e.message, "bad sig");
  e = ParseAwsServiceError("", std::string("ThrottlingException:http://x"));
  EXPECT_EQ(e.type, "ThrottlingException");
  e = ParseAwsServiceError(R"({"message":")" + std::string(1000, 'x') + "\x01\"}", std::nullopt);
  EXPECT_LT(e.message.size(), 300u);
}

TEST(AwsKmsErrorsTest, MapsToCodes) {
  struct Case {
    int http;
    std::string type;
    StatusCode code;
  };
  const Case cases[] = {
      {400, "DisabledException", StatusCode::kFailedPrecondition},
      {400, "KMSInvalidStateException", StatusCode::kFailedPrecondition},
      {400, "InvalidKeyUsageException", StatusCode::kFailedPrecondition},
      {400, "AccessDeniedException", StatusCode::kPermissionDenied},
      {400, "IncorrectKeyException", StatusCode::kPermissionDenied},
      {400, "InvalidCiphertextException", StatusCode::kPermissionDenied},
      {400, "NotFoundException", StatusCode::kNotFound},
      {400, "UnrecognizedClientException", StatusCode::kUnauthenticated},
      {403, "SignatureDoesNotMatch", StatusCode::kUnauthenticated},
      {403, "", StatusCode::kUnauthenticated},
      {400, "ThrottlingException", StatusCode::kUnavailable},
      {500, "KMSInternalException", StatusCode::kUnavailable},
      {503, "", StatusCode::kUnavailable},
      {429, "", StatusCode::kUnavailable},
      {400, "ValidationException", StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    Status s = AwsKmsErrorStatus(c.http, {c.type, "detail"}, "decrypting the backup's data key",
                                 "aws:///k?AWS_SECRET_ACCESS_KEY=redacted&REGION=us-east-1");
    EXPECT_EQ(s.code(), c.code) << c.http << " " << c.type << ": " << s.message();
    EXPECT_NE(s.message().find("aws:///k?"), std::string::npos) << s.message();
  }
  Status disabled = AwsKmsErrorStatus(400, {"DisabledException", ""}, "encrypting", "aws:///k");
  EXPECT_NE(disabled.message().find("is disabled"), std::string::npos);
}

}  // namespace
}  // namespace cofre
