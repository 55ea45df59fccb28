#include "backup/locality.h"

#include <gtest/gtest.h>

#include "backup/chain_storage.h"
#include "storage/memory_storage.h"

namespace cofre {
namespace {

StatusOr<std::vector<LocalityUri>> Parse(std::vector<std::string> uris, bool labels = true) {
  return ParseLocalityUris(uris, labels);
}

TEST(LocalityTest, StripsOnlyTheLocalityParameter) {
  EXPECT_EQ(StripLocalityParam("s3://b/p?COCKROACH_LOCALITY=default"), "s3://b/p");
  EXPECT_EQ(StripLocalityParam("s3://b/p?AWS_REGION=x&COCKROACH_LOCALITY=region%3Dw&AUTH=implicit"),
            "s3://b/p?AWS_REGION=x&AUTH=implicit");
  EXPECT_EQ(StripLocalityParam("s3://b/p?COCKROACH_LOCALITY=default&AWS_SECRET_ACCESS_KEY=a%2Bb"),
            "s3://b/p?AWS_SECRET_ACCESS_KEY=a%2Bb");
  EXPECT_EQ(StripLocalityParam("nodelocal://1/b"), "nodelocal://1/b");
  EXPECT_EQ(StripLocalityParam("file:///x?COCKROACH%5FLOCALITY=default"), "file:///x");
}

TEST(LocalityTest, SingleUnlabeledUriIsThePlainCollection) {
  auto list = Parse({"nodelocal://1/b"});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].uri, "nodelocal://1/b");
  EXPECT_EQ((*list)[0].locality, "");
}

TEST(LocalityTest, LabeledListPutsDefaultFirstAndDecodesTiers) {
  auto list = Parse({"s3://west/p?COCKROACH_LOCALITY=region%3Dus-west",
                     "s3://east/p?COCKROACH_LOCALITY=default&AWS_REGION=us-east-1",
                     "s3://zone/p?COCKROACH_LOCALITY=zone%3Da"});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].uri, "s3://east/p?AWS_REGION=us-east-1");
  EXPECT_EQ((*list)[0].locality, "");
  EXPECT_EQ((*list)[1].uri, "s3://west/p");
  EXPECT_EQ((*list)[1].locality, "region=us-west");
  EXPECT_EQ((*list)[2].locality, "zone=a");
  EXPECT_TRUE((*list)[2].labeled);
}

TEST(LocalityTest, RefusesZeroOrTwoDefaults) {
  auto none =
      Parse({"s3://a?COCKROACH_LOCALITY=region%3Dx", "s3://b?COCKROACH_LOCALITY=region%3Dy"});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(none.status().message().find("none has it"), std::string::npos)
      << none.status().message();
  auto two = Parse({"s3://a?COCKROACH_LOCALITY=default", "s3://b?COCKROACH_LOCALITY=default"});
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("exactly one"), std::string::npos);
  // A single URI labeled with a tier has no default either.
  EXPECT_FALSE(Parse({"s3://a?COCKROACH_LOCALITY=region%3Dx"}).ok());
}

TEST(LocalityTest, RefusesDuplicateLocalityAndBadTiers) {
  auto dup = Parse({"s3://a?COCKROACH_LOCALITY=default", "s3://b?COCKROACH_LOCALITY=region%3Dx",
                    "s3://c?COCKROACH_LOCALITY=region%3Dx"});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("\"region=x\" is given to more than one URI"),
            std::string::npos);
  for (std::string bad : {"region", "=x", "region%3D", "region%3Dx%2Czone%3Dy", "a%3Db%3Dc"}) {
    auto r = Parse({"s3://a?COCKROACH_LOCALITY=default", "s3://b?COCKROACH_LOCALITY=" + bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("key=value"), std::string::npos) << bad;
  }
}

TEST(LocalityTest, BackupListsNeedLabelsReadListsMayOmitThemAll) {
  auto missing = Parse({"s3://a?COCKROACH_LOCALITY=default&AWS_SECRET_ACCESS_KEY=topsecret",
                        "s3://b?AWS_SECRET_ACCESS_KEY=topsecret"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("s3://b"), std::string::npos);
  EXPECT_EQ(missing.status().message().find("topsecret"), std::string::npos);
  EXPECT_FALSE(Parse({"s3://a", "s3://b"}, /*labels=*/true).ok());

  auto read = Parse({"s3://a", "s3://b"}, /*labels=*/false);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ((*read)[0].uri, "s3://a");
  EXPECT_FALSE((*read)[1].labeled);
  // Mixed labeled and unlabeled is ambiguous even for reading.
  EXPECT_FALSE(Parse({"s3://a?COCKROACH_LOCALITY=default", "s3://b"}, false).ok());
}

TEST(LocalityTest, MatchPrefersTheMostSpecificTier) {
  std::vector<std::string> available = {"region=us-west", "zone=us-west-1a"};
  EXPECT_EQ(MatchLocality("region=us-west", available), "region=us-west");
  EXPECT_EQ(MatchLocality("region=us-west,zone=us-west-1a", available), "zone=us-west-1a");
  EXPECT_EQ(MatchLocality("region=us-west,zone=us-west-1b", available), "region=us-west");
  EXPECT_EQ(MatchLocality("region=eu", available), "");
  EXPECT_EQ(MatchLocality("", available), "");
  EXPECT_EQ(MatchLocality("region=us-west-2", available), "");  // whole tiers only
  EXPECT_EQ(LocalityTiers("a=1,b=2"), (std::vector<std::string>{"a=1", "b=2"}));
}

TEST(ChainStorageTest, FilesGoToTheirLocalityAndCoversNamesMissingOnes) {
  MemoryStorage def("mem://default"), west("mem://west");
  ChainStorage chain;
  chain.collection = &def;
  chain.localities["region=us-west"] = &west;
  chain.write_locality = "region=us-west";
  EXPECT_EQ(&chain.DataFor(0), &west);
  EXPECT_EQ(&chain.DataFor(2), &west);
  EXPECT_EQ(&chain.ForLayer(0), &def);

  proto::BackupManifest m;
  auto* file = m.add_databases()->add_tables()->add_spans()->add_files();
  file->set_path("2026/01/01-000000.00/data/1.cfd");
  EXPECT_EQ(&chain.For(*file), &def);  // old manifests: no locality means default
  file->set_locality("region=us-west");
  EXPECT_EQ(&chain.For(*file), &west);
  EXPECT_TRUE(chain.Covers(m, "/2026/01/01-000000.00").ok());

  ChainStorage plain;
  plain.collection = &def;
  EXPECT_EQ(&plain.DataFor(1), &def);
  Status st = plain.Covers(m, "/2026/01/01-000000.00");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("locality \"region=us-west\""), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("/2026/01/01-000000.00"), std::string::npos);
}

}  // namespace
}  // namespace cofre
