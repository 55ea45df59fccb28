// PageReader: the pages a snapshot sees, read in runs through the reader's own file object, are
// byte for byte what PageView::Read returns: WAL frames override the file's pages (also for pages
// past the file's end, and pages a run or a prefetched batch of the file holds), pages asked for
// in file order take a read per run, a batch a read per group of nearby pages, and a page the file
// does not hold (past its end, a truncated file) is an error, as is mapping the leaves of a
// truncated table, never a crash or made-up bytes.
#include "engine/page_view.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine/leaf_map.h"
#include "engine/snapshot.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

class PageReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cofre-pagereader-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    info_ = DatabaseInfo{"app", (dir_ / "app.db").string(), true};
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A table of 3000 rows (some with overflow chains) in a file in `mode`.
  SqliteDb MakeDb(const std::string& mode) {
    auto db = SqliteDb::Open(info_.path, true);
    EXPECT_THAT(db.status(), IsOk());
    EXPECT_THAT(db->QueryText("PRAGMA journal_mode=" + mode).status(), IsOk());
    EXPECT_THAT(db->Exec("PRAGMA wal_autocheckpoint = 0;"
                         "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB);"
                         "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s "
                         "WHERE x < 3000) INSERT INTO t SELECT x, randomblob("
                         "CASE WHEN x % 50 = 0 THEN 9000 ELSE 100 END) FROM s"),
                IsOk());
    return std::move(*db);
  }

  // Changes some pages and adds pages past the file's end, in WAL frames only (after a
  // checkpoint that emptied the WAL).
  static Status ChangeInWal(const SqliteDb& db) {
    return db.Exec(
        "UPDATE t SET b = randomblob(100) WHERE id % 300 = 1;"
        "WITH RECURSIVE s(x) AS (SELECT 3001 UNION ALL SELECT x + 1 FROM s "
        "WHERE x < 4000) INSERT INTO t SELECT x, randomblob(100) FROM s");
  }

  uint32_t Root(const SqliteDb& db) {
    auto root = db.QueryInt("SELECT rootpage FROM sqlite_schema WHERE name = 't'");
    EXPECT_TRUE(root.ok() && *root);
    return static_cast<uint32_t>(**root);
  }

  fs::path dir_;
  DatabaseInfo info_;
};

TEST_F(PageReaderTest, WalFramesOverrideTheFile) {
  SqliteDb db = MakeDb("wal");
  ASSERT_THAT(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"), IsOk());
  ASSERT_OK_AND_ASSIGN(auto raw, VfsFile::Open(info_.path, SQLITE_OPEN_MAIN_DB));
  ASSERT_OK_AND_ASSIGN(uint64_t file_bytes, raw->Size());
  ASSERT_THAT(ChangeInWal(db), IsOk());
  ASSERT_OK_AND_ASSIGN(auto snap, Snapshot::Take({info_}, SnapshotOptions{1}));
  ASSERT_OK_AND_ASSIGN(auto view, snap->OpenPageView("app"));
  const uint32_t size = view->page_size();
  ASSERT_GT(uint64_t{view->page_count()} * size, file_bytes) << "no page past the file's end";
  PageReader reader(*view);
  std::string expected, in_file(size, '\0');
  uint32_t from_wal = 0;
  for (uint32_t pgno = 1; pgno <= view->page_count(); ++pgno) {
    ASSERT_THAT(view->Read(pgno, &expected), IsOk());
    ASSERT_OK_AND_ASSIGN(std::string_view page, reader.Read(pgno, 0));
    ASSERT_EQ(page, expected) << "page " << pgno;
    const uint64_t offset = uint64_t{pgno - 1} * size;
    if (offset + size > file_bytes) {
      ++from_wal;
      continue;
    }
    ASSERT_THAT(raw->Read(offset, in_file.data(), size), IsOk());
    from_wal += in_file != expected;
  }
  EXPECT_THAT(view->Verify(), IsOk());
  // A read per WAL frame; the file's pages in runs, though WAL frames break them up.
  EXPECT_GT(from_wal, 10u);
  EXPECT_LT(reader.reads(), from_wal + (view->page_count() - from_wal) / 2);
  // A page of the other slot stays valid while a slot is read again.
  ASSERT_OK_AND_ASSIGN(std::string_view first, reader.Read(1, 0));
  const std::string copy(first);
  ASSERT_THAT(reader.Read(2, 1).status(), IsOk());
  ASSERT_THAT(reader.Read(3, 1).status(), IsOk());
  EXPECT_EQ(first, copy);
  // The leaves are the same whichever thread count maps them.
  ASSERT_OK_AND_ASSIGN(auto one, MapTableLeaves(*view, Root(db), 1));
  ASSERT_OK_AND_ASSIGN(auto two, MapTableLeaves(*view, Root(db), 2));
  EXPECT_EQ(one, two);
}

TEST_F(PageReaderTest, PrefetchedPagesAreTheSnapshotsAndAWindowTakesAReadPerGroup) {
  SqliteDb db = MakeDb("wal");
  ASSERT_THAT(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"), IsOk());
  ASSERT_THAT(ChangeInWal(db), IsOk());
  ASSERT_OK_AND_ASSIGN(auto snap, Snapshot::Take({info_}, SnapshotOptions{1}));
  ASSERT_OK_AND_ASSIGN(auto view, snap->OpenPageView("app"));
  PageReader reader(*view);
  const uint32_t window = reader.batch_pages();
  ASSERT_GT(view->page_count(), window);
  // Every page, a window of consecutive pages at a time given in a scrambled order, with the
  // WAL's frames among them (which the batch must not answer from the database file).
  std::string expected;
  uint64_t windows = 0;
  for (uint32_t first = 1; first <= view->page_count(); first += window) {
    std::vector<uint32_t> pages;
    for (uint32_t p = first; p < first + window && p <= view->page_count(); ++p) {
      pages.push_back(p);
    }
    std::reverse(pages.begin(), pages.end());
    std::rotate(pages.begin(), pages.begin() + pages.size() / 3, pages.end());
    const uint64_t before = reader.reads();
    reader.Prefetch(pages);
    EXPECT_LE(reader.reads() - before, 1u) << "window at page " << first;
    ++windows;
    for (uint32_t pgno : pages) {
      ASSERT_THAT(view->Read(pgno, &expected), IsOk());
      ASSERT_OK_AND_ASSIGN(std::string_view page, reader.Read(pgno, 0));
      ASSERT_EQ(page, expected) << "page " << pgno;
    }
  }
  EXPECT_THAT(view->Verify(), IsOk());
  // Pages past the snapshot are left to Read, which fails.
  reader.Prefetch({view->page_count() + 1});
  EXPECT_THAT(reader.Read(view->page_count() + 1, 0).status(), StatusIs(StatusCode::kDataLoss));
}

TEST_F(PageReaderTest, AFrozenFileIsReadInRunsInAnyOrder) {
  SqliteDb db = MakeDb("delete");
  ASSERT_OK_AND_ASSIGN(auto snap, Snapshot::Take({info_}, SnapshotOptions{1}));
  ASSERT_OK_AND_ASSIGN(auto view, snap->OpenPageView("app"));
  PageReader reader(*view);
  std::string expected;
  for (uint32_t pgno = 1; pgno <= view->page_count(); ++pgno) {
    ASSERT_THAT(view->Read(pgno, &expected), IsOk());
    ASSERT_OK_AND_ASSIGN(std::string_view page, reader.Read(pgno, 0));
    ASSERT_EQ(page, expected) << "page " << pgno;
  }
  EXPECT_LT(reader.reads(), view->page_count() / 8);
  // Backwards, and jumping about: every page alone, the same bytes.
  const uint64_t before = reader.reads();
  for (uint32_t pgno = view->page_count(); pgno >= 1; --pgno) {
    ASSERT_THAT(view->Read(pgno, &expected), IsOk());
    ASSERT_OK_AND_ASSIGN(std::string_view page, reader.Read(pgno, 1));
    ASSERT_EQ(page, expected) << "page " << pgno;
  }
  EXPECT_EQ(reader.reads() - before, view->page_count());
  for (uint32_t i = 0; i < 200; ++i) {
    const uint32_t pgno = 1 + (i * 7919) % view->page_count();
    ASSERT_THAT(view->Read(pgno, &expected), IsOk());
    ASSERT_OK_AND_ASSIGN(std::string_view page, reader.Read(pgno, i % 2));
    ASSERT_EQ(page, expected) << "page " << pgno;
  }
  EXPECT_THAT(reader.Read(0, 0).status(), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(reader.Read(view->page_count() + 1, 0).status(), StatusIs(StatusCode::kDataLoss));
  // Pages far apart take a read each; a page the last batch does not hold is read as asked.
  const uint64_t before_batch = reader.reads();
  reader.Prefetch({2, 2 + 2 * PageReader::kBatchGap, 3 + 2 * PageReader::kBatchGap});
  EXPECT_EQ(reader.reads() - before_batch, 2u);
  for (uint32_t pgno : {2u, 5u, 2 + 2 * PageReader::kBatchGap}) {
    ASSERT_THAT(view->Read(pgno, &expected), IsOk());
    ASSERT_OK_AND_ASSIGN(std::string_view page, reader.Read(pgno, 1));
    ASSERT_EQ(page, expected) << "page " << pgno;
  }
}

// The process's file-backed resident memory (RssFile), in bytes.
uint64_t RssFileBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssFile:", 0) == 0) return std::stoull(line.substr(8)) * 1024;
  }
  return 0;
}

TEST_F(PageReaderTest, ReadingEveryPageOfALargeFileTakesARunPerReadAndMapsNothing) {
  {
    SqliteDb db = MakeDb("delete");
    // About 48 MiB of pages.
    ASSERT_THAT(db.Exec("WITH RECURSIVE s(x) AS (SELECT 3001 UNION ALL SELECT x + 1 FROM s "
                        "WHERE x < 15000) INSERT INTO t SELECT x, randomblob(3000) FROM s"),
                IsOk());
  }
  ASSERT_OK_AND_ASSIGN(auto snap, Snapshot::Take({info_}, SnapshotOptions{1}));
  ASSERT_OK_AND_ASSIGN(auto view, snap->OpenPageView("app"));
  ASSERT_GT(uint64_t{view->page_count()} * view->page_size(), uint64_t{40} << 20);
  const uint64_t before = RssFileBytes();
  uint64_t peak = before;
  PageReader reader(*view);
  uint64_t sum = 0;
  for (uint32_t pgno = 1; pgno <= view->page_count(); ++pgno) {
    ASSERT_OK_AND_ASSIGN(std::string_view page, reader.Read(pgno, 0));
    for (size_t i = 0; i < page.size(); i += 512) sum += static_cast<uint8_t>(page[i]);
    if (pgno % 256 == 0) peak = std::max(peak, RssFileBytes());
  }
  EXPECT_GT(sum, 0u);
  // Runs of kRunBytes, after the first few that grow to it.
  const uint64_t run_pages = PageReader::kRunBytes / view->page_size();
  EXPECT_LT(reader.reads(), view->page_count() / run_pages + 16);
  // No page of the file is mapped: what the reader keeps is its buffers.
  EXPECT_LT(peak - before, uint64_t{1} << 20);
}

// A snapshot that says the file has pages it does not hold (and no WAL frame for them).
TEST_F(PageReaderTest, APagePastTheFileEndIsAnError) {
  SqliteDb db = MakeDb("wal");
  ASSERT_THAT(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"), IsOk());
  ASSERT_OK_AND_ASSIGN(auto snap, Snapshot::Take({info_}, SnapshotOptions{1}));
  ASSERT_OK_AND_ASSIGN(auto actual, snap->OpenPageView("app"));
  WalSnapshotHeader header;
  header.page_size = actual->page_size();
  header.page_count = actual->page_count() + 5;
  ASSERT_OK_AND_ASSIGN(auto view, PageView::OpenWal(info_.path, header));
  PageReader reader(*view);
  ASSERT_THAT(reader.Read(actual->page_count(), 0).status(), IsOk());
  EXPECT_THAT(reader.Read(actual->page_count() + 1, 0).status(), StatusIs(StatusCode::kDataLoss));
  std::string page;
  EXPECT_THAT(view->Read(actual->page_count() + 1, &page), StatusIs(StatusCode::kDataLoss));
}

// A file cut short under a view: the pages it lost are errors, so is mapping the table, and the
// table then has no map (its rows are diffed instead).
TEST_F(PageReaderTest, ATruncatedFileIsAnError) {
  uint32_t root = 0;
  {
    SqliteDb db = MakeDb("delete");
    root = Root(db);
  }
  ASSERT_OK_AND_ASSIGN(auto view, PageView::OpenFrozen(info_.path));
  ASSERT_OK_AND_ASSIGN(auto whole, MapTableLeaves(*view, root, 2));
  ASSERT_GT(whole.size(), 10u);
  const uint32_t keep = view->page_count() / 2;
  fs::resize_file(info_.path, uint64_t{keep} * view->page_size());  // truncate(2): no descriptor
  PageReader reader(*view);
  EXPECT_THAT(reader.Read(keep, 0).status(), IsOk());
  EXPECT_THAT(reader.Read(keep + 1, 0).status(), StatusIs(StatusCode::kDataLoss));
  for (int threads : {1, 2}) {
    EXPECT_THAT(MapTableLeaves(*view, root, threads).status(), StatusIs(StatusCode::kDataLoss))
        << threads << " threads";
  }
}

}  // namespace
}  // namespace cofre
