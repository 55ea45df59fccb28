#include "util/uri.h"

#include <gtest/gtest.h>

#include <string>

namespace cofre {
namespace {

constexpr std::string_view kSecret = "wJalrXUtnFEMI-K7MDENG";

TEST(UriTest, ParsesSchemeHostPathAndDecodedParams) {
  StatusOr<Uri> uri = ParseUri("S3://bucket/a%20b/c?AWS_REGION=us-east-1&X=%3D%26");
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  EXPECT_EQ(uri->scheme, "s3");
  EXPECT_EQ(uri->host, "bucket");
  EXPECT_EQ(uri->path, "/a b/c");
  EXPECT_EQ(uri->Param("AWS_REGION"), "us-east-1");
  EXPECT_EQ(uri->Param("X"), "=&");
  EXPECT_EQ(uri->ToString(), "s3://bucket/a%20b/c?AWS_REGION=us-east-1&X=%3D%26");
}

TEST(UriTest, ToStringParsesBackToTheSameUri) {
  // A decoded host holding '%', '/' or '?' is escaped again, so the rendering parses back.
  for (const char* text : {"s3://a%25b%2Fc%3Fd/p?k=v", "nodelocal://1/x%3Fy", "aws:///k?=&x",
                           "s3://localhost:9000/b?AWS_REGION=us-east-1"}) {
    StatusOr<Uri> uri = ParseUri(text);
    ASSERT_TRUE(uri.ok()) << text;
    StatusOr<Uri> again = ParseUri(uri->ToString());
    ASSERT_TRUE(again.ok()) << uri->ToString();
    EXPECT_EQ(again->host, uri->host) << text;
    EXPECT_EQ(again->path, uri->path) << text;
    EXPECT_EQ(again->params, uri->params) << text;
  }
  EXPECT_EQ(ParseUri("s3://localhost:9000/b")->ToString(), "s3://localhost:9000/b");
}

TEST(UriTest, MalformedUrisAreInvalidArgumentAndRedacted) {
  StatusOr<Uri> uri =
      ParseUri("s3://bucket/x?AWS_SECRET_ACCESS_KEY=" + std::string(kSecret) + "%G1");
  ASSERT_FALSE(uri.ok());
  EXPECT_EQ(uri.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(uri.status().message().find(kSecret), std::string::npos);

  uri = ParseUri("a?b://host?AWS_SECRET_ACCESS_KEY=" + std::string(kSecret));
  ASSERT_FALSE(uri.ok());
  EXPECT_EQ(uri.status().message().find(kSecret), std::string::npos) << uri.status().message();
}

TEST(UriTest, RedactUriHidesSecretsWhateverTheSpellingOfTheirName) {
  const std::string s(kSecret);
  for (const std::string name :
       {"AWS_SECRET_ACCESS_KEY", "aws_secret_access_key", "Aws_Secret_Access_Key",
        "AWS%5FSECRET_ACCESS_KEY", "AWS%5fSECRET%5FACCESS%5FKEY", "%41WS_SECRET_ACCESS_KEY",
        "AWS%255FSECRET_ACCESS_KEY", "AWS-SECRET-ACCESS-KEY", "AWS_SESSION_TOKEN",
        "aws%5Fsession%5Ftoken", "credentials", "AZURE_ACCOUNT_KEY", "azure_client_secret"}) {
    const std::string uri = "s3://bucket/path?AWS_REGION=us-east-1&" + name + "=" + s + "&X=1";
    const std::string redacted = RedactUri(uri);
    EXPECT_EQ(redacted.find(s), std::string::npos) << name << " -> " << redacted;
    EXPECT_NE(redacted.find(name + "=redacted"), std::string::npos) << redacted;
    EXPECT_NE(redacted.find("AWS_REGION=us-east-1"), std::string::npos) << redacted;
    EXPECT_EQ(RedactUri(redacted), redacted);

    StatusOr<Uri> parsed = ParseUri(uri);
    ASSERT_TRUE(parsed.ok()) << name;
    const std::string rendered = parsed->Redacted(SecretUriParams());
    EXPECT_EQ(rendered.find(s), std::string::npos) << name << " -> " << rendered;
  }
}

TEST(UriTest, RedactUriKeepsWhatIsNotSecret) {
  EXPECT_EQ(RedactUri("s3://b/p?AWS_ACCESS_KEY_ID=AKID&AWS_REGION=eu&AWS_ENDPOINT=http://h:1"),
            "s3://b/p?AWS_ACCESS_KEY_ID=redacted&AWS_REGION=eu&AWS_ENDPOINT=http://h:1");
  EXPECT_EQ(RedactUri("nodelocal://1/backups"), "nodelocal://1/backups");
  EXPECT_EQ(RedactUri("no scheme here"), "<unparseable URI>");
  EXPECT_EQ(RedactUri("a?b://h?AWS_SECRET_ACCESS_KEY=x"), "<unparseable URI>");
  // A parameter without '=' has no value to hide; empty components stay.
  EXPECT_EQ(RedactUri("s3://b?AWS_SECRET_ACCESS_KEY&&x=1&"), "s3://b?AWS_SECRET_ACCESS_KEY&&x=1&");
}

TEST(UriTest, RedactUriIsIdempotent) {
  // Found by uri_fuzz: hiding the value "A'K3://a" took away the text's only "://", so a second
  // redaction rendered '<unparseable URI>'.
  const std::string text = "s32:'//bucket/backup?AWS_ACCESS_KEY_ID=A'K3://a%2S_5%1";
  const std::string once = RedactUri(text);
  EXPECT_EQ(RedactUri(once), once);
  EXPECT_EQ(once, "<unparseable URI>");
  const std::string good = "s3://b/p?AWS_SECRET_ACCESS_KEY=x://y&AWS_REGION=z://w";
  EXPECT_EQ(RedactUri(good), "s3://b/p?AWS_SECRET_ACCESS_KEY=redacted&AWS_REGION=z://w");
  EXPECT_EQ(RedactUri(RedactUri(good)), RedactUri(good));
}

TEST(UriTest, RedactUriFindsSecretsAfterAStrayQuestionMark) {
  // ParseUri would keep "a?AWS_SECRET_ACCESS_KEY=..." as the value of X; hide it anyway.
  const std::string uri = "s3://b/p?X=a?AWS_SECRET_ACCESS_KEY=" + std::string(kSecret);
  EXPECT_EQ(RedactUri(uri), "s3://b/p?X=a?AWS_SECRET_ACCESS_KEY=redacted");
}

TEST(UriTest, IsSecretUriParam) {
  EXPECT_TRUE(IsSecretUriParam("AWS_SECRET_ACCESS_KEY"));
  EXPECT_TRUE(IsSecretUriParam("aws%5Fsecret%5Faccess%5Fkey"));
  EXPECT_FALSE(IsSecretUriParam("AWS_REGION"));
  EXPECT_FALSE(IsSecretUriParam(""));
  EXPECT_FALSE(IsSecretUriParam("%%%"));
  EXPECT_TRUE(IsSecretUriParam("my_token", {"MY_TOKEN"}));
}

}  // namespace
}  // namespace cofre
