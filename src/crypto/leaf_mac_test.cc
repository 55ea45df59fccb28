#include "crypto/leaf_mac.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "crypto/crypto_test_util.h"
#include "crypto/ghash.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

using testing_util::Hex;

std::string Secret(char first) {
  std::string s(32, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(first + i);
  return s;
}

StatusOr<std::string> Digest(const LeafMacKey& key, const std::vector<std::string>& pages,
                             LeafMacKey::Ghash ghash = LeafMacKey::Ghash::kFastest) {
  ASSIGN_OR_RETURN(std::unique_ptr<LeafMac> mac, key.NewMac(ghash));
  for (const std::string& p : pages) mac->Add(p);
  return mac->Finish();
}

// Computed with python3-cryptography, an implementation cofre does not use: HKDF-SHA256 (no salt)
// of the secret for the three infos, AESGCM(K1).encrypt(12 zero bytes, b"", pages) (the tag),
// then AES-256-ECB under K2 of that tag.
TEST(LeafMacTest, MatchesAnIndependentImplementation) {
  ASSERT_OK_AND_ASSIGN(LeafMacKey key, LeafMacKey::Derive(Secret(0)));
  EXPECT_EQ(Hex(key.check()), "d3409027b328008e530bb924db13956b");
  std::string leaf, overflow;
  for (int i = 0; i < 1024; ++i) leaf += "leaf";
  for (int i = 0; i < 512; ++i) overflow += "overflow";
  for (auto ghash : {LeafMacKey::Ghash::kFastest, LeafMacKey::Ghash::kOpenSsl}) {
    ASSERT_OK_AND_ASSIGN(std::string d, Digest(key, {leaf, overflow}, ghash));
    EXPECT_EQ(Hex(d), "25e07c2b0495e2d4b32d842b13747f61");
    ASSERT_OK_AND_ASSIGN(std::string empty, Digest(key, {}, ghash));
    EXPECT_EQ(Hex(empty), "322a5d506a1b259c4c59e74f96729ba2");
  }
}

// The wide GHASH (crypto/ghash.h) against OpenSSL's GCM on random pages: lengths that are and are
// not multiples of 16 and of a 16-block group, split at random points, digest after digest.
TEST(LeafMacTest, WideGhashMatchesOpenSslOnRandomInputs) {
  if (!ghash::Supported()) GTEST_SKIP() << "this CPU has no VPCLMULQDQ with AVX-512";
  ASSERT_OK_AND_ASSIGN(LeafMacKey key, LeafMacKey::Derive(Secret(9)));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LeafMac> wide, key.NewMac(LeafMacKey::Ghash::kFastest));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LeafMac> openssl, key.NewMac(LeafMacKey::Ghash::kOpenSsl));
  std::mt19937_64 rng(7);
  const size_t kLengths[] = {0, 1, 15, 16, 17, 255, 256, 257, 4095, 4096, 4097, 65536, 65552};
  for (int round = 0; round < 300; ++round) {
    const size_t size = round < 13 ? kLengths[round] : rng() % 20000;
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    size_t pos = 0;
    while (pos < size) {
      const size_t take = std::min<size_t>(size - pos, 1 + rng() % 5000);
      wide->Add(std::string_view(bytes).substr(pos, take));
      openssl->Add(std::string_view(bytes).substr(pos, take));
      pos += take;
    }
    ASSERT_OK_AND_ASSIGN(std::string a, wide->Finish());
    ASSERT_OK_AND_ASSIGN(std::string b, openssl->Finish());
    ASSERT_EQ(Hex(a), Hex(b)) << "round " << round << ", " << size << " bytes";
  }
}

TEST(LeafMacTest, OneMacMakesDigestAfterDigestAndSplitsDoNotMatter) {
  ASSERT_OK_AND_ASSIGN(LeafMacKey key, LeafMacKey::Derive(Secret(1)));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LeafMac> mac, key.NewMac());
  const std::string page(4096, 'x');
  mac->Add(page);
  ASSERT_OK_AND_ASSIGN(std::string first, mac->Finish());
  mac->Add(page.substr(0, 1000));
  mac->Add(page.substr(1000));
  ASSERT_OK_AND_ASSIGN(std::string again, mac->Finish());
  EXPECT_EQ(first, again);
  EXPECT_EQ(first.size(), LeafMacKey::kDigestSize);
}

TEST(LeafMacTest, DigestsDependOnEveryByteTheLengthAndTheSecret) {
  ASSERT_OK_AND_ASSIGN(LeafMacKey a, LeafMacKey::Derive(Secret(2)));
  ASSERT_OK_AND_ASSIGN(LeafMacKey b, LeafMacKey::Derive(Secret(3)));
  EXPECT_NE(a.check(), b.check());
  std::set<std::string> seen;
  std::string page(4096, '\0');
  ASSERT_OK_AND_ASSIGN(std::string base, Digest(a, {page}));
  seen.insert(base);
  for (size_t i = 0; i < page.size(); i += 97) {
    std::string changed = page;
    changed[i] ^= 1;
    ASSERT_OK_AND_ASSIGN(std::string d, Digest(a, {changed}));
    EXPECT_TRUE(seen.insert(d).second) << "byte " << i;
  }
  // GHASH alone ignores leading zero blocks; the length block GCM adds does not.
  ASSERT_OK_AND_ASSIGN(std::string longer, Digest(a, {std::string(16, '\0') + page}));
  EXPECT_TRUE(seen.insert(longer).second);
  ASSERT_OK_AND_ASSIGN(std::string other_key, Digest(b, {page}));
  EXPECT_TRUE(seen.insert(other_key).second);
}

TEST(LeafMacTest, RefusesShortSecrets) {
  EXPECT_THAT(LeafMacKey::Derive("short").status(), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cofre
