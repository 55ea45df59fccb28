#include "crypto/kdf.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <random>
#include <string>

#include "crypto/crypto_test_util.h"

namespace cofre {
namespace {

using testing_util::Hex;
using testing_util::Unhex;

std::string Pbkdf2Hex(std::string_view pw, std::string_view salt, uint32_t iter, size_t len) {
  StatusOr<SecretBytes> key = Pbkdf2HmacSha256(pw, salt, iter, len);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return key.ok() ? Hex(key->view()) : "";
}

// RFC 7914 §11 (PBKDF2-HMAC-SHA256 test vectors).
TEST(Pbkdf2Test, Rfc7914Vectors) {
  EXPECT_EQ(Pbkdf2Hex("passwd", "salt", 1, 64),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  EXPECT_EQ(Pbkdf2Hex("Password", "NaCl", 80000, 64),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

// Cross-checked with python3: hashlib.pbkdf2_hmac('sha256', pw, salt, iterations, 32).
TEST(Pbkdf2Test, MatchesPythonHashlib) {
  EXPECT_EQ(Pbkdf2Hex("password", "salt", 4096, 32),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
}

// OpenSSL's own PBKDF2 (EVP_KDF), the reference for the one cofre runs.
std::string OpensslPbkdf2(std::string pw, std::string salt, uint64_t iter, size_t len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_PBKDF2, nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  char digest[] = "SHA256";
  int no_lower_bound_checks = 1;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, pw.data(), pw.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iter),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &no_lower_bound_checks),
      OSSL_PARAM_construct_end(),
  };
  std::string out(len, '\0');
  const bool ok =
      EVP_KDF_derive(ctx, reinterpret_cast<unsigned char*>(out.data()), len, params) == 1;
  EVP_KDF_CTX_free(ctx);
  EVP_KDF_free(kdf);
  EXPECT_TRUE(ok);
  return Hex(out);
}

TEST(Pbkdf2Test, MatchesOpensslOnRandomInputs) {
  // Passwords past the 64-byte block (hashed first), salts whose first block spills into a
  // second, several output blocks and their truncation.
  std::mt19937_64 rng(11);
  auto bytes = [&rng](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
  };
  for (int round = 0; round < 300; ++round) {
    const std::string pw = bytes(rng() % 150), salt = bytes(rng() % 80);
    const uint32_t iter = 1 + static_cast<uint32_t>(rng() % (round % 10 == 0 ? 5000 : 40));
    const size_t len = 1 + rng() % 100;
    ASSERT_EQ(Pbkdf2Hex(pw, salt, iter, len), OpensslPbkdf2(pw, salt, iter, len))
        << "password " << pw.size() << " bytes, salt " << salt.size() << ", " << iter
        << " iterations, " << len << " bytes out";
  }
}

TEST(PassphraseKeyTest, CockroachParametersMatchPythonHashlib) {
  std::string salt;
  for (int i = 0; i < 16; ++i) salt.push_back(static_cast<char>(i));
  StatusOr<SecretBytes> key = PassphraseKey("correct horse battery staple", salt, 64000);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->size(), kPassphraseKeySize);
  EXPECT_EQ(Hex(key->view()), "b1799651c8c298d25843d678e5124c0983183ece192a53174a4a04be9675351a");
}

TEST(PassphraseKeyTest, RejectsEmptyInputs) {
  EXPECT_EQ(PassphraseKey("", "salt").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PassphraseKey("pw", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PassphraseKey("pw", "salt", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Pbkdf2HmacSha256("pw", "salt", 1, 0).status().code(), StatusCode::kInvalidArgument);
}

std::string HkdfHex(std::string_view ikm, std::string_view salt, std::string_view info,
                    size_t len) {
  StatusOr<SecretBytes> okm = Hkdf(ikm, salt, info, len);
  EXPECT_TRUE(okm.ok()) << okm.status().ToString();
  return okm.ok() ? Hex(okm->view()) : "";
}

std::string Range(int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) out.push_back(static_cast<char>(i));
  return out;
}

// RFC 5869 Appendix A, test cases 1-3 (SHA-256).
TEST(HkdfTest, Rfc5869Vectors) {
  std::string ikm(22, '\x0b');
  EXPECT_EQ(HkdfHex(ikm, Range(0, 13), Range(0xf0, 0xfa), 42),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
  EXPECT_EQ(HkdfHex(Range(0, 0x50), Range(0x60, 0xb0), Range(0xb0, 0x100), 82),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
  EXPECT_EQ(HkdfHex(ikm, "", "", 42),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
            "9d201395faa4b61a96c8");
}

TEST(HkdfTest, RejectsBadLengths) {
  EXPECT_EQ(Hkdf("ikm", "", "", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Hkdf("ikm", "", "", 255 * 32 + 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Hkdf("ikm", "", "", 255 * 32).ok());
}

}  // namespace
}  // namespace cofre
