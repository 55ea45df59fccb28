#include "util/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace cofre {
namespace {

// RFC 3720 appendix B.4, and the usual check value of "123456789".
TEST(Crc32cTest, KnownValues) {
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(descending), 0x113FDB5Cu);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32cTest, PiecesContinueTheWholeAndEveryFlippedBitShows) {
  std::mt19937 rng(1);
  std::string data(10007, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const uint32_t whole = Crc32c(data);
  for (size_t cut : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{4096}, data.size()}) {
    EXPECT_EQ(Crc32c(std::string_view(data).substr(cut), Crc32c(data.substr(0, cut))), whole);
  }
  for (size_t i = 0; i < data.size(); i += 997) {
    std::string changed = data;
    changed[i] ^= 0x10;
    EXPECT_NE(Crc32c(changed), whole) << i;
  }
}

}  // namespace
}  // namespace cofre
