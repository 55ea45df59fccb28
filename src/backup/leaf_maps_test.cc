// The detector's ranges: which parts of a span an incremental may pass over (UnchangedRowidRanges)
// and which it scans (ChangedKeyRanges).
#include "backup/leaf_maps.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <random>

#include "backup/leaf_maps_format.h"
#include "backup/row_codec.h"
#include "storage/memory_storage.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

LeafRange G(int64_t first, int64_t last, char tag) { return {first, last, std::string(16, tag)}; }

// The definition UnchangedRowidRanges implements in one pass: a group of `now` is unchanged when
// SameLeavesInRange holds over its own range, and consecutive unchanged groups merge when it holds
// over the union too.
std::vector<RowidRange> UnchangedBySpec(const std::vector<LeafRange>& before,
                                        const std::vector<LeafRange>& now,
                                        std::optional<int64_t> lo, std::optional<int64_t> hi) {
  std::vector<RowidRange> out;
  bool extend = false;
  for (const LeafRange& g : now) {
    if ((lo && g.last < *lo) || (hi && g.first >= *hi)) continue;
    if (!SameLeavesInRange(before, now, g.first, g.last + 1)) {
      extend = false;
      continue;
    }
    if (extend && SameLeavesInRange(before, now, out.back().first, g.last + 1)) {
      out.back().second = g.last;
    } else {
      out.emplace_back(g.first, g.last);
    }
    extend = true;
  }
  for (auto& r : out) {
    if (lo) r.first = std::max(r.first, *lo);
    if (hi) r.second = std::min(r.second, *hi - 1);
  }
  return out;
}

TEST(UnchangedRowidRangesTest, OnePassAgreesWithTheDefinitionOnRandomMaps) {
  std::mt19937_64 rng(5);
  // Random leaves over [0, 2000): ranges with gaps; `now` edits, splits, drops and adds some.
  auto leaves = [&](int n) {
    std::vector<LeafRange> out;
    int64_t at = static_cast<int64_t>(rng() % 5);
    for (int i = 0; i < n; ++i) {
      const int64_t len = 1 + static_cast<int64_t>(rng() % 6);
      out.push_back(G(at, at + len - 1, static_cast<char>('a' + rng() % 3)));
      at += len + static_cast<int64_t>(rng() % 3);
    }
    return out;
  };
  for (int round = 0; round < 3000; ++round) {
    std::vector<LeafRange> before = leaves(40), now;
    for (const LeafRange& l : before) {
      const int r = static_cast<int>(rng() % 10);
      if (r == 0) continue;  // gone
      LeafRange c = l;
      if (r == 1) c.digest[1] = 'z';     // changed in place
      if (r == 2 && c.last > c.first) {  // split in two
        now.push_back(G(c.first, c.first, 'q'));
        c.first += 1;
      }
      now.push_back(c);
      if (r == 4) now.push_back(G(c.last + 1, c.last + 1, 'n'));  // a new leaf after it
    }
    // Keep `now` ordered and disjoint.
    std::vector<LeafRange> fixed;
    for (const LeafRange& l : now) {
      if (fixed.empty() || l.first > fixed.back().last) fixed.push_back(l);
    }
    std::optional<int64_t> lo, hi;
    if (rng() % 4) lo = static_cast<int64_t>(rng() % 220);
    if (rng() % 4) hi = lo.value_or(0) + static_cast<int64_t>(rng() % 220);
    ASSERT_EQ(UnchangedRowidRanges(before, fixed, lo, hi), UnchangedBySpec(before, fixed, lo, hi))
        << "round " << round;
  }
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
                {"", rowcodec::EncodeRowidKey(1)},
                {rowcodec::EncodeRowidKey(11), rowcodec::EncodeRowidKey(21)},
                {rowcodec::EncodeRowidKey(31), ""}}));
}

TEST(ChangedKeyRangesTest, BoundsAndExtremes) {
  EXPECT_EQ(ChangedKeyRanges(5, 50, {}),
            (std::vector<std::pair<std::string, std::string>>{
                {rowcodec::EncodeRowidKey(5), rowcodec::EncodeRowidKey(50)}}));
  EXPECT_EQ(ChangedKeyRanges(5, 50, {{5, 49}}),
            (std::vector<std::pair<std::string, std::string>>{}));
  EXPECT_EQ(ChangedKeyRanges(5, 50, {{5, 9}, {20, 29}}),
            (std::vector<std::pair<std::string, std::string>>{
                {rowcodec::EncodeRowidKey(10), rowcodec::EncodeRowidKey(20)},
                {rowcodec::EncodeRowidKey(30), rowcodec::EncodeRowidKey(50)}}));
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(
      ChangedKeyRanges(std::nullopt, std::nullopt, {{100, max}}),
      (std::vector<std::pair<std::string, std::string>>{{"", rowcodec::EncodeRowidKey(100)}}));
}

// Random grouped maps for a few tables, and a changed copy of them (entries changed, inserted,
// dropped; a table gone, a table new), as consecutive layers would see.
LeafMapSet RandomMaps(std::mt19937_64& rng, int tables) {
  LeafMapSet maps;
  for (int t = 0; t < tables; ++t) {
    std::vector<LeafRange>& leaves = maps[{"db", "t" + std::to_string(t)}];
    int64_t at = static_cast<int64_t>(rng() % 100);
    for (int i = 0, n = static_cast<int>(rng() % 300); i < n; ++i) {
      LeafRange l;
      l.first = at;
      l.last = at + static_cast<int64_t>(rng() % 50);
      at = l.last + 1 + static_cast<int64_t>(rng() % 3);
      l.digest = std::string(16, static_cast<char>(rng()));
      leaves.push_back(l);
    }
  }
  return maps;
}

LeafMapSet Change(std::mt19937_64& rng, LeafMapSet maps) {
  for (auto& [key, leaves] : maps) {
    std::vector<LeafRange> out;
    for (const LeafRange& l : leaves) {
      const uint64_t r = rng() % 100;
      if (r < 3) continue;  // a group gone
      out.push_back(l);
      if (r < 8) out.back().digest[0] ^= 1;  // a group changed
    }
    leaves = std::move(out);
  }
  if (!maps.empty() && rng() % 2) maps.erase(maps.begin());
  maps[{"db", "new" + std::to_string(rng() % 1000)}] = RandomMaps(rng, 1).begin()->second;
  return maps;
}

class DeltaLeafMapsTest : public ::testing::Test {
 protected:
  DeltaLeafMapsTest() { storage_.collection = &memory_; }

  // Writes `maps` as layer `layer` after the chain so far, as an incremental does (a delta of
  // the resolved previous maps), and appends its manifest.
  void AddLayer(const LeafMapSet& maps) {
    proto::BackupManifest m;
    m.set_layer(static_cast<uint32_t>(chain_.size()));
    std::optional<ResolvedLeafMaps> base;
    if (!chain_.empty()) {
      ASSERT_OK_AND_ASSIGN(auto before, ReadChainLeafMaps(storage_, crypto_, digest_, chain_));
      base = std::move(before);
    }
    ASSERT_THAT(WriteLeafMaps(storage_.ForLayer(m.layer()), "layer" + std::to_string(m.layer()),
                              crypto_, digest_, maps, &m, base ? &*base : nullptr),
                IsOk());
    chain_.push_back(m);
  }

  MemoryStorage memory_;
  ChainStorage storage_;
  ChainCrypto crypto_;
  LeafDigest digest_;  // SHA-256 unless a test keys it
  std::vector<proto::BackupManifest> chain_;
};

TEST_F(DeltaLeafMapsTest, EveryLayerReadsBackExactlyThroughItsDeltas) {
  std::mt19937_64 rng(3);
  LeafMapSet maps = RandomMaps(rng, 4);
  std::vector<uint64_t> sizes;
  for (int layer = 0; layer < 20; ++layer) {
    if (layer > 0) maps = Change(rng, maps);
    AddLayer(maps);
    ASSERT_OK_AND_ASSIGN(auto read, ReadChainLeafMaps(storage_, crypto_, digest_, chain_));
    EXPECT_EQ(read.maps, maps) << "layer " << layer;
    // A full map every kMaxDepth + 1 layers, deltas between.
    EXPECT_EQ(read.depth, static_cast<uint32_t>(layer) % (leaf_maps_format::kMaxDepth + 1));
    sizes.push_back(chain_.back().leaf_maps().file_bytes());
  }
  // Deltas store what changed: well under the full maps.
  EXPECT_LT(sizes[1] * 2, sizes[0]);
}

TEST_F(DeltaLeafMapsTest, ADeltaWithoutItsBaseOrCopyingPastItIsRefused) {
  std::mt19937_64 rng(4);
  const LeafMapSet first = RandomMaps(rng, 2);
  AddLayer(first);
  AddLayer(Change(rng, first));
  // Read alone, the delta has nothing to copy from.
  EXPECT_THAT(
      ReadLeafMapsFile(*storage_.collection, crypto_, digest_, chain_[1].leaf_maps(), nullptr)
          .status(),
      StatusIs(StatusCode::kDataLoss));
  // Against other maps: runs that copy entries those do not have.
  ResolvedLeafMaps other;
  other.maps[{"db", "t0"}] = {LeafRange{1, 2, std::string(16, 'x')}};
  EXPECT_THAT(
      ReadLeafMapsFile(*storage_.collection, crypto_, digest_, chain_[1].leaf_maps(), &other)
          .status(),
      StatusIs(StatusCode::kDataLoss));
  // Runs that copy the same entries over and over (a forged file of a few bytes that would make
  // millions of entries) are refused at the second copy.
  {
    proto::LeafMaps forged;
    forged.set_group_average(leaf_maps_format::kGroupAverage);
    forged.set_depth(1);
    auto* t = forged.add_tables();
    t->set_database("db");
    t->set_table("t0");
    for (int i = 0; i < 1000; ++i) {
      rowcodec::PutVarint(t->mutable_runs(), (uint64_t{2} << 1) | 1);
      rowcodec::PutVarint(t->mutable_runs(), 0);
    }
    std::string contents(leaf_maps_format::kMagic, sizeof(leaf_maps_format::kMagic));
    ASSERT_TRUE(forged.AppendToString(&contents));
    proto::BackupManifest m;
    StoredFileInfo info;
    ASSERT_THAT(WriteStoredFile(memory_, "forged/LEAF_MAPS", crypto_, contents, &info), IsOk());
    m.mutable_leaf_maps()->set_path("forged/LEAF_MAPS");
    m.mutable_leaf_maps()->set_file_bytes(info.bytes);
    m.mutable_leaf_maps()->set_sha256(info.sha256);
    ASSERT_OK_AND_ASSIGN(auto first_maps,
                         ReadChainLeafMaps(storage_, crypto_, digest_, {chain_[0]}));
    const std::pair<std::string, std::string> t0("db", "t0");
    ASSERT_GE(first_maps.maps[t0].size(), 2u);
    EXPECT_THAT(ReadLeafMapsFile(memory_, crypto_, digest_, m.leaf_maps(), &first_maps).status(),
                StatusIs(StatusCode::kDataLoss, ::testing::HasSubstr("out of order")));
  }
  // A chain whose first layer lost its maps cannot resolve the delta.
  chain_[0].clear_leaf_maps();
  EXPECT_THAT(ReadChainLeafMaps(storage_, crypto_, digest_, chain_).status(),
              StatusIs(StatusCode::kDataLoss));
  // A last layer without maps gives no base: the next layer's maps are written in full.
  chain_.resize(1);
  EXPECT_THAT(ReadChainLeafMaps(storage_, crypto_, digest_, chain_).status(),
              StatusIs(StatusCode::kNotFound));
}

LeafDigest Keyed(char fill) {
  const SecretBytes secret = SecretBytes(std::string(32, fill));
  auto digest = ChainLeafDigest(ChainCrypto{}, &secret);
  EXPECT_THAT(digest.status(), IsOk());
  return digest.ok() ? std::move(*digest) : LeafDigest();
}

// Maps made with another digest or key are no maps: their entries would never match, and a
// mix of both kinds in one map would compare digests of one kind with the other's.
TEST_F(DeltaLeafMapsTest, MapsOfAnotherDigestOrKeyCountAsNone) {
  std::mt19937_64 rng(5);
  const LeafMapSet first = RandomMaps(rng, 3);
  AddLayer(first);  // SHA-256
  digest_ = Keyed('a');
  EXPECT_EQ(digest_.kind, proto::LeafMaps::KEYED_GMAC);
  ASSERT_OK_AND_ASSIGN(auto none, ReadChainLeafMaps(storage_, crypto_, digest_, chain_));
  EXPECT_TRUE(none.maps.empty());
  // The next layer under the key stores all its entries (a delta of nothing) and reads back.
  const LeafMapSet second = Change(rng, first);
  AddLayer(second);
  ASSERT_OK_AND_ASSIGN(auto read, ReadChainLeafMaps(storage_, crypto_, digest_, chain_));
  EXPECT_EQ(read.maps, second);
  EXPECT_EQ(read.depth, 1u);
  const LeafMapSet third = Change(rng, second);
  AddLayer(third);
  ASSERT_OK_AND_ASSIGN(read, ReadChainLeafMaps(storage_, crypto_, digest_, chain_));
  EXPECT_EQ(read.maps, third);
  // Under another key, or unkeyed, the keyed layers are none.
  ASSERT_OK_AND_ASSIGN(none, ReadChainLeafMaps(storage_, crypto_, Keyed('b'), chain_));
  EXPECT_TRUE(none.maps.empty());
  ASSERT_OK_AND_ASSIGN(none, ReadChainLeafMaps(storage_, crypto_, LeafDigest(), chain_));
  EXPECT_TRUE(none.maps.empty());
}

TEST(ChainLeafDigestTest, EncryptedChainsKeyFromTheirDataKeyOthersFromTheSecretGiven) {
  const SecretBytes data_key = SecretBytes(std::string(32, 'k'));
  const SecretBytes node = SecretBytes(std::string(32, 'n'));
  ChainCrypto encrypted{&data_key, std::string(16, 'c')};
  ASSERT_OK_AND_ASSIGN(LeafDigest a, ChainLeafDigest(encrypted, nullptr));
  ASSERT_OK_AND_ASSIGN(LeafDigest b, ChainLeafDigest(encrypted, &node));
  EXPECT_EQ(a.kind, proto::LeafMaps::KEYED_GMAC);
  EXPECT_EQ(a.key_check, b.key_check);
  ASSERT_OK_AND_ASSIGN(LeafDigest plain, ChainLeafDigest(ChainCrypto{}, &node));
  EXPECT_EQ(plain.kind, proto::LeafMaps::KEYED_GMAC);
  EXPECT_NE(plain.key_check, a.key_check);
  ASSERT_OK_AND_ASSIGN(LeafDigest sha, ChainLeafDigest(ChainCrypto{}, nullptr));
  EXPECT_EQ(sha.kind, proto::LeafMaps::SHA256);
  EXPECT_FALSE(sha.hashers);
  // The keyed hashers digest 16 bytes per leaf, the same for the same bytes.
  ASSERT_TRUE(plain.hashers);
  ASSERT_OK_AND_ASSIGN(auto h, plain.hashers());
  ASSERT_TRUE(h != nullptr);
  h->Add(std::string(4096, 'p'));
  ASSERT_OK_AND_ASSIGN(std::string d1, h->Finish());
  h->Add(std::string(4096, 'p'));
  ASSERT_OK_AND_ASSIGN(std::string d2, h->Finish());
  EXPECT_EQ(d1.size(), 16u);
  EXPECT_EQ(d1, d2);
}

}  // namespace
}  // namespace cofre
