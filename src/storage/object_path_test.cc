// Object path validation and delimiter roll-up, independent of any storage.
#include "storage/object_path.h"

#include <gtest/gtest.h>

#include <vector>

namespace cofre {
namespace {

TEST(ObjectPathTest, AcceptsRelativePaths) {
  for (const char* ok :
       {"a", "a/b", "2026/11/28-145137.12/BACKUP_MANIFEST", ".hidden", "a..b", "...", "a/.x"}) {
    EXPECT_TRUE(ValidateObjectPath(ok, "mem://t").ok()) << ok;
  }
}

TEST(ObjectPathTest, RefusesUnsafePathsNamingThem) {
  Status s = ValidateObjectPath("a/../b", "nodelocal://1/x");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "invalid object path 'a/../b' in nodelocal://1/x: '.' and '..' "
            "segments are not "
            "allowed");
  EXPECT_NE(ValidateObjectPath("/etc/passwd", "mem://t").message().find("absolute"),
            std::string::npos);
  EXPECT_NE(ValidateObjectPath("a//b", "mem://t").message().find("empty path segment"),
            std::string::npos);
  EXPECT_NE(ValidateObjectPath("", "mem://t").message().find("empty"), std::string::npos);
}

TEST(ObjectPathTest, PrefixesMayEndInAPartialSegment) {
  for (const char* ok : {"", "a", "a/", "a/b", "a/.", "a/..", "2026/11/"}) {
    EXPECT_TRUE(ValidateListPrefix(ok, "mem://t").ok()) << ok;
  }
  for (const char* bad : {"/", "/a", "../a", "a/../", "a//", "./"}) {
    EXPECT_EQ(ValidateListPrefix(bad, "mem://t").code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ListRollupTest, RollsUpAndDeduplicatesCommonPrefixes) {
  std::vector<std::string> seen;
  ListRollup rollup("p/", "/", [&](const ListEntry& e) {
    seen.push_back(e.is_prefix ? "P:" + e.path : e.path + "=" + std::to_string(e.size));
    return Status::OK();
  });
  ASSERT_TRUE(rollup.AddObject("p/a", 1).ok());
  ASSERT_TRUE(rollup.AddObject("p/b/1", 2).ok());
  ASSERT_TRUE(rollup.AddObject("p/b/2", 3).ok());
  ASSERT_TRUE(rollup.AddObject("p/c", 4).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"p/a=1", "P:p/b/", "p/c=4"}));
  EXPECT_EQ(rollup.CommonPrefixCovering("p/d/"), "p/d/");
  EXPECT_EQ(rollup.CommonPrefixCovering("p/d/e/"), "p/d/");
  EXPECT_EQ(rollup.CommonPrefixCovering("p/"), std::nullopt);
}

TEST(ListRollupTest, NoDelimiterListsEverything) {
  int n = 0;
  ListRollup rollup("", "", [&](const ListEntry& e) {
    EXPECT_FALSE(e.is_prefix);
    ++n;
    return Status::OK();
  });
  ASSERT_TRUE(rollup.AddObject("a/b/c", 1).ok());
  ASSERT_TRUE(rollup.AddObject("a/b/d", 1).ok());
  EXPECT_EQ(n, 2);
  EXPECT_EQ(rollup.CommonPrefixCovering("a/"), std::nullopt);
}

}  // namespace
}  // namespace cofre
