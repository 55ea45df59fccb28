// ByteBuffer: appends and extensions keep every byte written before them across growth, Truncate
// drops the tail, and a moved-from buffer is empty and usable.
#include "util/byte_buffer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace cofre {
namespace {

TEST(ByteBufferTest, KeepsWhatWasWrittenAcrossGrowth) {
  ByteBuffer buf;
  std::string want;
  for (int i = 0; i < 5000; ++i) {
    const std::string piece(static_cast<size_t>(i % 37), static_cast<char>('a' + i % 26));
    if (i % 2) {
      buf.Append(piece);
    } else {
      char* at = buf.Extend(piece.size() + 3);
      std::memcpy(at, piece.data(), piece.size());
      buf.Truncate(buf.size() - 3);  // room reserved, then not used
    }
    want += piece;
    ASSERT_EQ(buf.size(), want.size());
  }
  EXPECT_EQ(buf.view(), want);
  EXPECT_GE(buf.capacity(), buf.size());

  const size_t capacity = buf.capacity();
  buf.clear();
  EXPECT_TRUE(buf.empty());
  EXPECT_EQ(buf.capacity(), capacity);  // cleared, its memory kept for the next fill
  buf.Append("again");
  EXPECT_EQ(buf.view(), "again");

  ByteBuffer moved = std::move(buf);
  EXPECT_EQ(moved.view(), "again");
  EXPECT_EQ(buf.size(), 0u);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(buf.capacity(), 0u);
  buf.Append("reused");
  EXPECT_EQ(buf.view(), "reused");
}

}  // namespace
}  // namespace cofre
