// Bulk b-tree building: writes the table and index b-trees of a SQLite database file directly
// from key-ordered streams, several trees concurrently, bypassing SQLite's single writer. Used by
// RESTORE to fill a freshly created staging database.
//
// The flow:
//   1. SQLite creates the file (page_size, journal_mode=OFF, CREATE TABLE / CREATE INDEX, so
//      every b-tree exists as an empty root leaf recorded in sqlite_schema); the caller reads the
//      root page numbers and CLOSES every connection to the file.
//   2. BulkFileWriter::Open(path) checks the file is such a fresh file (see
//      sqlite_file_header.h; also no -wal file and no hot -journal).
//   3. For each b-tree to fill, BuildTable / BuildIndex(root_page) gives a builder; builders of
//      different trees may run concurrently on different threads. Each builder writes its tree
//      bottom-up: leaves filled completely, interior levels above them, the top node written INTO
//      the existing root page (root pages never move). A tree with no entries keeps its empty
//      root leaf. New pages come from past the end of the file.
//   4. BulkFileWriter::Finish(), once every builder finished: records the page count and the
//      freelist (pages handed out to builders but unused) in the header, bumps the change
//      counter, fsyncs. The caller then reopens the file with SQLite.
// Appending to a live database (Options::append; RESTORE TABLE, engine/pending_append.h) differs
// in steps 1, 3 and 4: the file is any database in rollback-journal mode that no connection is
// writing; each new b-tree gets a new root page past the end of the file (NewRoot), and nothing
// below the old end is written but the header; Finish adds the unused pages to the freelist the
// file already has. The new trees are in the file but unreachable until the caller records
// their root pages in sqlite_schema.
// Memory is flat in the size of the trees: per builder two pages per tree level plus a write
// buffer of `Options::run_pages` pages; a table's part (TableBtreeBuilder::NewPart) also lists
// its leaves until it is appended, 2-4 bytes a leaf.
// Errors: Status, never aborts; write errors name the page and the file (ENOSPC comes out as
// ResourceExhausted "disk full while ..."). A builder's errors are sticky, and a writer whose
// builder failed refuses to Finish: the file must then be discarded.
#ifndef COFRE_ENGINE_BULK_BTREE_H_
#define COFRE_ENGINE_BULK_BTREE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/btree_levels.h"
#include "engine/btree_page.h"
#include "engine/page_allocator.h"
#include "engine/page_sink.h"
#include "util/file_util.h"
#include "util/status.h"

namespace cofre {

class TableBtreeBuilder;
class IndexBtreeBuilder;

// BulkFileWriter: one fresh SQLite database file being filled by bulk b-tree builders.
// Thread-safety: BuildTable, BuildIndex and the builders' methods may be called from several
// threads; Finish() once, after every builder finished. The writer must outlive its builders.
// No SQLite connection may use the file until Finish() returned.
class BulkFileWriter {
 public:
  struct Options {
    // How the file is named in errors; defaults to the path.
    std::string display;
    // Pages a builder takes from the allocator at a time (locality and write size).
    uint32_t run_pages = 64;
    // Offset of SQLite's lock byte. Only tests change it (together with
    // sqlite3_test_control(SQLITE_TESTCTRL_PENDING_BYTE)).
    uint64_t pending_byte = 0x40000000;
    // Bytes written between two starts of the kernel's writeback of the file (WriteBehind in
    // page_sink.h); 0 leaves writeback to the kernel until Finish's fsync.
    uint64_t write_behind_bytes = 32 << 20;
    // Bytes written between two fdatasyncs of the file on a thread of its own (WriteBehind), so
    // that Finish's fsync does not wait for the device to flush the whole file; 0: only Finish
    // syncs.
    uint64_t sync_behind_bytes = 128 << 20;
    // Whether each of those fdatasyncs is followed by dropping the synced new pages (those past
    // the file's original end) from the page cache (WriteBehind's drop_behind), so that the
    // page cache holds about sync_behind_bytes of them instead of all, reusing the same memory.
    // On this project's test VM that took the first 4 GiB restore after a backup from 16-17 s
    // to 13-14 s (docs/performance.md, "Drop-behind"). The new pages are then not cached; when
    // appending, the live database's own pages stay cached.
    bool drop_behind = true;
    // Whether the file must survive a crash once Finish returned: Finish fsyncs it, and it is
    // synced along the way (sync_behind_bytes). A scratch file read once and deleted (a table
    // restore's staging file) needs neither.
    bool durable = true;
    // The file is a live database that new b-trees are appended to (see the top of this file);
    // its freelist may be non-empty and its file longer than its page count.
    bool append = false;
  };

  // Opens `path` and checks the preconditions; FailedPrecondition naming what is wrong.
  static StatusOr<std::unique_ptr<BulkFileWriter>> Open(const std::string& path);
  static StatusOr<std::unique_ptr<BulkFileWriter>> Open(const std::string& path,
                                                        const Options& options);
  ~BulkFileWriter();

  uint32_t page_size() const { return page_size_; }

  // A builder for the table (rowid) b-tree whose root is `root_page`, or for the index b-tree
  // (also a WITHOUT ROWID table) whose root is `root_page`. Fails with InvalidArgument when the
  // page is not an empty root leaf of that kind in the original file, FailedPrecondition when a
  // builder for it already exists or the writer finished.
  StatusOr<std::unique_ptr<TableBtreeBuilder>> BuildTable(uint32_t root_page);
  StatusOr<std::unique_ptr<IndexBtreeBuilder>> BuildIndex(uint32_t root_page);

  // Appending (Options::append): a new page past the end of the file, written as an empty leaf
  // of `type` (kTableLeaf or kIndexLeaf), to be the root of a tree that BuildTable or BuildIndex
  // then fills. FailedPrecondition when the writer does not append or finished.
  StatusOr<uint32_t> NewRoot(BtreePageType type);

  // Writes the header and freelist and, for a durable file, fsyncs. FailedPrecondition when a
  // builder has not finished or failed.
  Status Finish();

 private:
  friend class TableBtreeBuilder;
  friend class IndexBtreeBuilder;
  enum class TreeState { kBuilding, kFinished, kFailed, kAbandoned };

  BulkFileWriter() = default;
  Status CheckRoot(uint32_t root_page, BtreePageType want);
  std::unique_ptr<PageSink> NewSink();
  void SetState(uint32_t root_page, TreeState state);

  std::string display_;
  Options options_;
  ScopedFd fd_;
  uint32_t page_size_ = 0;
  uint32_t original_page_count_ = 0;
  uint32_t original_first_trunk_ = 0;     // the freelist the file had (appending)
  uint32_t original_freelist_pages_ = 0;  // its length
  std::unique_ptr<PageAllocator> allocator_;
  std::unique_ptr<WriteBehind> write_behind_;  // null when options_.write_behind_bytes is 0
  std::mutex mu_;
  std::map<uint32_t, TreeState> trees_;          // by root page
  std::map<uint32_t, BtreePageType> new_roots_;  // NewRoot's pages, not yet built
  bool finished_ = false;
};

// TableBtreeBuilder: fills one rowid table b-tree from rows in strictly increasing rowid order.
//
// Parts: the leaves of a later rowid range can be written on another thread by a part
// (NewPart), which writes its full leaves to pages of its own, records each one's page number
// and largest rowid (a few bytes a leaf), and keeps its last leaf in memory; AppendPart then puts
// the part's leaves after the builder's rows (writing the builder's unfilled last leaf as it is:
// SQLite asks no minimum fill of a leaf) and goes on from the part's last leaf. The interior
// levels are built by the builder alone, over its leaves and its parts' in key order.
// Thread-safety: one thread at a time; a part may be used on another thread than its builder
// until it is finished and appended, and NewPart may be called on one thread while another adds
// rows to the builder (it touches nothing Add does). A finished part holds its leaf list and its
// last leaf, not its write buffer.
class TableBtreeBuilder {
 public:
  ~TableBtreeBuilder();
  // Appends a row: `record` is its SQLite record (sqlite_record.h). InvalidArgument, naming the
  // rowid, when rowid is not greater than the previous one or the record is malformed.
  Status Add(int64_t rowid, std::string_view record);
  // Writes the rest of the tree and the root page. Further calls return the first result. A
  // part's Finish writes its pages but its last leaf, kept for AppendPart. FailedPrecondition
  // when a part made by NewPart was not appended.
  Status Finish();
  uint64_t rows() const { return rows_; }

  // A part for rows that come after every row given to this builder (and to its earlier parts),
  // to be added on another thread, finished, then given to AppendPart. REQUIRES: not a part.
  std::unique_ptr<TableBtreeBuilder> NewPart();
  // Puts the finished `part`'s rows after this builder's rows. InvalidArgument when the part's
  // first rowid is not greater than the builder's last; the part's error when it failed;
  // FailedPrecondition when it is not finished, not this builder's part, or appended already.
  Status AppendPart(TableBtreeBuilder& part);

 private:
  friend class BulkFileWriter;
  // `parent` is null for the builder of a tree, the builder for a part.
  TableBtreeBuilder(BulkFileWriter* writer, uint32_t root_page, TableBtreeBuilder* parent);
  Status Fail(Status s);
  // " (table b-tree at root page N of 'file')", for errors.
  std::string Where() const;
  // Writes leaf_ at a new page and reports it (to the levels, or for a part to leaves_).
  Status WriteLeaf();

  BulkFileWriter* writer_;
  const uint32_t root_page_;
  TableBtreeBuilder* const parent_;  // for a part
  std::unique_ptr<PageSink> sink_;
  BtreePage leaf_;
  BtreeLevels levels_;  // unused by a part
  // A part's written leaves, each as two varints: its page number's difference from the
  // previous leaf's (zigzag), and its largest rowid's (from first_rowid_ - 1 for the first
  // leaf): 2-4 bytes a leaf.
  std::string leaves_;
  uint32_t last_leaf_page_ = 0;
  int64_t last_leaf_rowid_ = 0;
  std::string cell_;
  uint64_t rows_ = 0;
  int64_t first_rowid_ = 0;
  int64_t last_rowid_ = 0;
  size_t open_parts_ = 0;  // made by NewPart, not yet appended
  bool appended_ = false;  // a part given to AppendPart
  bool finished_ = false;
  Status status_;
};

// IndexBtreeBuilder: fills one index b-tree (or WITHOUT ROWID table) from records already in
// the index's order (not verified: the caller sorts with the index's collations and directions).
// Thread-safety: one thread at a time.
class IndexBtreeBuilder {
 public:
  ~IndexBtreeBuilder();
  // Appends an entry: `record` is its SQLite record (for an index: the indexed columns then the
  // rowid). InvalidArgument when the record is malformed.
  Status Add(std::string_view record);
  // Writes the rest of the tree and the root page. Further calls return the first result.
  Status Finish();
  uint64_t entries() const { return entries_; }

 private:
  friend class BulkFileWriter;
  IndexBtreeBuilder(BulkFileWriter* writer, uint32_t root_page);
  Status Fail(Status s);
  // Writes `page` at a new page number, returned in *pgno.
  Status WriteLeaf(BtreePage& page, uint32_t* pgno);

  BulkFileWriter* writer_;
  const uint32_t root_page_;
  std::unique_ptr<PageSink> sink_;
  BtreePage leaf_;
  // A full leaf waiting for `leaf_` to get its first entry, and the entry that separates them.
  BtreePage held_;
  bool has_held_ = false;
  std::string held_separator_;
  BtreeLevels levels_;
  std::string cell_;
  uint64_t entries_ = 0;
  bool finished_ = false;
  Status status_;
};

}  // namespace cofre

#endif  // COFRE_ENGINE_BULK_BTREE_H_
