// PendingAppend and the bulk writer's append mode against real SQLite files: a live database
// (rows of its own, free pages) gets a table and its index appended past its end. Linked into
// sqlite_schema, they read back and pass PRAGMA integrity_check; undone, or found unlinked at
// the next open, the file is byte for byte what it was; found linked at the next open, only the
// marker goes. A damaged marker is refused and leaves the file alone.
#include "engine/pending_append.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/bulk_btree.h"
#include "engine/data_dir.h"
#include "engine/sqlite.h"
#include "engine/sqlite_record.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

std::string Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class PendingAppendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cofre-append-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "d.sqlite").string();
    ASSERT_OK_AND_ASSIGN(SqliteDb db, SqliteDb::Open(path_, /*create=*/true));
    // A rollback-journal database with rows of its own and free pages.
    ASSERT_THAT(db.Exec("PRAGMA journal_mode = DELETE; CREATE TABLE keep(x INTEGER, y TEXT); "
                        "INSERT INTO keep VALUES (1, 'one'), (2, 'two'); "
                        "CREATE TABLE junk(z); INSERT INTO junk SELECT randomblob(3000) "
                        "FROM keep, keep, keep, keep; DROP TABLE junk"),
                IsOk());
    ASSERT_OK_AND_ASSIGN(std::optional<int64_t> free, db.QueryInt("PRAGMA freelist_count"));
    free_ = free.value_or(0);
    ASSERT_GT(free_, 0);
    ASSERT_THAT(db.Close(), IsOk());
    original_ = Contents(path_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Appends table t(id INTEGER PRIMARY KEY, v TEXT) with `rows` rows and its index t_v (v,
  // rowid) past the end of the file; sets the root pages.
  void AppendTable(int rows, uint32_t* table_root, uint32_t* index_root) {
    BulkFileWriter::Options options;
    options.append = true;
    if (pending_byte_) options.pending_byte = pending_byte_;
    ASSERT_OK_AND_ASSIGN(auto writer, BulkFileWriter::Open(path_, options));
    ASSERT_OK_AND_ASSIGN(*table_root, writer->NewRoot(BtreePageType::kTableLeaf));
    ASSERT_OK_AND_ASSIGN(*index_root, writer->NewRoot(BtreePageType::kIndexLeaf));
    ASSERT_OK_AND_ASSIGN(auto table, writer->BuildTable(*table_root));
    ASSERT_OK_AND_ASSIGN(auto index, writer->BuildIndex(*index_root));
    std::vector<std::string> texts;
    for (int i = 1; i <= rows; ++i) texts.push_back("value-" + std::to_string(100000 + i));
    for (int i = 1; i <= rows; ++i) {
      const sqlite_record::Value values[] = {sqlite_record::Value{},
                                             sqlite_record::Value::Text(texts[i - 1])};
      std::string record;
      sqlite_record::Append(values, &record);
      ASSERT_THAT(table->Add(i, record), IsOk());
      // The texts ascend with i, so the index entries come in index order.
      const sqlite_record::Value entry[] = {sqlite_record::Value::Text(texts[i - 1]),
                                            sqlite_record::Value::Integer(i)};
      record.clear();
      sqlite_record::Append(entry, &record);
      ASSERT_THAT(index->Add(record), IsOk());
    }
    ASSERT_THAT(table->Finish(), IsOk());
    ASSERT_THAT(index->Finish(), IsOk());
    ASSERT_THAT(writer->Finish(), IsOk());
  }

  // The link: the rows of sqlite_schema for t and t_v, in one transaction.
  void Link(uint32_t table_root, uint32_t index_root) {
    ASSERT_OK_AND_ASSIGN(SqliteDb db, SqliteDb::Open(path_, /*create=*/false));
    ASSERT_OK_AND_ASSIGN(std::optional<int64_t> version, db.QueryInt("PRAGMA schema_version"));
    ASSERT_THAT(db.Exec("BEGIN IMMEDIATE; PRAGMA writable_schema = ON; "
                        "INSERT INTO sqlite_schema VALUES ('table', 't', 't', " +
                        std::to_string(table_root) +
                        ", 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)'); "
                        "INSERT INTO sqlite_schema VALUES ('index', 't_v', 't', " +
                        std::to_string(index_root) +
                        ", 'CREATE INDEX t_v ON t(v)'); "
                        "PRAGMA writable_schema = OFF; PRAGMA schema_version = " +
                        std::to_string(version.value_or(0) + 1) + "; COMMIT"),
                IsOk());
    ASSERT_THAT(db.Close(), IsOk());
  }

  bool Marker() const { return fs::exists(path_ + kAppendPendingSuffix); }

  // What a killed process leaves: the marker, the appended pages and the header (and the link
  // when `link`), the PendingAppend never destroyed. A child process does it and ends without
  // running a destructor.
  void DieAfterAppending(int rows, bool link) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      StatusOr<std::unique_ptr<PendingAppend>> append = PendingAppend::Begin(path_);
      if (!append.ok()) ::_exit(2);
      uint32_t table_root = 0, index_root = 0;
      AppendTable(rows, &table_root, &index_root);
      if (link) Link(table_root, index_root);
      ::_exit(HasFailure() ? 1 : 0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    ASSERT_TRUE(Marker());
  }

  fs::path dir_;
  std::string path_;
  std::string original_;
  int64_t free_ = 0;
  uint64_t pending_byte_ = 0;  // the writer's lock-byte offset when not 0
};

TEST_F(PendingAppendTest, LinkedTablesReadBackBesideTheOldRows) {
  ASSERT_OK_AND_ASSIGN(auto append, PendingAppend::Begin(path_));
  EXPECT_TRUE(Marker());
  uint32_t table_root = 0, index_root = 0;
  AppendTable(5000, &table_root, &index_root);
  EXPECT_GT(table_root, append->original_page_count());
  Link(table_root, index_root);
  append->Committed();
  EXPECT_FALSE(Marker());
  ASSERT_OK_AND_ASSIGN(SqliteDb db, SqliteDb::Open(path_, /*create=*/false));
  EXPECT_EQ(db.QueryText("PRAGMA integrity_check")->value_or(""), "ok");
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM keep")->value_or(-1), 2);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM t")->value_or(-1), 5000);
  EXPECT_EQ(db.QueryInt("SELECT id FROM t WHERE v = 'value-104321'")->value_or(-1), 4321);
  EXPECT_EQ(db.QueryText("SELECT v FROM t WHERE id = 17")->value_or(""), "value-100017");
  // The old free pages are still on the freelist, with any the append left unused.
  EXPECT_GE(db.QueryInt("PRAGMA freelist_count")->value_or(-1), free_);
  // SQLite goes on writing to both.
  ASSERT_THAT(db.Exec("INSERT INTO t(v) SELECT v || '+' FROM t WHERE id % 7 = 0; "
                      "DELETE FROM t WHERE id % 3 = 0; INSERT INTO keep VALUES (3, 'three')"),
              IsOk());
  EXPECT_EQ(db.QueryText("PRAGMA integrity_check")->value_or(""), "ok");
}

TEST_F(PendingAppendTest, AppendedPagesSkipTheLockBytePage) {
  // A small database whose appended pages run past SQLite's lock byte, moved down to page 17
  // (offset 64 KiB) for the test.
  const int old = sqlite3_test_control(SQLITE_TESTCTRL_PENDING_BYTE, 0x10000);
  pending_byte_ = 0x10000;
  fs::remove(path_);
  {
    ASSERT_OK_AND_ASSIGN(SqliteDb db, SqliteDb::Open(path_, /*create=*/true));
    ASSERT_THAT(db.Exec("PRAGMA journal_mode = DELETE; CREATE TABLE keep(x); "
                        "INSERT INTO keep VALUES (1)"),
                IsOk());
    ASSERT_THAT(db.Close(), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(auto append, PendingAppend::Begin(path_));
  uint32_t table_root = 0, index_root = 0;
  AppendTable(4000, &table_root, &index_root);
  Link(table_root, index_root);
  append->Committed();
  {
    ASSERT_OK_AND_ASSIGN(SqliteDb db, SqliteDb::Open(path_, /*create=*/false));
    EXPECT_GT(db.QueryInt("PRAGMA page_count")->value_or(0), 17);
    EXPECT_EQ(db.QueryText("PRAGMA integrity_check")->value_or(""), "ok");
    EXPECT_EQ(db.QueryInt("SELECT count(*) FROM t")->value_or(-1), 4000);
  }
  sqlite3_test_control(SQLITE_TESTCTRL_PENDING_BYTE, old);
}

TEST_F(PendingAppendTest, UndoPutsTheFileBackByteForByte) {
  ASSERT_OK_AND_ASSIGN(auto append, PendingAppend::Begin(path_));
  uint32_t table_root = 0, index_root = 0;
  AppendTable(3000, &table_root, &index_root);
  EXPECT_NE(Contents(path_), original_);
  ASSERT_THAT(append->Undo(), IsOk());
  EXPECT_FALSE(Marker());
  EXPECT_EQ(Contents(path_), original_);
}

TEST_F(PendingAppendTest, DestroyedUncommittedItUndoes) {
  {
    ASSERT_OK_AND_ASSIGN(auto append, PendingAppend::Begin(path_));
    uint32_t table_root = 0, index_root = 0;
    AppendTable(100, &table_root, &index_root);
  }
  EXPECT_FALSE(Marker());
  EXPECT_EQ(Contents(path_), original_);
}

TEST_F(PendingAppendTest, OpenUndoesAnAppendThatNeverLinked) {
  // A process that died after the pages and the header were written.
  DieAfterAppending(3000, /*link=*/false);
  // A second append waits for the first to be put right.
  EXPECT_THAT(PendingAppend::Begin(path_).status(), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(SqliteDb db, OpenDatabaseFile(path_));
  EXPECT_FALSE(Marker());
  EXPECT_EQ(db.QueryText("PRAGMA integrity_check")->value_or(""), "ok");
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM keep")->value_or(-1), 2);
  ASSERT_THAT(db.Close(), IsOk());
  // OpenDatabaseFile put a file with a rollback journal of its own in WAL; the bytes of the
  // database itself are those of before, but for the journal-mode bytes of the header.
  std::string now = Contents(path_);
  ASSERT_EQ(now.size(), original_.size());
  now[18] = original_[18];
  now[19] = original_[19];
  EXPECT_EQ(now, original_);
}

TEST_F(PendingAppendTest, AnAppendOfThisProcessIsNotTakenForADeadOne) {
  ASSERT_OK_AND_ASSIGN(auto append, PendingAppend::Begin(path_));
  uint32_t table_root = 0, index_root = 0;
  AppendTable(500, &table_root, &index_root);
  const std::string appended = Contents(path_);
  ASSERT_THAT(RecoverPendingAppend(path_), IsOk());
  EXPECT_TRUE(Marker());
  EXPECT_EQ(Contents(path_), appended);
  Link(table_root, index_root);
  append->Committed();
  EXPECT_FALSE(Marker());
}

TEST_F(PendingAppendTest, OpenKeepsAnAppendThatLinked) {
  // A process that died after the link committed, before it removed the marker.
  DieAfterAppending(2000, /*link=*/true);
  ASSERT_THAT(RecoverPendingAppend(path_), IsOk());
  EXPECT_FALSE(Marker());
  ASSERT_OK_AND_ASSIGN(SqliteDb db, SqliteDb::Open(path_, /*create=*/false));
  EXPECT_EQ(db.QueryText("PRAGMA integrity_check")->value_or(""), "ok");
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM t")->value_or(-1), 2000);
}

TEST_F(PendingAppendTest, ADamagedOrForgedMarkerIsRefusedAndChangesNothing) {
  DieAfterAppending(100, /*link=*/false);
  const std::string appended = Contents(path_);
  const std::string marker = Contents(path_ + kAppendPendingSuffix);
  auto write_marker = [&](const std::string& bytes) {
    std::ofstream(path_ + kAppendPendingSuffix, std::ios::binary | std::ios::trunc) << bytes;
  };
  // Cut short; then whole, but with a size that is not in whole pages; then a header that is
  // not a database's.
  std::string odd_size = marker;
  odd_size[23] = static_cast<char>(odd_size[23] + 1);
  std::string not_sqlite = marker;
  not_sqlite[24] = 'X';
  for (const std::string& bad : {std::string("junk"), odd_size, not_sqlite}) {
    write_marker(bad);
    EXPECT_THAT(RecoverPendingAppend(path_), StatusIs(StatusCode::kDataLoss));
    EXPECT_TRUE(Marker());
    EXPECT_EQ(Contents(path_), appended);
  }
  // The marker as it was undoes the append.
  write_marker(marker);
  ASSERT_THAT(RecoverPendingAppend(path_), IsOk());
  EXPECT_EQ(Contents(path_), original_);
}

TEST_F(PendingAppendTest, AppendModeRefusesRootsItDidNotMake) {
  BulkFileWriter::Options options;
  options.append = true;
  ASSERT_OK_AND_ASSIGN(auto writer, BulkFileWriter::Open(path_, options));
  // Page 2 is keep's root: appending never writes below the end of the file.
  EXPECT_THAT(writer->BuildTable(2).status(), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(uint32_t root, writer->NewRoot(BtreePageType::kTableLeaf));
  EXPECT_THAT(writer->BuildIndex(root).status(), StatusIs(StatusCode::kInvalidArgument));
  // A root made and never built: the writer does not finish.
  EXPECT_THAT(writer->Finish(), StatusIs(StatusCode::kFailedPrecondition));
  // A writer that does not append makes no roots (this file is not fresh either).
  EXPECT_THAT(BulkFileWriter::Open(path_).status(), StatusIs(StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace cofre
