#include "crypto/row_digest.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "crypto/crypto_test_util.h"

namespace cofre {
namespace {

using testing_util::Hex;

std::string HexDigest(const RowDigest& d) {
  return Hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

SecretBytes CountingKey() {
  std::string k;
  for (int i = 0; i < 32; ++i) k.push_back(static_cast<char>(i));
  return SecretBytes(k);
}

TEST(RowDigestTest, UnkeyedIsTruncatedSha256) {
  StatusOr<RowDigester> d = RowDigester::NewUnkeyed();
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->keyed());
  EXPECT_EQ(HexDigest(d->Digest("abc")), "ba7816bf8f01cfea414140de5dae2223");
  // Reuse of the context gives the same answer.
  EXPECT_EQ(HexDigest(d->Digest("abc")), "ba7816bf8f01cfea414140de5dae2223");
}

// Expected values computed with python3: hmac.new(HKDF-SHA256(key, salt=None,
// info=b"cofre-row-digest-v1", 32), msg, sha256).digest()[:16].
TEST(RowDigestTest, KeyedIsTruncatedHmacUnderDerivedKey) {
  StatusOr<RowDigester> d = RowDigester::NewKeyed(CountingKey());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->keyed());
  EXPECT_EQ(HexDigest(d->Digest("row 1: hello")), "9da271e7aef06485e4f795b476d7f04f");
  EXPECT_EQ(HexDigest(d->Digest("")), "fb09077afa6fdff266f5821e650794f1");
  EXPECT_EQ(HexDigest(d->Digest("row 1: hello")), "9da271e7aef06485e4f795b476d7f04f");
}

TEST(RowDigestTest, DifferentKeysGiveDifferentDigests) {
  RowDigester a = *RowDigester::NewKeyed(CountingKey());
  RowDigester b = *RowDigester::NewKeyed(SecretBytes(std::string(32, 'x')));
  RowDigester plain = *RowDigester::NewUnkeyed();
  EXPECT_NE(a.Digest("row"), b.Digest("row"));
  EXPECT_NE(a.Digest("row"), plain.Digest("row"));
  EXPECT_NE(a.Digest("row"), a.Digest("rox"));
}

TEST(RowDigestTest, RejectsBadKeySize) {
  EXPECT_EQ(RowDigester::NewKeyed(SecretBytes(16)).status().code(), StatusCode::kInvalidArgument);
}

TEST(RowDigestTest, ClonesAgreeAcrossThreads) {
  RowDigester keyed = *RowDigester::NewKeyed(CountingKey());
  RowDigester unkeyed = *RowDigester::NewUnkeyed();
  std::vector<std::string> rows;
  for (int i = 0; i < 2000; ++i) rows.push_back("row-" + std::to_string(i));
  std::vector<RowDigest> expect_keyed, expect_unkeyed;
  for (const auto& r : rows) {
    expect_keyed.push_back(keyed.Digest(r));
    expect_unkeyed.push_back(unkeyed.Digest(r));
  }
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    StatusOr<RowDigester> mine = (t % 2 == 0) ? keyed.Clone() : unkeyed.Clone();
    ASSERT_TRUE(mine.ok());
    threads.emplace_back([&, t, d = std::move(mine).value()]() mutable {
      const auto& expect = (t % 2 == 0) ? expect_keyed : expect_unkeyed;
      for (size_t i = 0; i < rows.size(); ++i) {
        if (d.Digest(rows[i]) != expect[i]) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace cofre
