// Cell digests (backup/cell_digests.h) against brute force: random workloads on a WAL file
// (in-place and growing updates, deletes, rows inserted into gaps, overflow chains, VACUUM), each
// layer's cache written as an incremental writes it (the cells carried by the comparison itself).
// Every row whose content changed, appeared or went must be among the rowids the comparison gives,
// and few others; and the one blind spot, a row gone whose cell a damaged cache lacks, must show
// in the count of cells.
#include "backup/cell_digests.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "backup/row_cache_testing.h"
#include "engine/snapshot.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;
using RowMap = std::map<int64_t, std::string>;

class CellDigestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = RowDigestKey::Derive(std::string(32, 'c'));
    if (!key.ok()) GTEST_SKIP() << "this CPU has no 512-bit carry-less multiplies";
    key_ = *key;
    dir_ = fs::path(::testing::TempDir()) /
           ("cell_digests_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    info_ = DatabaseInfo{"app", (dir_ / "app.db").string(), true};
    auto db = SqliteDb::Open(info_.path, true);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->QueryText("PRAGMA journal_mode=wal").ok());
    ASSERT_THAT(db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b BLOB);"
                         "WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s "
                         "WHERE v < 3000) INSERT INTO t SELECT v * 3, v % 7, "
                         "randomblob(v % 200) FROM s"),
                IsOk());
    full_ = row_cache_testing::FullManifest("2026/12/06-000000.00");
  }
  void TearDown() override { fs::remove_all(dir_); }

  proto::BackupManifest Layer(uint32_t layer, uint64_t rows, uint64_t bytes) {
    return row_cache_testing::LayerManifest(full_, layer, rows, bytes);
  }

  // Maps t in a new snapshot on `threads` threads with `visit`, giving its leaves and its rows as
  // SQLite reads them.
  void Map(const LeafCellVisitor& visit, int threads, std::vector<LeafRange>* leaves,
           RowMap* rows) {
    auto snap = Snapshot::Take({info_}, SnapshotOptions{1, std::chrono::milliseconds(20000)});
    ASSERT_THAT(snap.status(), IsOk());
    const SqliteDb& r = (*snap)->reader("app");
    auto stmt = r.Prepare("SELECT id, quote(a) || quote(b) FROM t ORDER BY id");
    ASSERT_THAT(stmt.status(), IsOk());
    rows->clear();
    while (*stmt->Step()) (*rows)[stmt->ColumnInt(0)] = stmt->ColumnText(1);
    auto root = r.QueryInt("SELECT rootpage FROM sqlite_schema WHERE name = 't'");
    ASSERT_TRUE(root.ok() && *root);
    auto view = (*snap)->OpenPageView("app");
    ASSERT_THAT(view.status(), IsOk());
    auto mapped = MapTableLeaves(**view, static_cast<uint32_t>(**root), threads, {}, visit);
    ASSERT_THAT(mapped.status(), IsOk());
    *leaves = std::move(*mapped);
  }

  // Commits layer `layer`'s cache in `writer`: `leaves`, and `rows` as row entries.
  void Commit(RowCacheWriter& writer, uint32_t layer, const std::vector<LeafRange>& leaves,
              const RowMap& rows) {
    writer.AddLeaves("d", "t", leaves);
    auto entries = writer.NewRows("d", "t");
    uint64_t bytes = 0;
    for (const auto& [id, body] : rows) {
      entries->Add(id, body);
      bytes += body.size();
    }
    ASSERT_TRUE(entries->Finish());
    ASSERT_THAT(writer.Commit(Layer(layer, rows.size(), bytes)), IsOk());
  }

  // Maps t with a collector (made by `make` for the cache being written) and writes layer
  // `layer`'s cache.
  void WriteLayer(uint32_t layer,
                  const std::function<std::unique_ptr<CellCollector>(RowCacheWriter*)>& make,
                  RowMap* rows, std::vector<int64_t>* differ, uint64_t* cells_seen,
                  bool* finished) {
    auto writer = RowCacheWriter::Start(dir_.string(), full_, key_, /*copy_segments=*/false);
    ASSERT_THAT(writer.status(), IsOk());
    std::unique_ptr<CellCollector> collector = make(writer->get());
    std::vector<LeafRange> leaves;
    Map(collector->visitor(), 2, &leaves, rows);
    if (HasFatalFailure()) return;
    *finished = collector->Finish(differ);
    *cells_seen = collector->cells_seen();
    Commit(**writer, layer, leaves, *rows);
  }

  std::unique_ptr<RowCache> Open(uint32_t layer, const RowMap& rows) {
    uint64_t bytes = 0;
    for (const auto& [id, body] : rows) bytes += body.size();
    auto cache = RowCache::Open(dir_.string(), full_, Layer(layer, rows.size(), bytes), key_);
    EXPECT_THAT(cache.status(), IsOk());
    return cache.ok() ? std::move(*cache) : nullptr;
  }

  void Mutate(std::mt19937_64& rng, int round) {
    auto db = SqliteDb::Open(info_.path, false);
    ASSERT_TRUE(db.ok());
    std::string sql = "BEGIN;";
    const int ops = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < ops; ++i) {
      const std::string k = std::to_string((1 + rng() % 3000) * 3);
      switch (rng() % 6) {
        case 0:  // in place
          sql += "UPDATE t SET a = a + 1 WHERE id = " + k + ";";
          break;
        case 1:  // growing: the leaf splits and its rows move
          sql += "UPDATE t SET b = randomblob(600) WHERE id = " + k + ";";
          break;
        case 2:
          sql += "DELETE FROM t WHERE id = " + k + ";";
          break;
        case 3:  // into the gap after a row
          sql += "INSERT OR IGNORE INTO t VALUES (" + k + " + 1, 0, x'00');";
          break;
        case 4:  // an overflow chain, new or replaced
          sql += "INSERT OR REPLACE INTO t VALUES (" + k + ", 1, randomblob(6000));";
          break;
        default:  // a run of rows gone: a leaf may empty
          sql += "DELETE FROM t WHERE id BETWEEN " + k + " AND " + k + " + 60;";
      }
    }
    sql += "COMMIT;";
    ASSERT_THAT(db->Exec(sql), IsOk());
    if (round % 7 == 3) {
      ASSERT_THAT(db->Exec("VACUUM"), IsOk());
    }
  }

  std::shared_ptr<const RowDigestKey> key_;
  fs::path dir_;
  DatabaseInfo info_;
  proto::BackupManifest full_;
};

TEST_F(CellDigestsTest, EveryChangedRowIsAmongTheRowidsToReadAgainstBruteForce) {
  RowMap before, now;
  std::vector<int64_t> differ;
  uint64_t seen = 0;
  bool finished = false;
  WriteLayer(
      0, [&](RowCacheWriter* w) { return CellCollector::ToCache(key_, w, "d", "t"); }, &before,
      &differ, &seen, &finished);
  ASSERT_TRUE(finished);
  std::mt19937_64 rng(7);
  size_t compared = 0, read = 0, changed = 0;
  for (int round = 1; round <= 25 && !HasFatalFailure(); ++round) {
    Mutate(rng, round);
    std::unique_ptr<RowCache> cache = Open(round - 1, before);
    ASSERT_NE(cache, nullptr);
    const RowCache::Table* cached = cache->Find("d", "t");
    ASSERT_NE(cached, nullptr);
    ASSERT_GT(cached->index.cell_segments_size(), 0) << "round " << round;
    auto then = cache->Leaves(*cached);
    ASSERT_THAT(then.status(), IsOk());
    std::atomic<int64_t> budget{1 << 20};
    WriteLayer(
        round,
        [&](RowCacheWriter* w) {
          return CellCollector::Compare(key_, *cache, *cached, *then, w, "d", "t", &budget);
        },
        &now, &differ, &seen, &finished);
    ASSERT_TRUE(finished) << "round " << round;
    EXPECT_EQ(seen, now.size()) << "round " << round;
    ASSERT_TRUE(std::is_sorted(differ.begin(), differ.end()));
    const std::set<int64_t> to_read(differ.begin(), differ.end());
    std::set<int64_t> truth;
    for (const auto& [id, body] : before) {
      auto it = now.find(id);
      if (it == now.end() || it->second != body) truth.insert(id);
    }
    for (const auto& [id, body] : now) {
      if (!before.count(id)) truth.insert(id);
    }
    for (int64_t id : truth) {
      ASSERT_TRUE(to_read.count(id))
          << "round " << round << ": row " << id << " changed but was not to be read";
    }
    ++compared;
    read += to_read.size();
    changed += truth.size();
    before = std::move(now);
  }
  // Useful, not only safe: rows with overflow chains aside (always read when their leaf
  // changes), few rows are read that did not change.
  size_t overflowing = 0;
  for (const auto& [id, body] : before) overflowing += body.size() > 6000;
  EXPECT_LE(read, changed + compared * overflowing);
  EXPECT_GT(changed, 0u);
}

TEST_F(CellDigestsTest, ARowGoneWhoseCellTheCacheLacksShowsInTheCount) {
  RowMap before, now;
  std::vector<int64_t> differ;
  uint64_t seen = 0;
  bool finished = false;
  // Layer 0's cells written by hand: row 300's is missing, and a cell for a rowid no row has
  // (301) stands in its place, so that the counts add up.
  {
    std::vector<RowCacheEntry> cells;
    LeafCellVisitor collect = [&](size_t, const LeafRange&, const std::vector<LeafCell>& leaf) {
      for (const LeafCell& c : leaf) {
        if (c.rowid == 300) {
          cells.push_back({301, 0, 12345});
        } else {
          cells.push_back({c.rowid, 0, CellDigest(*key_, c)});
        }
      }
    };
    std::vector<LeafRange> leaves;
    Map(collect, 1, &leaves, &before);
    ASSERT_FALSE(HasFatalFailure());
    auto writer = RowCacheWriter::Start(dir_.string(), full_, key_, false);
    ASSERT_THAT(writer.status(), IsOk());
    auto cell_entries = (*writer)->NewRows("d", "t", CacheList::kCells);
    for (const auto& c : cells) cell_entries->AddEntry(c);
    ASSERT_TRUE(cell_entries->Finish());
    Commit(**writer, 0, leaves, before);
  }
  {
    auto db = SqliteDb::Open(info_.path, false);
    ASSERT_TRUE(db.ok());
    ASSERT_THAT(db->Exec("DELETE FROM t WHERE id = 300"), IsOk());
  }
  std::unique_ptr<RowCache> cache = Open(0, before);
  ASSERT_NE(cache, nullptr);
  const RowCache::Table* cached = cache->Find("d", "t");
  ASSERT_NE(cached, nullptr);
  ASSERT_GT(cached->index.cell_segments_size(), 0);
  auto then = cache->Leaves(*cached);
  ASSERT_THAT(then.status(), IsOk());
  std::atomic<int64_t> budget{1 << 20};
  WriteLayer(
      1,
      [&](RowCacheWriter* w) {
        return CellCollector::Compare(key_, *cache, *cached, *then, w, "d", "t", &budget);
      },
      &now, &differ, &seen, &finished);
  ASSERT_TRUE(finished);
  // The comparison cannot see that row 300 went (the cache never had its cell)...
  EXPECT_FALSE(std::binary_search(differ.begin(), differ.end(), int64_t{300}));
  // ...but the leaves hold one row fewer than the layer would count without it: what the
  // incremental checks before it writes its manifest.
  EXPECT_EQ(seen, before.size() - 1);
  EXPECT_EQ(seen, now.size());
}

}  // namespace
}  // namespace cofre
