// The detector's ranges: which parts of a span an incremental may pass over (UnchangedRowidRanges)
// and which it scans (ChangedKeyRanges).
#include "backup/leaf_maps.h"

#include <gtest/gtest.h>

#include <limits>

#include "backup/row_codec.h"

namespace cofre {
namespace {

LeafRange G(int64_t first, int64_t last, char tag) { return {first, last, std::string(16, tag)}; }

std::string Key(int64_t v) {
  std::string k;
  rowcodec::PutVarint(&k, 1);
  rowcodec::AppendInteger(&k, v);
  return k;
}

TEST(UnchangedRowidRangesTest, SameGroupsMergeAndChangedOnesSplit) {
  const std::vector<LeafRange> before = {G(1, 10, 'a'), G(11, 20, 'b'), G(21, 30, 'c'),
                                         G(31, 40, 'd')};
  std::vector<LeafRange> now = before;
  EXPECT_EQ(UnchangedRowidRanges(before, now, std::nullopt, std::nullopt),
            (std::vector<RowidRange>{{1, 40}}));
  now[2].digest[0] = 'x';  // one group changed
  EXPECT_EQ(UnchangedRowidRanges(before, now, std::nullopt, std::nullopt),
            (std::vector<RowidRange>{{1, 20}, {31, 40}}));
  // Clipped to the span.
  EXPECT_EQ(UnchangedRowidRanges(before, now, 5, 35), (std::vector<RowidRange>{{5, 20}, {31, 34}}));
}

TEST(UnchangedRowidRangesTest, AGroupGoneBetweenTwoSameOnesKeepsTheGapChanged) {
  // Rows 11-20 were deleted as whole leaves: the groups around them are the same, the gap is not.
  const std::vector<LeafRange> before = {G(1, 10, 'a'), G(11, 20, 'b'), G(21, 30, 'c')};
  const std::vector<LeafRange> now = {G(1, 10, 'a'), G(21, 30, 'c')};
  const auto same = UnchangedRowidRanges(before, now, std::nullopt, std::nullopt);
  EXPECT_EQ(same, (std::vector<RowidRange>{{1, 10}, {21, 30}}));
  EXPECT_EQ(ChangedKeyRanges(std::nullopt, std::nullopt, same),
            (std::vector<std::pair<std::string, std::string>>{
                {"", Key(1)}, {Key(11), Key(21)}, {Key(31), ""}}));
}

TEST(ChangedKeyRangesTest, BoundsAndExtremes) {
  EXPECT_EQ(ChangedKeyRanges(5, 50, {}),
            (std::vector<std::pair<std::string, std::string>>{{Key(5), Key(50)}}));
  EXPECT_EQ(ChangedKeyRanges(5, 50, {{5, 49}}),
            (std::vector<std::pair<std::string, std::string>>{}));
  EXPECT_EQ(
      ChangedKeyRanges(5, 50, {{5, 9}, {20, 29}}),
      (std::vector<std::pair<std::string, std::string>>{{Key(10), Key(20)}, {Key(30), Key(50)}}));
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(ChangedKeyRanges(std::nullopt, std::nullopt, {{100, max}}),
            (std::vector<std::pair<std::string, std::string>>{{"", Key(100)}}));
}

}  // namespace
}  // namespace cofre
