#include "backup/seen_layers.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace cofre {
namespace {

proto::BackupManifest Layer(const std::string& full_subdir, const std::string& chain_id,
                            uint32_t layer, int64_t end) {
  proto::BackupManifest m;
  m.set_full_subdir(full_subdir);
  m.set_chain_id(chain_id);
  m.set_layer(layer);
  m.set_layer_dir(layer == 0 ? full_subdir
                             : "incrementals/" + full_subdir + "/" + std::to_string(layer));
  m.set_end_time_micros(end);
  return m;
}

class SeenLayersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/seen_layers_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    path_ = tmpl;
    auto dir = DataDir::Open(path_ + "/data");
    ASSERT_TRUE(dir.ok()) << dir.status().message();
    dir_ = std::move(*dir);
  }
  void TearDown() override { std::filesystem::remove_all(path_); }

  std::string path_;
  std::unique_ptr<DataDir> dir_;
};

TEST_F(SeenLayersTest, NothingSeenFindsNothing) {
  SeenLayers seen(dir_.get());
  auto findings = seen.FindOlder("c", "", {Layer("2026/01/01-000000.00", "id", 0, 10)}, true);
  ASSERT_TRUE(findings.ok());
  EXPECT_TRUE(findings->empty());
}

TEST_F(SeenLayersTest, ShorterChainAndOtherChainAndOlderLatest) {
  SeenLayers seen(dir_.get());
  const std::string a = "2026/01/01-000000.00", b = "2026/01/02-000000.00";
  std::vector<proto::BackupManifest> chain = {Layer(a, "id", 0, 10), Layer(a, "id", 1, 20),
                                              Layer(a, "id", 2, 30)};
  ASSERT_TRUE(seen.Record("c", "", chain).ok());
  // Records never move back.
  ASSERT_TRUE(seen.Record("c", "", {chain[0], chain[1]}).ok());
  auto findings = seen.FindOlder("c", "", {chain[0], chain[1]}, false);
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 1u);
  EXPECT_NE((*findings)[0].find("incremental layer 2"), std::string::npos) << (*findings)[0];
  // The whole chain, another collection, another place of the layers: nothing.
  EXPECT_TRUE(seen.FindOlder("c", "", chain, true)->empty());
  EXPECT_TRUE(seen.FindOlder("d", "", {chain[0]}, true)->empty());
  EXPECT_TRUE(seen.FindOlder("c", "inc", {chain[0]}, false)->empty());
  // Another chain under the same subdir.
  findings = seen.FindOlder("c", "", {Layer(a, "other", 0, 10)}, false);
  ASSERT_EQ(findings->size(), 1u);
  EXPECT_NE((*findings)[0].find("chain id differs"), std::string::npos);
  // A newer full backup seen: LATEST naming the older one is found, naming it directly is not.
  ASSERT_TRUE(seen.RecordLayer("c", "", b, "id2", 40, 0, b, 40).ok());
  findings = seen.FindOlder("c", "", chain, true);
  ASSERT_EQ(findings->size(), 1u);
  EXPECT_NE((*findings)[0].find("LATEST names full backup /" + a), std::string::npos);
  EXPECT_TRUE(seen.FindOlder("c", "", chain, false)->empty());
}

}  // namespace
}  // namespace cofre
