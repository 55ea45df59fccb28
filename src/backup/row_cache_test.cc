// The row digest cache (backup/row_cache.h): what a file holds after a commit, which tables a
// reader trusts, later layers referring to earlier files, and damaged or foreign files.
#include "backup/row_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "backup/row_cache_format.h"
#include "backup/row_cache_testing.h"
#include "backup/row_codec.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<const RowDigestKey> Key(char fill = 'k') {
  auto key = RowDigestKey::Derive(std::string(32, fill));
  return key.ok() ? *key : nullptr;
}

class RowCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = Key();
    if (!key_) GTEST_SKIP() << "this CPU has no 512-bit carry-less multiplies";
    dir_ = fs::path(::testing::TempDir()) /
           ("row_cache_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    full_ = row_cache_testing::FullManifest("2026/12/05-120000.00");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A layer manifest with table d.t of `rows` rows and `bytes` bytes.
  proto::BackupManifest Layer(uint32_t layer, uint64_t rows, uint64_t bytes) {
    return row_cache_testing::LayerManifest(full_, layer, rows, bytes);
  }

  static std::string Body(int64_t rowid, int version = 0) {
    return "row " + std::to_string(rowid) + " v" + std::to_string(version);
  }

  // Writes rows [1, n] (bodies Body(r)) and one leaf per 10 rows; returns the bytes.
  uint64_t WriteRows(RowCacheWriter& w, int64_t n, int split_at = 0) {
    uint64_t bytes = 0;
    auto first = w.NewRows("d", "t");
    auto second = w.NewRows("d", "t");
    for (int64_t r = 1; r <= n; ++r) {
      (split_at && r > split_at ? second : first)->Add(r, Body(r));
      bytes += Body(r).size();
    }
    EXPECT_TRUE(first->Finish());
    EXPECT_TRUE(second->Finish());
    std::vector<LeafRange> leaves;
    for (int64_t r = 1; r <= n; r += 10) {
      leaves.push_back({r, std::min(n, r + 9), std::string(16, static_cast<char>(r))});
    }
    w.AddLeaves("d", "t", leaves);
    return bytes;
  }

  std::vector<RowCacheEntry> Read(const RowCache& cache, std::vector<RowidRange> ranges) {
    const RowCache::Table* t = cache.Find("d", "t");
    EXPECT_NE(t, nullptr);
    std::vector<RowCacheEntry> out;
    if (!t) return out;
    RowCacheCursor cursor(cache, *t, std::move(ranges));
    RowCacheEntry e;
    while (true) {
      auto more = cursor.NextEntry(&e);
      EXPECT_THAT(more.status(), IsOk());
      if (!more.ok() || !*more) break;
      out.push_back(e);
    }
    return out;
  }

  std::vector<std::string> Files() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::shared_ptr<const RowDigestKey> key_;
  fs::path dir_;
  proto::BackupManifest full_;
};

TEST_F(RowCacheTest, ACommittedLayerReadsBackWhole) {
  auto w = RowCacheWriter::Start(dir_, full_, key_, true);
  ASSERT_THAT(w.status(), IsOk());
  const int64_t n = 5000;  // several segments
  const uint64_t bytes = WriteRows(**w, n, 2500);
  const proto::BackupManifest layer = Layer(0, n, bytes);
  ASSERT_THAT((*w)->Commit(layer), IsOk());
  auto cache = RowCache::Open(dir_, full_, layer, key_);
  ASSERT_THAT(cache.status(), IsOk());
  const RowCache::Table* t = (*cache)->Find("d", "t");
  ASSERT_NE(t, nullptr);
  auto leaves = (*cache)->Leaves(*t);
  ASSERT_THAT(leaves.status(), IsOk());
  EXPECT_EQ(leaves->size(), 500u);
  EXPECT_EQ(leaves->back().last, n);
  auto all =
      Read(**cache, {{std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}});
  ASSERT_EQ(all.size(), static_cast<size_t>(n));
  for (int64_t r = 1; r <= n; ++r) {
    EXPECT_EQ(all[r - 1].rowid, r);
    EXPECT_EQ(all[r - 1].bytes, Body(r).size());
    EXPECT_EQ(all[r - 1].digest, key_->Digest(Body(r)));
  }
  // Ranges across segment ends, and empty ones.
  auto some = Read(**cache, {{0, 0}, {1020, 1030}, {4096, 4097}, {6000, 7000}});
  ASSERT_EQ(some.size(), 13u);
  EXPECT_EQ(some.front().rowid, 1020);
  EXPECT_EQ(some.back().rowid, 4097);
  // DiffSpan's view: a changed row differs, the same row does not.
  RowCacheCursor cursor(**cache, *t, {{7, 7}});
  std::string_view key, body;
  auto more = cursor.Next(&key, &body);
  ASSERT_THAT(more.status(), IsOk());
  ASSERT_TRUE(*more);
  EXPECT_TRUE(PreviousRowSame(cursor, body, Body(7)));
  EXPECT_FALSE(PreviousRowSame(cursor, body, Body(7, 1)));
  EXPECT_EQ(PreviousRowBytes(cursor, body), Body(7).size());
}

TEST_F(RowCacheTest, ATableWhoseEntriesDoNotAddUpIsLeftOut) {
  {
    auto w = RowCacheWriter::Start(dir_, full_, key_, true);
    ASSERT_THAT(w.status(), IsOk());
    const uint64_t bytes = WriteRows(**w, 100);
    // The manifest counts a row the entries do not hold (a range recorded by no path).
    const proto::BackupManifest layer = Layer(0, 101, bytes + 5);
    ASSERT_THAT((*w)->Commit(layer), IsOk());
    auto cache = RowCache::Open(dir_, full_, layer, key_);
    ASSERT_THAT(cache.status(), IsOk());
    EXPECT_EQ((*cache)->Find("d", "t"), nullptr);
  }
  {
    // Rows out of order, and two ranges that overlap: not kept either.
    auto w = RowCacheWriter::Start(dir_, full_, key_, true);
    ASSERT_THAT(w.status(), IsOk());
    auto a = (*w)->NewRows("d", "t");
    a->Add(5, "x");
    a->Add(4, "y");
    EXPECT_FALSE(a->Finish());
    auto b = (*w)->NewRows("d", "t"), c = (*w)->NewRows("d", "t");
    b->Add(1, "a");
    b->Add(10, "b");
    c->Add(5, "c");
    EXPECT_TRUE(b->Finish());
    EXPECT_TRUE(c->Finish());
    (*w)->AddLeaves("d", "t", {});
    const proto::BackupManifest layer = Layer(0, 3, 3);
    ASSERT_THAT((*w)->Commit(layer), IsOk());
    auto cache = RowCache::Open(dir_, full_, layer, key_);
    ASSERT_THAT(cache.status(), IsOk());
    EXPECT_EQ((*cache)->Find("d", "t"), nullptr);
  }
}

TEST_F(RowCacheTest, OnlyTheLayerAndKeyItDescribesOpenIt) {
  auto w = RowCacheWriter::Start(dir_, full_, key_, true);
  ASSERT_THAT(w.status(), IsOk());
  const uint64_t bytes = WriteRows(**w, 50);
  const proto::BackupManifest layer = Layer(0, 50, bytes);
  ASSERT_THAT((*w)->Commit(layer), IsOk());
  EXPECT_THAT(RowCache::Open(dir_, full_, layer, key_).status(), IsOk());
  EXPECT_THAT(RowCache::Open(dir_, full_, layer, Key('z')).status(),
              StatusIs(StatusCode::kNotFound));
  proto::BackupManifest other = layer;
  other.set_rows(51);
  EXPECT_THAT(RowCache::Open(dir_, full_, other, key_).status(), StatusIs(StatusCode::kNotFound));
  proto::BackupManifest other_full = full_;
  other_full.set_full_subdir("2026/12/05-120000.01");  // another collection's chain
  EXPECT_THAT(RowCache::Open(dir_, other_full, layer, key_).status(),
              StatusIs(StatusCode::kNotFound));
  // An uncommitted writer leaves nothing behind.
  {
    auto abandoned = RowCacheWriter::Start(dir_, full_, key_, true);
    ASSERT_THAT(abandoned.status(), IsOk());
    WriteRows(**abandoned, 10);
  }
  EXPECT_EQ(Files().size(), 1u);
}

TEST_F(RowCacheTest, DamageIsRefusedNeverUsed) {
  auto w = RowCacheWriter::Start(dir_, full_, key_, true);
  ASSERT_THAT(w.status(), IsOk());
  const uint64_t bytes = WriteRows(**w, 3000);
  const proto::BackupManifest layer = Layer(0, 3000, bytes);
  ASSERT_THAT((*w)->Commit(layer), IsOk());
  ASSERT_EQ(Files().size(), 1u);
  const fs::path path = dir_ / Files()[0];
  std::string original;
  {
    std::ifstream in(path, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  };
  // A flipped byte in the first row segment: the index still opens, the segment is refused.
  std::string damaged = original;
  damaged[row_cache_format::kHeaderBytes + 100] ^= 1;
  write(damaged);
  auto cache = RowCache::Open(dir_, full_, layer, key_);
  ASSERT_THAT(cache.status(), IsOk());
  const RowCache::Table* t = (*cache)->Find("d", "t");
  ASSERT_NE(t, nullptr);
  RowCacheCursor cursor(**cache, *t, {{1, 10}});
  RowCacheEntry e;
  EXPECT_THAT(cursor.NextEntry(&e).status(), StatusIs(StatusCode::kDataLoss));
  EXPECT_TRUE(cursor.out_of_order());
  // A flipped byte in the index, a truncated file, garbage: refused at open.
  damaged = original;
  damaged[damaged.size() - row_cache_format::kTrailerBytes - 3] ^= 1;
  write(damaged);
  EXPECT_THAT(RowCache::Open(dir_, full_, layer, key_).status(), StatusIs(StatusCode::kDataLoss));
  write(original.substr(0, original.size() - 7));
  EXPECT_THAT(RowCache::Open(dir_, full_, layer, key_).status(), StatusIs(StatusCode::kDataLoss));
  write("CFRC");
  EXPECT_THAT(RowCache::Open(dir_, full_, layer, key_).status(), StatusIs(StatusCode::kDataLoss));
}

TEST_F(RowCacheTest, LaterLayersReferToKeptSegmentsUntilTheyCopy) {
  auto w = RowCacheWriter::Start(dir_, full_, key_, true);
  ASSERT_THAT(w.status(), IsOk());
  const int64_t n = 20000;  // 20 segments
  uint64_t bytes = WriteRows(**w, n);
  proto::BackupManifest layer = Layer(0, n, bytes);
  ASSERT_THAT((*w)->Commit(layer), IsOk());
  // Layer l changes row 1000 l + 500 (in a segment of its own) and keeps the rest by segment.
  for (uint32_t l = 1; l <= 10; ++l) {
    auto before = RowCache::Open(dir_, full_, layer, key_);
    ASSERT_THAT(before.status(), IsOk()) << "layer " << l;
    const RowCache::Table* t = (*before)->Find("d", "t");
    ASSERT_NE(t, nullptr) << "layer " << l;
    auto next = RowCacheWriter::Start(dir_, full_, key_, (*before)->ShouldCopy());
    ASSERT_THAT(next.status(), IsOk());
    const int64_t r = 1000 * l + 500;
    SpanRowRecorder recorder((*next)->NewRows("d", "t"),
                             std::make_unique<RowCacheCursor>(
                                 **before, *t, std::vector<RowidRange>{{1, r - 1}, {r + 1, n}}));
    const std::string changed = Body(r, static_cast<int>(l));
    recorder.Scanned(rowcodec::EncodeRowidKey(r), changed);
    ASSERT_TRUE(recorder.Finish());
    auto leaves = (*before)->Leaves(*t);
    ASSERT_THAT(leaves.status(), IsOk());
    (*next)->AddLeaves("d", "t", *leaves);
    bytes += changed.size() - Body(r).size();
    layer = Layer(l, n, bytes);
    ASSERT_THAT((*next)->Commit(layer), IsOk());
    // Each layer's file refers to the segments it kept in the earlier files, until its index
    // would span kMaxFiles files: then the next layer copies them, and the old files go.
    const size_t expected = l < row_cache_format::kMaxFiles ? l + 1 : l - 7;
    EXPECT_EQ(Files().size(), expected) << "layer " << l;
    auto after = RowCache::Open(dir_, full_, layer, key_);
    ASSERT_THAT(after.status(), IsOk());
    auto all = Read(**after, {{1, n}});
    ASSERT_EQ(all.size(), static_cast<size_t>(n));
    for (uint32_t k = 1; k <= l; ++k) {
      const int64_t c = 1000 * k + 500;
      EXPECT_EQ(all[c - 1].digest, key_->Digest(Body(c, static_cast<int>(k)))) << l << " " << k;
      EXPECT_EQ(all[c].digest, key_->Digest(Body(c + 1)));
    }
  }
}

TEST(RowDigestKeyTest, DigestsTellRowsApart) {
  auto key = RowDigestKey::Derive(std::string(32, 's'));
  if (!key.ok()) GTEST_SKIP() << "this CPU has no 512-bit carry-less multiplies";
  auto other = RowDigestKey::Derive(std::string(32, 't'));
  ASSERT_THAT(other.status(), IsOk());
  EXPECT_NE((*key)->check(), (*other)->check());
  std::mt19937_64 rng(3);
  std::set<uint64_t> seen;
  for (int i = 0; i < 20000; ++i) {
    std::string row(rng() % 700, '\0');
    for (char& c : row) c = static_cast<char>(rng());
    row += std::to_string(i);  // distinct rows
    EXPECT_TRUE(seen.insert((*key)->Digest(row)).second) << i;
    EXPECT_EQ((*key)->Digest(row), (*key)->Digest(std::string(row)));
  }
  // Trailing zero bytes, and another key.
  EXPECT_NE((*key)->Digest("abc"), (*key)->Digest(std::string("abc\0", 4)));
  EXPECT_NE((*key)->Digest(""), (*key)->Digest(std::string(16, '\0')));
  EXPECT_NE((*key)->Digest("abc"), (*other)->Digest("abc"));
}

}  // namespace
}  // namespace cofre
