// KmsJson: the writer's escaping, the parser's acceptance of RFC 8259 objects and its refusal of
// everything malformed, and base64 (which the KMS protocol wraps binary fields in).
#include "util/json.h"

#include <gtest/gtest.h>

#include "util/base64.h"

namespace cofre {
namespace {

TEST(JsonTest, WriterEscapes) {
  JsonObjectWriter w;
  w.AddString("KeyId", "alias/a\"b\\c");
  w.AddString("ctl", std::string("\x01\n\t\x7f", 4));
  w.AddStringMap("EncryptionContext", {{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(w.Finish(),
            "{\"KeyId\":\"alias/a\\\"b\\\\c\",\"ctl\":\"\\u0001\\n\\t\\u007f\","
            "\"EncryptionContext\":{\"a\":\"1\",\"b\":\"2\"}}");
  JsonObjectWriter empty;
  EXPECT_EQ(empty.Finish(), "{}");
}

TEST(JsonTest, ParsesKmsResponses) {
  auto f = ParseJsonObject(
      R"({"CiphertextBlob":"AQID","KeyId":"arn:aws:kms:us-east-1:1:key/k",)"
      R"("EncryptionAlgorithm":"SYMMETRIC_DEFAULT","Extra":{"n":[1,-2.5e+3,true,false,null]}})");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->size(), 3u);
  EXPECT_EQ(f->at("CiphertextBlob"), "AQID");
  EXPECT_EQ(f->at("KeyId"), "arn:aws:kms:us-east-1:1:key/k");
}

TEST(JsonTest, ReturnsTopLevelNumbersWhenAsked) {
  const std::string token = R"({"token_type":"Bearer","expires_in":3599,"ext":-1.5e3,)"
                            R"("nested":{"n":7},"access_token":"abc"})";
  auto without = ParseJsonObject(token);
  ASSERT_TRUE(without.ok()) << without.status().ToString();
  EXPECT_EQ(without->count("expires_in"), 0u);
  auto with = ParseJsonObject(token, /*include_numbers=*/true);
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  EXPECT_EQ(with->at("expires_in"), "3599");
  EXPECT_EQ(with->at("ext"), "-1.5e3");
  EXPECT_EQ(with->count("n"), 0u);
  EXPECT_EQ(with->at("access_token"), "abc");
  EXPECT_FALSE(ParseJsonObject(R"({"expires_in":01})", true).ok());
}

TEST(JsonTest, DecodesEscapes) {
  auto f = ParseJsonObject(
      " {\"a\" : \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00\u00e9\"} \n");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->at("a"), "x\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9");
}

TEST(JsonTest, RoundTrips) {
  std::string tricky = "q\"b\\s\x01\x1f end \xc3\xa9";
  JsonObjectWriter w;
  w.AddString("k", tricky);
  auto f = ParseJsonObject(w.Finish());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->at("k"), tricky);
}

TEST(JsonTest, RefusesMalformed) {
  const char* bad[] = {
      "",
      "[]",
      "\"s\"",
      "{",
      "{\"a\"}",
      "{\"a\":}",
      "{\"a\":1,}",
      "{\"a\":1 \"b\":2}",
      "{\"a\":01}",
      "{\"a\":1.}",
      "{\"a\":1e}",
      "{\"a\":-}",
      "{\"a\":tru}",
      "{\"a\":\"x}",
      "{\"a\":\"\\x\"}",
      "{\"a\":\"\\u12\"}",
      "{\"a\":\"\\ud800\"}",
      "{\"a\":\"\\udc00\"}",
      "{\"a\":\"\\ud800\\u0041\"}",
      "{\"a\":\"\x01\"}",
      "{\"a\":\"\xc3\"}",
      "{\"a\":\"\xc0\xaf\"}",
      "{\"a\":\"\xed\xa0\x80\"}",
      "{\"a\":\"\xf4\x90\x80\x80\"}",
      "{\"a\":1} x",
      "{\"a\":1}{}",
      "{\"a\":\"1\",\"a\":\"2\"}",
      "{\"a\":[1,]}",
      "{\"a\":[1 2]}",
      "{'a':1}",
  };
  for (const char* b : bad) {
    auto f = ParseJsonObject(b);
    EXPECT_FALSE(f.ok()) << "accepted: " << b;
    if (!f.ok()) {
      EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(JsonTest, BoundsDepthAndSize) {
  std::string deep =
      "{\"a\":" + std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']') + "}";
  EXPECT_FALSE(ParseJsonObject(deep).ok());
  std::string ok_depth =
      "{\"a\":" + std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']') + "}";
  EXPECT_TRUE(ParseJsonObject(ok_depth).ok());
  std::string big = "{\"a\":\"" + std::string(kMaxJsonSize, 'x') + "\"}";
  EXPECT_FALSE(ParseJsonObject(big).ok());
}

TEST(JsonTest, ErrorsDoNotQuoteInput) {
  auto f = ParseJsonObject("{\"Plaintext\":\"c2VjcmV0\" garbage}");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message().find("c2VjcmV0"), std::string::npos);
  EXPECT_NE(f.status().message().find("byte"), std::string::npos);
}

TEST(JsonTest, WipeClears) {
  auto f = ParseJsonObject("{\"Plaintext\":\"c2VjcmV0c2VjcmV0c2VjcmV0\"}");
  ASSERT_TRUE(f.ok());
  WipeJsonFields(&*f);
  EXPECT_TRUE(f->empty());
}

TEST(JsonTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));
}

TEST(Base64Test, KnownAnswers) {
  // RFC 4648 §10.
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    auto d = Base64Decode(encoded);
    ASSERT_TRUE(d.ok()) << encoded;
    EXPECT_EQ(*d, plain);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  auto d = Base64Decode(Base64Encode(all));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, all);
}

TEST(Base64Test, RefusesMalformed) {
  for (const char* bad :
       {"Zg=", "Zg", "Z===", "Zm9v!A==", "Zg=a", "Zh==", "Zm9=", "====", "Zm 9v", "Zm9v\n"}) {
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace cofre
