// SCRAM-SHA-256: verifiers, and whole exchanges against a client written here from RFC 5802's
// formulas (the real clients, libpq and node-postgres, run in tests/server_test.py).
#include "crypto/scram.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/kdf.h"
#include "util/base64.h"
#include "util/sha256.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

// The client side of one exchange; returns the client-final message for `server_first`.
std::string ClientFinal(const std::string& password, const std::string& client_first_bare,
                        const std::string& server_first, const std::string& cbind_input) {
  std::string nonce, salt_b64;
  int iterations = 0;
  for (size_t pos = 0; pos < server_first.size();) {
    size_t end = server_first.find(',', pos);
    std::string attr = server_first.substr(pos, end == std::string::npos ? end : end - pos);
    if (attr.starts_with("r=")) nonce = attr.substr(2);
    if (attr.starts_with("s=")) salt_b64 = attr.substr(2);
    if (attr.starts_with("i=")) iterations = std::stoi(attr.substr(2));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  std::string salt = *Base64Decode(salt_b64);
  auto salted = Pbkdf2HmacSha256(password, salt, iterations, 32);
  std::string client_key = Hmac(salted->view(), "Client Key");
  std::string stored_key = Sha256::Digest(client_key);
  std::string without_proof = "c=" + Base64Encode(cbind_input) + ",r=" + nonce;
  std::string auth = client_first_bare + "," + server_first + "," + without_proof;
  std::string sig = Hmac(stored_key, auth);
  std::string proof(32, '\0');
  for (int i = 0; i < 32; ++i) proof[i] = client_key[i] ^ sig[i];
  return without_proof + ",p=" + Base64Encode(proof);
}

TEST(ScramTest, VerifierHasPostgresFormatAndNoPassword) {
  ASSERT_OK_AND_ASSIGN(std::string v, MakeScramVerifier("pencil"));
  EXPECT_THAT(v, StartsWith("SCRAM-SHA-256$4096:"));
  EXPECT_TRUE(IsScramVerifier(v));
  EXPECT_EQ(v.find("pencil"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(std::string again, MakeScramVerifier("pencil"));
  EXPECT_NE(v, again);  // a fresh salt each time
  EXPECT_FALSE(IsScramVerifier("SCRAM-SHA-256$0:abc$x:y"));
  EXPECT_FALSE(IsScramVerifier("md5abcdef"));
}

TEST(ScramTest, RightPasswordSucceedsAndServerProvesItself) {
  ASSERT_OK_AND_ASSIGN(std::string v, MakeScramVerifier("pencil"));
  ScramServer server(v, "");
  const std::string bare = "n=,r=rOprNGfwEbeRWgbNEkqO";
  ASSERT_OK_AND_ASSIGN(std::string first, server.ServerFirst("SCRAM-SHA-256", "n,," + bare));
  EXPECT_THAT(first, StartsWith("r=rOprNGfwEbeRWgbNEkqO"));
  std::string final_msg = ClientFinal("pencil", bare, first, "n,,");
  ASSERT_OK_AND_ASSIGN(std::string server_final, server.ServerFinal(final_msg));
  EXPECT_THAT(server_final, StartsWith("v="));
}

TEST(ScramTest, WrongPasswordAndDecoyFail) {
  ASSERT_OK_AND_ASSIGN(std::string v, MakeScramVerifier("pencil"));
  for (const std::string& verifier : {v, MakeDecoyScramVerifier("mallory")}) {
    ScramServer server(verifier, "");
    const std::string bare = "n=,r=abc";
    ASSERT_OK_AND_ASSIGN(std::string first, server.ServerFirst("SCRAM-SHA-256", "n,," + bare));
    EXPECT_THAT(server.ServerFinal(ClientFinal("pen", bare, first, "n,,")),
                StatusIs(StatusCode::kPermissionDenied));
  }
  // The decoy is stable for a name, so probing twice sees the same salt.
  EXPECT_EQ(MakeDecoyScramVerifier("x"), MakeDecoyScramVerifier("x"));
  EXPECT_TRUE(IsScramVerifier(MakeDecoyScramVerifier("x")));
}

TEST(ScramTest, ChannelBindingIsChecked) {
  ASSERT_OK_AND_ASSIGN(std::string v, MakeScramVerifier("pencil"));
  const std::string cb = std::string(32, '\x42');
  {
    ScramServer server(v, cb);
    EXPECT_TRUE(server.offers_plus());
    const std::string gs2 = "p=tls-server-end-point,,";
    const std::string bare = "n=,r=n1";
    ASSERT_OK_AND_ASSIGN(std::string first, server.ServerFirst("SCRAM-SHA-256-PLUS", gs2 + bare));
    EXPECT_THAT(server.ServerFinal(ClientFinal("pencil", bare, first, gs2 + cb)), IsOk());
  }
  {
    // A proof over another certificate's hash (a man in the middle) is refused.
    ScramServer server(v, cb);
    const std::string gs2 = "p=tls-server-end-point,,";
    const std::string bare = "n=,r=n2";
    ASSERT_OK_AND_ASSIGN(std::string first, server.ServerFirst("SCRAM-SHA-256-PLUS", gs2 + bare));
    EXPECT_THAT(server.ServerFinal(ClientFinal("pencil", bare, first, gs2 + std::string(32, 'x'))),
                StatusIs(StatusCode::kPermissionDenied));
  }
  {
    // "y": the client could bind but believes the server cannot: a downgrade when it can.
    ScramServer server(v, cb);
    EXPECT_THAT(server.ServerFirst("SCRAM-SHA-256", "y,,n=,r=n3"),
                StatusIs(StatusCode::kPermissionDenied, HasSubstr("downgrade")));
  }
  {
    ScramServer server(v, "");
    EXPECT_THAT(server.ServerFirst("SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=n4"),
                StatusIs(StatusCode::kInvalidArgument));
  }
}

TEST(ScramTest, MalformedMessagesAreRefused) {
  ASSERT_OK_AND_ASSIGN(std::string v, MakeScramVerifier("pencil"));
  for (const std::string& bad :
       std::vector<std::string>{"", "n,", "x,,n=,r=a", "n,,r=a", "n,,n=,r=", "n,a=z,n=,r=a",
                                "n,,m=ext,n=,r=a", std::string("n,,n=,r=a\x01")}) {
    ScramServer server(v, "");
    EXPECT_FALSE(server.ServerFirst("SCRAM-SHA-256", bad).ok()) << bad;
  }
  ScramServer server(v, "");
  EXPECT_FALSE(server.ServerFirst("SCRAM-SHA-1", "n,,n=,r=a").ok());
  ScramServer s2(v, "");
  ASSERT_OK_AND_ASSIGN(std::string first, s2.ServerFirst("SCRAM-SHA-256", "n,,n=,r=abc"));
  EXPECT_THAT(s2.ServerFinal("c=biws,r=wrongnonce,p=AAAA"), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cofre
