#include "crypto/secret_bytes.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <type_traits>
#include <utility>

#include "crypto/random.h"

namespace cofre {
namespace {

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);

TEST(SecretBytesTest, HoldsACopyOfTheBytes) {
  std::string source = "0123456789abcdef";
  SecretBytes s(source);
  source[0] = 'X';
  EXPECT_EQ(s.size(), 16u);
  EXPECT_EQ(s.view(), "0123456789abcdef");
  EXPECT_EQ(s.data()[1], '1');
}

TEST(SecretBytesTest, SizedConstructorZeroFills) {
  SecretBytes s(32);
  ASSERT_EQ(s.size(), 32u);
  for (size_t i = 0; i < s.size(); ++i) EXPECT_EQ(s.data()[i], 0);
  s.mutable_data()[3] = 7;
  EXPECT_EQ(s.data()[3], 7);
}

TEST(SecretBytesTest, MoveTransfersOwnershipAndEmptiesTheSource) {
  SecretBytes a(std::string_view("key material"));
  const uint8_t* buffer = a.data();
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(b.data(), buffer);  // same allocation: no copy left behind
  EXPECT_EQ(b.view(), "key material");

  SecretBytes c(std::string_view("other"));
  c = std::move(b);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(c.view(), "key material");
}

TEST(SecretBytesTest, CloneAndEquals) {
  SecretBytes a(std::string_view("abc"));
  SecretBytes b = a.Clone();
  EXPECT_NE(a.data(), b.data());
  EXPECT_TRUE(a.Equals(b));
  EXPECT_FALSE(a.Equals(SecretBytes(std::string_view("abd"))));
  EXPECT_FALSE(a.Equals(SecretBytes(std::string_view("ab"))));
  EXPECT_TRUE(SecretBytes().Equals(SecretBytes()));
}

TEST(SecretBytesTest, EmptyBuffer) {
  SecretBytes s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.view(), "");
  SecretBytes t(std::string_view(""));
  EXPECT_TRUE(t.empty());
}

// The VmFlags of the mapping holding `p`, from /proc/self/smaps ("" when not found).
std::string VmFlagsOf(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  const auto addr = reinterpret_cast<uintptr_t>(p);
  while (std::getline(smaps, line)) {
    unsigned long lo, hi;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > 8) {
      inside = addr >= lo && addr < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

TEST(SecretBytesTest, KeyMaterialIsLeftOutOfCoreDumps) {
  SecretBytes key(std::string_view("0123456789abcdef0123456789abcdef"));
  ASSERT_TRUE(key.excluded_from_core_dumps());
  std::string flags = VmFlagsOf(key.data());
  ASSERT_FALSE(flags.empty());
  EXPECT_NE(flags.find(" dd"), std::string::npos) << flags;  // MADV_DONTDUMP
  SecretBytes moved = std::move(key);
  EXPECT_TRUE(moved.excluded_from_core_dumps());
  EXPECT_FALSE(key.excluded_from_core_dumps());
  EXPECT_NE(VmFlagsOf(moved.Clone().data()).find(" dd"), std::string::npos);
}

TEST(RandomTest, ProducesRequestedSizesAndDistinctValues) {
  StatusOr<std::string> a = RandomBytes(32);
  StatusOr<std::string> b = RandomBytes(32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
  StatusOr<std::string> none = RandomBytes(0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  StatusOr<SecretBytes> key = RandomSecret(32);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->size(), 32u);
  EXPECT_FALSE(key->Equals(SecretBytes(32)));  // all-zero output would be a broken CSPRNG
}

}  // namespace
}  // namespace cofre
