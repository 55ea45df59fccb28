// LeafMap and PageView against brute force: random workloads (inserts, in-place and growing
// updates, deletes, key ranges deleted and filled again so that pages are reused, rows with
// overflow chains, VACUUM, checkpoints) on WAL and rollback-journal files, with another writer
// committing to the same file while the snapshots are taken. Whenever the detector says a rowid
// range is unchanged between two snapshots, the rows SQLite returns for that range must be equal;
// and it must say so often enough to be useful.
#include "engine/leaf_map.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "engine/snapshot.h"
#include "engine/sqlite_record.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;
using RowMap = std::map<int64_t, std::string>;

// A WITH clause naming s(value): the integers from..to.
std::string Series(int from, int to) {
  return "WITH RECURSIVE s(value) AS (SELECT " + std::to_string(from) +
         " UNION ALL SELECT value + 1 FROM s WHERE value < " + std::to_string(to) + ") ";
}

class LeafMapTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cofre-leafmap-" + std::to_string(::getpid()) + "-" + GetParam());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    info_ = DatabaseInfo{"app", (dir_ / "app.db").string(), true};
    auto db = SqliteDb::Open(info_.path, true);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->QueryText("PRAGMA journal_mode=" + GetParam()).ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE noise (x); "
                         "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b BLOB)")
                    .ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The rows of t and its leaf map, both as one snapshot sees them.
  void Capture(RowMap* rows, std::optional<std::vector<LeafRange>>* map) {
    auto snap = Snapshot::Take({info_}, SnapshotOptions{1, std::chrono::milliseconds(20000)});
    ASSERT_TRUE(snap.ok()) << snap.status().message();
    const SqliteDb& r = (*snap)->reader("app");
    auto stmt = r.Prepare("SELECT id, quote(a) || quote(b) FROM t ORDER BY id");
    ASSERT_TRUE(stmt.ok());
    rows->clear();
    while (*stmt->Step()) (*rows)[stmt->ColumnInt(0)] = stmt->ColumnText(1);
    auto root = r.QueryInt("SELECT rootpage FROM sqlite_schema WHERE name = 't'");
    ASSERT_TRUE(root.ok() && *root);
    map->reset();
    auto view = (*snap)->OpenPageView("app");
    if (!view.ok()) return;  // allowed: the detector is then not used
    auto leaves = MapTableLeaves(**view, static_cast<uint32_t>(**root));
    ASSERT_TRUE(leaves.ok()) << leaves.status().message();
    // The same map when subtrees are mapped on several threads.
    for (int threads : {2, 3}) {
      auto parallel = MapTableLeaves(**view, static_cast<uint32_t>(**root), threads);
      ASSERT_TRUE(parallel.ok()) << parallel.status().message();
      ASSERT_TRUE(*parallel == *leaves) << threads << " threads";
    }
    // The cells shown with the leaves are the rows: every rowid once, in order (parts in order),
    // and each record held whole on its leaf is the row's (overflowing ones are flagged, and their
    // bytes not compared). Checked at every fourth snapshot, on one thread and on three.
    if (captures_++ % 4 != 0) {
      *map = std::move(*leaves);
      return;
    }
    auto by_id_or = r.Prepare("SELECT a, typeof(b), hex(b) FROM t WHERE id = ?1");
    ASSERT_TRUE(by_id_or.ok());
    SqliteStmt& by_id = *by_id_or;
    for (int threads : {1, 3}) {
      std::map<size_t, std::vector<std::pair<int64_t, std::string>>> parts;
      std::mutex mu;
      size_t overflowing = 0;
      LeafCellVisitor visit = [&](size_t part, const LeafRange& leaf,
                                  const std::vector<LeafCell>& cells) {
        std::lock_guard<std::mutex> lock(mu);
        ASSERT_FALSE(cells.empty());
        EXPECT_EQ(cells.front().rowid, leaf.first);
        EXPECT_EQ(cells.back().rowid, leaf.last);
        for (const LeafCell& c : cells) {
          if (c.overflow) ++overflowing;
          parts[part].emplace_back(c.rowid, c.overflow ? std::string() : std::string(c.local));
        }
      };
      auto again = MapTableLeaves(**view, static_cast<uint32_t>(**root), threads, {}, visit);
      ASSERT_TRUE(again.ok()) << again.status().message();
      std::vector<std::pair<int64_t, std::string>> cells;
      for (auto& [part, list] : parts) cells.insert(cells.end(), list.begin(), list.end());
      ASSERT_EQ(cells.size(), rows->size()) << threads << " threads";
      size_t i = 0;
      for (const auto& entry : *rows) {
        const int64_t id = entry.first;
        const auto& [rowid, record] = cells[i++];
        ASSERT_EQ(rowid, id);
        if (record.empty()) continue;  // overflowing: compared through the leaf digests only
        std::vector<sqlite_record::Value> values;
        ASSERT_TRUE(sqlite_record::Parse(record, &values).ok()) << "row " << id;
        ASSERT_EQ(values.size(), 3u);
        EXPECT_EQ(values[0].type, sqlite_record::Type::kNull);  // the rowid's alias
        // The row as SQLite reads it: a, the type of b, and b's bytes in hex.
        std::string hex;
        for (unsigned char ch : values[2].bytes) {
          hex += "0123456789ABCDEF"[ch >> 4];
          hex += "0123456789ABCDEF"[ch & 15];
        }
        const char* type = values[2].type == sqlite_record::Type::kBlob   ? "blob"
                           : values[2].type == sqlite_record::Type::kText ? "text"
                                                                          : "other";
        ASSERT_TRUE(by_id.Reset().ok());
        by_id.Bind(1, id);
        ASSERT_TRUE(*by_id.Step());
        EXPECT_TRUE(by_id.ColumnInt(0) == values[1].i && by_id.ColumnText(1) == type &&
                    by_id.ColumnText(2) == hex)
            << "row " << id;
      }
      overflow_cells_ += overflowing;
    }
    *map = std::move(*leaves);
    // Every row lies in a leaf whose range holds its rowid.
    for (const auto& entry : *rows) {
      const auto id = entry.first;  // clang 14 cannot capture a structured binding
      auto it = std::partition_point((*map)->begin(), (*map)->end(),
                                     [&](const LeafRange& l) { return l.last < id; });
      ASSERT_TRUE(it != (*map)->end() && it->first <= id) << "row " << id << " in no leaf";
    }
  }

  void Mutate(SqliteDb& db, std::mt19937_64& rng, int round) {
    auto blob = [&](int n) { return "randomblob(" + std::to_string(n) + ")"; };
    std::uniform_int_distribution<int> key(1, 3000);
    std::string sql = "BEGIN;";
    const int kind = round % 7;
    const int ops = 1 + static_cast<int>(rng() % (kind == 0 ? 2 : 40));
    for (int i = 0; i < ops; ++i) {
      const int k = key(rng);
      switch (rng() % 6) {
        case 0:  // insert or replace, sometimes with an overflow chain
          sql += "INSERT OR REPLACE INTO t VALUES (" + std::to_string(k) + ", " +
                 std::to_string(rng() % 100) + ", " +
                 blob(rng() % 5 == 0 ? 5000 + static_cast<int>(rng() % 20000)
                                     : static_cast<int>(rng() % 300)) +
                 ");";
          break;
        case 1:  // in place: same size, new bytes
          sql += "UPDATE t SET a = a + 1 WHERE id = " + std::to_string(k) + ";";
          break;
        case 2:  // only the overflow chain's content changes, same length
          sql += "UPDATE t SET b = substr(b, 1, length(b) - 1) || " + blob(1) +
                 " WHERE id = (SELECT id FROM t WHERE length(b) > 4000 AND id >= " +
                 std::to_string(k) + " LIMIT 1);";
          break;
        case 3:
          sql += "DELETE FROM t WHERE id = " + std::to_string(k) + ";";
          break;
        case 4:  // a range emptied and filled again: pages freed and reused
          sql += "DELETE FROM t WHERE id BETWEEN " + std::to_string(k) + " AND " +
                 std::to_string(k + 40) + "; " + Series(k, k + 40) +
                 "INSERT INTO t SELECT value, 1, " + blob(200) + " FROM s;";
          break;
        default:
          sql += "UPDATE t SET b = " + blob(static_cast<int>(rng() % 8000)) +
                 " WHERE id = " + std::to_string(k) + ";";
      }
    }
    sql += "COMMIT;";
    ASSERT_TRUE(db.Exec(sql).ok()) << sql;
    if (round % 11 == 5) {
      ASSERT_TRUE(db.Exec("VACUUM").ok());
    }
    if (round % 13 == 7 && GetParam() == "wal") {
      ASSERT_TRUE(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    }
  }

  fs::path dir_;
  DatabaseInfo info_;
  size_t overflow_cells_ = 0;  // seen by Capture's cell checks
  int captures_ = 0;
};

TEST_P(LeafMapTest, UnchangedMeansUnchangedAgainstBruteForce) {
  auto db = SqliteDb::Open(info_.path, false);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec(Series(1, 3000) +
                       "INSERT INTO t SELECT value, value % 7, randomblob(value % 250) FROM s")
                  .ok());
  std::atomic<bool> stop{false};
  std::thread noise([&] {
    auto w = SqliteDb::Open(info_.path, false);
    while (!stop) {
      w->Exec("INSERT INTO noise VALUES (randomblob(100))").IgnoreError();
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  });
  std::mt19937_64 rng(GetParam() == "wal" ? 1 : 2);
  RowMap before, now;
  std::optional<std::vector<LeafRange>> map_before, map_now;
  Capture(&before, &map_before);
  int decisions = 0, same = 0, mapped = 0;
  for (int round = 0; round < 60 && !HasFatalFailure(); ++round) {
    Mutate(*db, rng, round);
    Capture(&now, &map_now);
    if (map_now) ++mapped;
    if (map_before && map_now) {
      for (int i = 0; i < 40; ++i) {
        std::optional<int64_t> lo, hi;
        if (rng() % 8) lo = static_cast<int64_t>(rng() % 3100);
        if (rng() % 8) hi = (lo ? *lo : 0) + static_cast<int64_t>(rng() % 400);
        ++decisions;
        // Half of the decisions on grouped maps (as stored beside backups).
        const bool grouped = i % 2 == 1;
        if (grouped
                ? !SameLeavesInRange(GroupLeaves(*map_before, 4), GroupLeaves(*map_now, 4), lo, hi)
                : !SameLeavesInRange(*map_before, *map_now, lo, hi)) {
          continue;
        }
        ++same;
        auto first = [&](const RowMap& r) { return lo ? r.lower_bound(*lo) : r.begin(); };
        auto last = [&](const RowMap& r) { return hi ? r.lower_bound(*hi) : r.end(); };
        ASSERT_TRUE(std::equal(first(before), last(before), first(now), last(now)))
            << "round " << round << ": [" << lo.value_or(-1) << ", " << hi.value_or(-1)
            << ") said unchanged but differs";
      }
    }
    before = std::move(now);
    map_before = std::move(map_now);
  }
  stop = true;
  noise.join();
  EXPECT_GE(mapped, 50) << "the page view was unavailable too often";
  EXPECT_GT(overflow_cells_, 0u) << "no overflowing cell was ever seen";
  EXPECT_GT(same, decisions / 5) << "the detector almost never finds an unchanged range";
  EXPECT_LT(same, decisions) << "every range unchanged: the workload changed nothing";
}

INSTANTIATE_TEST_SUITE_P(JournalModes, LeafMapTest, ::testing::Values("wal", "delete"));

}  // namespace
}  // namespace cofre

namespace cofre {
namespace {

// A table of 30,000 small rows in 512-byte pages (a tree three levels deep) in a directory of
// its own, mapped from a fresh snapshot each time, and its pages edited in place.
class DeepTable {
 public:
  explicit DeepTable(const std::string& name)
      : dir_(fs::temp_directory_path() /
             ("cofre-leafmap-" + name + "-" + std::to_string(::getpid()))),
        info_{"app", (dir_ / "app.db").string(), true} {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = SqliteDb::Open(info_.path, true);
    EXPECT_TRUE(db.ok());
    EXPECT_TRUE(db->Exec("PRAGMA page_size = 512; PRAGMA journal_mode = DELETE;"
                         "CREATE TABLE t (id INTEGER PRIMARY KEY, a BLOB);" +
                         Series(1, 30000) + "INSERT INTO t SELECT value, randomblob(20) FROM s")
                    .ok());
    auto r = db->QueryInt("SELECT rootpage FROM sqlite_schema WHERE name = 't'");
    EXPECT_TRUE(r.ok() && *r);
    root_ = r.ok() && *r ? static_cast<uint32_t>(**r) : 0;
  }
  ~DeepTable() { fs::remove_all(dir_); }

  uint32_t root() const { return root_; }
  StatusOr<std::vector<LeafRange>> Map(int threads) const {
    ASSIGN_OR_RETURN(auto snap,
                     Snapshot::Take({info_}, SnapshotOptions{1, std::chrono::milliseconds(20000)}));
    ASSIGN_OR_RETURN(auto view, snap->OpenPageView("app"));
    return MapTableLeaves(*view, root_, threads);
  }
  std::string Page(uint32_t pgno) const {
    std::ifstream f(info_.path, std::ios::binary);
    std::string p(512, '\0');
    f.seekg((pgno - 1) * 512);
    f.read(p.data(), 512);
    return p;
  }
  // Writes 4 bytes at `offset` of page `pgno`.
  void Put(uint32_t pgno, size_t offset, const std::string& bytes) const {
    std::fstream f(info_.path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp((pgno - 1) * 512 + offset);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  static uint32_t U16(const std::string& p, size_t at) {
    return (static_cast<uint8_t>(p[at]) << 8) | static_cast<uint8_t>(p[at + 1]);
  }
  static uint32_t U32(const std::string& p, size_t at) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[at + i]);
    return v;
  }
  // Where an interior page's first cell (its first child pointer) is.
  static size_t FirstCell(const std::string& p) { return U16(p, 12); }

 private:
  fs::path dir_;
  DatabaseInfo info_;
  uint32_t root_ = 0;
};

// A deep tree maps the same on one thread or several; a page reached from two subtrees (a
// damaged file) is an error either way, even when two threads each read it once.
TEST(MapTableLeavesTest, SubtreesOnThreadsAndAPageReachedTwice) {
  DeepTable t("deep");
  auto one = t.Map(1);
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_GT(one->size(), 1000u);
  for (int threads : {2, 4}) {
    auto several = t.Map(threads);
    ASSERT_TRUE(several.ok()) << several.status().message();
    EXPECT_TRUE(*several == *one) << threads << " threads";
  }
  // Point the first child of the root's first child at the first child of its second child.
  const std::string r = t.Page(t.root());
  ASSERT_EQ(r[0], 0x05);
  const uint32_t a = DeepTable::U32(r, DeepTable::FirstCell(r));
  const uint32_t b = DeepTable::U32(r, DeepTable::U16(r, 14));
  const std::string pa = t.Page(a), pb = t.Page(b);
  ASSERT_EQ(pa[0], 0x05);
  ASSERT_EQ(pb[0], 0x05);
  t.Put(a, DeepTable::FirstCell(pa), pb.substr(DeepTable::FirstCell(pb), 4));
  for (int threads : {1, 2, 4}) {
    EXPECT_FALSE(t.Map(threads).ok()) << threads << " threads";
  }
}

// Siblings of mixed kinds (a damaged file: a leaf beside interior pages) are read ahead and
// mapped the same on any number of threads: a sibling's own batch replaces the one it sits in.
TEST(MapTableLeavesTest, ALeafBesideInteriorSiblingsMapsTheSameOnAnyThreads) {
  DeepTable t("mixed");
  // The root's first child becomes the first leaf below it (the subtree's other pages are then
  // reached by nothing).
  const std::string r = t.Page(t.root());
  ASSERT_EQ(r[0], 0x05);
  uint32_t leaf = DeepTable::U32(r, DeepTable::FirstCell(r));
  for (std::string below = t.Page(leaf); below[0] == 0x05; below = t.Page(leaf)) {
    leaf = DeepTable::U32(below, DeepTable::FirstCell(below));
  }
  ASSERT_EQ(t.Page(leaf)[0], 0x0D);
  std::string pointer(4, '\0');
  for (int i = 0; i < 4; ++i) pointer[i] = static_cast<char>(leaf >> (24 - 8 * i));
  t.Put(t.root(), DeepTable::FirstCell(r), pointer);
  auto one = t.Map(1);
  ASSERT_TRUE(one.ok()) << one.status().message();
  ASSERT_GT(one->size(), 100u);
  EXPECT_EQ(one->front().first, 1);  // the leaf the root now points at
  EXPECT_GT((*one)[1].first, (*one)[0].last + 1) << "the rest of its old subtree is gone";
  for (int threads : {2, 4}) {
    auto several = t.Map(threads);
    ASSERT_TRUE(several.ok()) << several.status().message();
    EXPECT_TRUE(*several == *one) << threads << " threads";
  }
}

// A changed leaf changes the group around it and no other.
TEST(GroupLeavesTest, ChangesStayLocal) {
  std::mt19937_64 rng(3);
  std::vector<LeafRange> leaves;
  for (int i = 0; i < 2000; ++i) {
    std::string digest(16, '\0');
    for (char& c : digest) c = static_cast<char>(rng());
    leaves.push_back({i * 10, i * 10 + 9, digest});
  }
  auto before = GroupLeaves(leaves, 16);
  EXPECT_GT(before.size(), 2000u / 32);
  EXPECT_LT(before.size(), 2000u / 8);
  EXPECT_EQ(before.front().first, 0);
  EXPECT_EQ(before.back().last, 19999);
  leaves[1000].digest[5] ^= 1;
  auto after = GroupLeaves(leaves, 16);
  int differ = 0;
  for (const auto& g : after) {
    if (std::find(before.begin(), before.end(), g) == before.end()) ++differ;
  }
  EXPECT_GE(differ, 1);
  EXPECT_LE(differ, 2);
  EXPECT_TRUE(SameLeavesInRange(before, after, 0, 5000));
  EXPECT_FALSE(SameLeavesInRange(before, after, 9990, 10020));
}

}  // namespace
}  // namespace cofre
