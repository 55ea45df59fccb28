// ReadAheadVfs (engine/readahead_vfs.h): a scan through it reads the same rows as through SQLite's
// default VFS in far fewer reads of the file, in both journal modes; a WAL reader stays exactly
// on its snapshot while a writer commits and a checkpoint copies frames into the database file
// under its buffer; the next transaction sees the new state.
#include "engine/readahead_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/sqlite.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

constexpr int kRows = 30000;

class ReadAheadVfsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_THAT(ReadAheadVfs::Register(), IsOk());
    dir_ = fs::temp_directory_path() / ("cofre-readahead-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(dir_);
    path_ = (dir_ / "app.db").string();
    auto db = SqliteDb::Open(path_, true);
    ASSERT_THAT(db.status(), IsOk());
    ASSERT_TRUE(db->QueryText("PRAGMA journal_mode=" + GetParam()).ok());
    ASSERT_THAT(db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
                         "WHERE x < 30000) INSERT INTO t SELECT x, printf('%0200d', x) FROM c"),
                IsOk());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A digest of every row in rowid order; `midway` runs once, before row `midway_at` is read.
  static StatusOr<uint64_t> Digest(const SqliteDb& db, int midway_at = -1,
                                   const std::function<void()>& midway = nullptr) {
    ASSIGN_OR_RETURN(SqliteStmt stmt, db.Prepare("SELECT id, v FROM t ORDER BY id"));
    uint64_t h = 1469598103934665603ull;
    int n = 0;
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      if (n++ == midway_at && midway) midway();
      for (char c : std::to_string(stmt.ColumnInt(0)) + "=" + stmt.ColumnText(1) + ";") {
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
      }
    }
    if (n != kRows) return InternalError("rows: " + std::to_string(n));
    return h;
  }

  fs::path dir_;
  std::string path_;
};

TEST_P(ReadAheadVfsTest, ScanReadsTheSameRowsInFewerReads) {
  auto plain = SqliteDb::Open(path_, false);
  ASSERT_THAT(plain.status(), IsOk());
  StatusOr<uint64_t> want = Digest(*plain);
  ASSERT_THAT(want.status(), IsOk());

  auto reader = SqliteDb::Open(path_, false, false, ReadAheadVfs::kName);
  ASSERT_THAT(reader.status(), IsOk());
  const ReadAheadVfsStats before = ReadAheadVfs::Stats();
  ASSERT_THAT(reader->Exec("BEGIN"), IsOk());
  StatusOr<uint64_t> got = Digest(*reader);
  ASSERT_THAT(reader->Exec("COMMIT"), IsOk());
  const ReadAheadVfsStats after = ReadAheadVfs::Stats();
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(*got, *want);
  // About 1,700 pages of 4 KiB, read in runs growing to 256 KiB.
  const auto pages = reader->QueryInt("PRAGMA page_count");
  ASSERT_TRUE(pages.ok() && pages->has_value());
  EXPECT_GT(after.served_reads - before.served_reads, static_cast<uint64_t>(**pages) / 2);
  EXPECT_LT(after.file_reads - before.file_reads, static_cast<uint64_t>(**pages) / 8);
}

INSTANTIATE_TEST_SUITE_P(JournalModes, ReadAheadVfsTest, ::testing::Values("wal", "delete"));

using ReadAheadVfsWalTest = ReadAheadVfsTest;

// The reader's snapshot holds a first update's frames in the WAL; midway through its scan a
// writer commits a second update and a checkpoint copies the first update's frames into the
// database file, over pages the reader may hold in its buffer. The reader must still see exactly
// the state after the first update, and its next transaction the state after the second.
TEST_P(ReadAheadVfsWalTest, SnapshotStaysExactWhileACheckpointWritesTheFile) {
  auto writer = SqliteDb::Open(path_, false);
  ASSERT_THAT(writer.status(), IsOk());
  ASSERT_THAT(writer->Exec("PRAGMA wal_autocheckpoint=0;"
                           "UPDATE t SET v = 'a' || v WHERE id % 3 = 0"),
              IsOk());
  StatusOr<uint64_t> first = Digest(*writer);
  ASSERT_THAT(first.status(), IsOk());

  auto reader = SqliteDb::Open(path_, false, false, ReadAheadVfs::kName);
  ASSERT_THAT(reader.status(), IsOk());
  ASSERT_THAT(reader->Exec("BEGIN"), IsOk());
  bool checkpointed = false;
  StatusOr<uint64_t> got = Digest(*reader, kRows / 2, [&] {
    ASSERT_THAT(writer->Exec("UPDATE t SET v = 'b' || v WHERE id % 2 = 0"), IsOk());
    auto stmt = writer->Prepare("PRAGMA wal_checkpoint(PASSIVE)");  // busy, log, checkpointed
    ASSERT_THAT(stmt.status(), IsOk());
    auto row = stmt->Step();
    ASSERT_TRUE(row.ok() && *row);
    checkpointed = stmt->ColumnInt(2) > 0;
  });
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_TRUE(checkpointed) << "the checkpoint copied no frame: the test proves nothing";
  EXPECT_EQ(*got, *first);
  ASSERT_THAT(reader->Exec("COMMIT"), IsOk());

  StatusOr<uint64_t> second = Digest(*writer);
  ASSERT_THAT(second.status(), IsOk());
  ASSERT_NE(*second, *first);
  ASSERT_THAT(reader->Exec("BEGIN"), IsOk());
  got = Digest(*reader);
  ASSERT_THAT(reader->Exec("COMMIT"), IsOk());
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(*got, *second);
}

INSTANTIATE_TEST_SUITE_P(Wal, ReadAheadVfsWalTest, ::testing::Values("wal"));

// The file object itself: a buffered run is served until the connection locks, unlocks or passes
// a file control, and never after, even when the file's bytes changed underneath.
class ReadAheadFileTest : public ::testing::Test {
 protected:
  static constexpr int kPage = 4096;

  void SetUp() override {
    ASSERT_THAT(ReadAheadVfs::Register(), IsOk());
    path_ = (fs::temp_directory_path() / ("cofre-readahead-file-" + std::to_string(::getpid())))
                .string();
    Fill(0, 16 * kPage, 'a');
    vfs_ = sqlite3_vfs_find(ReadAheadVfs::kName);
    ASSERT_NE(vfs_, nullptr);
    storage_.assign(static_cast<size_t>(vfs_->szOsFile), '\0');
    int out = 0;
    ASSERT_EQ(
        vfs_->xOpen(vfs_, path_.c_str(), file(), SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_READWRITE, &out),
        SQLITE_OK);
  }
  void TearDown() override {
    if (file()->pMethods) file()->pMethods->xClose(file());
    fs::remove(path_);
  }

  sqlite3_file* file() { return reinterpret_cast<sqlite3_file*>(storage_.data()); }
  void Fill(int64_t offset, int64_t n, char c) {
    FILE* f = std::fopen(path_.c_str(), fs::exists(path_) ? "r+b" : "wb");
    ASSERT_NE(f, nullptr);
    std::fseek(f, static_cast<long>(offset), SEEK_SET);
    std::string bytes(static_cast<size_t>(n), c);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  // The first byte of the page at `pgno` (0-based), as the file object reads it.
  char ReadPage(int pgno, int* rc = nullptr) {
    std::string page(kPage, '?');
    int r = file()->pMethods->xRead(file(), page.data(), kPage, int64_t{pgno} * kPage);
    if (rc) *rc = r;
    return page[0];
  }
  // Reads pages 0..3 in order, so that a run holding pages 2-3 (at least) is buffered.
  void ReadRun() {
    for (int p = 0; p < 4; ++p) ReadPage(p);
  }

  std::string path_;
  sqlite3_vfs* vfs_ = nullptr;
  std::string storage_;
};

TEST_F(ReadAheadFileTest, BufferServesRunsUntilTheConnectionLocksOrUnlocks) {
  const ReadAheadVfsStats before = ReadAheadVfs::Stats();
  ReadRun();
  const ReadAheadVfsStats after = ReadAheadVfs::Stats();
  EXPECT_GT(after.served_reads, before.served_reads);  // page 2 or 3 came from a run
  Fill(0, 16 * kPage, 'b');
  // Inside a transaction the file's bytes of these pages cannot change (readahead_vfs.h); here
  // they did, so the stale page proves the buffer answered.
  EXPECT_EQ(ReadPage(3), 'a');
  const std::vector<std::pair<const char*, std::function<void()>>> drops = {
      {"xLock", [&] { file()->pMethods->xLock(file(), SQLITE_LOCK_SHARED); }},
      {"xUnlock", [&] { file()->pMethods->xUnlock(file(), SQLITE_LOCK_NONE); }},
      {"xFileControl",
       [&] {
         int size = 0;
         file()->pMethods->xFileControl(file(), SQLITE_FCNTL_CHUNK_SIZE, &size);
       }},
      {"xSync", [&] { file()->pMethods->xSync(file(), SQLITE_SYNC_NORMAL); }},
  };
  char now = 'b';
  for (const auto& [name, drop] : drops) {
    SCOPED_TRACE(name);
    ReadRun();
    EXPECT_EQ(ReadPage(3), now);
    now = now == 'b' ? 'c' : 'b';
    Fill(0, 16 * kPage, now);
    drop();
    EXPECT_EQ(ReadPage(3), now);
    EXPECT_EQ(ReadPage(2), now);
  }
}

TEST_F(ReadAheadFileTest, RunsStopAtTheEndOfTheFile) {
  // Growing runs up to the last page, then past it: a short read comes back as SQLite's own.
  for (int p = 0; p < 16; ++p) EXPECT_EQ(ReadPage(p), 'a') << p;
  int rc = SQLITE_OK;
  ReadPage(16, &rc);
  EXPECT_EQ(rc, SQLITE_IOERR_SHORT_READ);
  Fill(16 * kPage, kPage, 'z');  // the file grows: the page is read, not a stale short read
  EXPECT_EQ(ReadPage(16, &rc), 'z');
  EXPECT_EQ(rc, SQLITE_OK);
}

}  // namespace
}  // namespace cofre
