#include "crypto/key_wrap.h"

#include <gtest/gtest.h>

#include "crypto/random.h"

namespace cofre {
namespace {

SecretBytes Key(char fill, size_t n = 32) { return SecretBytes(std::string(n, fill)); }

TEST(KeyWrapTest, RoundTrip) {
  SecretBytes kek = Key('k');
  SecretBytes dk = *RandomSecret(32);
  StatusOr<std::string> wrapped = WrapKey(kek, dk, "aad");
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
  EXPECT_EQ(wrapped->size(), 32 + kKeyWrapOverhead);
  EXPECT_EQ(wrapped->find(dk.view()), std::string::npos);
  StatusOr<SecretBytes> unwrapped = UnwrapKey(kek, *wrapped, "aad");
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_TRUE(unwrapped->Equals(dk));
}

TEST(KeyWrapTest, FreshNonceEachTime) {
  SecretBytes kek = Key('k');
  SecretBytes dk = Key('d');
  EXPECT_NE(*WrapKey(kek, dk, "aad"), *WrapKey(kek, dk, "aad"));
}

TEST(KeyWrapTest, WrongKekOrAadIsDataLoss) {
  SecretBytes dk = Key('d');
  std::string wrapped = *WrapKey(Key('k'), dk, "chain-1");
  EXPECT_EQ(UnwrapKey(Key('j'), wrapped, "chain-1").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(UnwrapKey(Key('k'), wrapped, "chain-2").status().code(), StatusCode::kDataLoss);
}

TEST(KeyWrapTest, EveryFlippedBitIsDataLoss) {
  SecretBytes kek = Key('k');
  std::string wrapped = *WrapKey(kek, Key('d'), "aad");
  for (size_t i = 0; i < wrapped.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = wrapped;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      EXPECT_EQ(UnwrapKey(kek, bad, "aad").status().code(), StatusCode::kDataLoss)
          << "byte " << i << " bit " << bit;
    }
  }
}

TEST(KeyWrapTest, ShortOrMalformedInputs) {
  SecretBytes kek = Key('k');
  std::string wrapped = *WrapKey(kek, Key('d'), "aad");
  for (size_t n = 0; n < wrapped.size(); ++n) {
    EXPECT_EQ(UnwrapKey(kek, wrapped.substr(0, n), "aad").status().code(), StatusCode::kDataLoss)
        << n;
  }
  EXPECT_EQ(UnwrapKey(Key('k', 16), wrapped, "aad").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WrapKey(Key('k', 31), Key('d'), "aad").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WrapKey(kek, SecretBytes(), "aad").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cofre
