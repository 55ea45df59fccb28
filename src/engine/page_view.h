// PageView: the pages of one SQLite database file exactly as a read snapshot (engine/snapshot.h)
// sees them, read by cofre from the files (the database, its WAL) without going through SQLite.
//
// - Rollback-journal file: a snapshot reader holds the SHARED lock, so the database file cannot
//   change: pages are read from it.
// - WAL file: the snapshot captured the wal-index header (mxFrame, salts, nBackfill) while it
//   proved that no commit landed (snapshot.cc). Page p is the newest WAL frame <= mxFrame for p,
//   else the database file's page (checkpoints never copy frames past a live reader's mark into
//   the database file). When every frame <= mxFrame was already checkpointed, the database file
//   alone is the snapshot. Frames <= mxFrame are rewritten only after a WAL restart, which writes
//   new salts to the WAL header first: Verify() checks, after the pages were read, that the salts
//   are still the captured ones.
// Anything unexpected (a torn or unknown header, a short read, a frame of another WAL generation)
// is an error: callers then fall back to reading rows through SQLite.
// Files are opened through SQLite's VFS, never with plain file descriptors: POSIX locks belong to
// the process, and closing any descriptor of a file drops every lock the process holds on it
// (the snapshot readers' SHARED and WAL read-mark locks). SQLite's unix VFS defers such closes
// while its connections hold locks.
// PageReader reads the pages of the database file in runs: one read brings the pages that follow
// the one asked for when pages are asked for in file order (a b-tree's leaves, mostly).
// Thread-safety: PageView's Read() and Verify() may be called from several threads; a PageReader
// is used by one thread at a time, and each thread has its own.
#ifndef COFRE_ENGINE_PAGE_VIEW_H_
#define COFRE_ENGINE_PAGE_VIEW_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/status.h"

namespace cofre {

// What a WAL snapshot needs of the wal-index header (the -shm file).
struct WalSnapshotHeader {
  uint32_t max_frame = 0;   // the snapshot's last frame
  uint32_t page_count = 0;  // database size in pages at the snapshot
  uint32_t page_size = 0;
  uint32_t backfilled = 0;  // frames already copied into the database file
  std::string salt;         // 8 bytes, as in the WAL header and every frame header
};

// A file opened read-only through SQLite's default VFS.
class VfsFile {
 public:
  // `flags`: SQLITE_OPEN_MAIN_DB or SQLITE_OPEN_WAL.
  static StatusOr<std::unique_ptr<VfsFile>> Open(const std::string& path, int flags);
  ~VfsFile();
  VfsFile(const VfsFile&) = delete;
  VfsFile& operator=(const VfsFile&) = delete;
  // Reads exactly `n` bytes at `offset` (an error when the file is shorter).
  Status Read(uint64_t offset, char* buf, size_t n) const;
  // The file's size.
  StatusOr<uint64_t> Size() const;

 private:
  VfsFile() = default;
  std::string path_;
  std::unique_ptr<char[]> storage_;  // the VFS's sqlite3_file object
  bool open_ = false;
};

// True when the database file's header says WAL mode (read through the VFS, without locks).
bool FileHeaderSaysWal(const std::string& path);

// Reads the wal-index header through `db`'s own mapping of the -shm file (db must be in a WAL
// read transaction): nullopt when it is torn, uninitialised or fails its checksum.
std::optional<WalSnapshotHeader> ReadWalSnapshotHeader(sqlite3* db);

class PageView {
 public:
  // A rollback-journal file held by a snapshot reader's SHARED lock.
  static StatusOr<std::unique_ptr<PageView>> OpenFrozen(const std::string& path);
  // A WAL file at the snapshot described by `header`.
  static StatusOr<std::unique_ptr<PageView>> OpenWal(const std::string& path,
                                                     const WalSnapshotHeader& header);

  uint32_t page_size() const { return page_size_; }
  // Bytes of each page that hold b-tree content (page size less the reserved bytes).
  uint32_t usable_size() const { return usable_size_; }
  uint32_t page_count() const { return page_count_; }
  // Reads page `pgno` (1-based) into *out (page_size() bytes).
  Status Read(uint32_t pgno, std::string* out) const;
  // After reading: OK when every WAL frame read was the snapshot's (always OK without a WAL).
  Status Verify() const;

 private:
  friend class PageReader;
  PageView() = default;
  Status ReadHeader();
  // Where page `pgno` is read from: *wal when from a WAL frame, at *offset. An error when out of
  // range.
  Status Locate(uint32_t pgno, bool* wal, uint64_t* offset) const;
  Status IndexWal(const WalSnapshotHeader& header);

  std::string path_;
  std::unique_ptr<VfsFile> db_;
  std::unique_ptr<VfsFile> wal_;
  std::string salt_;
  uint32_t page_size_ = 0;
  uint32_t usable_size_ = 0;
  uint32_t page_count_ = 0;
  std::unordered_map<uint32_t, uint32_t> frame_of_page_;  // newest frame <= mxFrame
};

// One thread's reader of a PageView's pages, through its own file object. A page of the database
// file is read with the pages after it, up to kRunBytes, into the slot's buffer, when the page
// follows the slot's last run: a b-tree laid out in page order (as SQLite builds it, and as
// VACUUM leaves it) then costs a system call per run rather than per page. A page asked for out
// of order is read alone, and starts a run of twice the length each time the next page is asked
// for. WAL frames are read alone (PageView::Read), and a page the run holds but the snapshot
// reads from the WAL is never taken from the run.
// Siblings in a b-tree (the leaves below one interior page) are rarely in page order once the
// tree has split pages, and tables built together interleave their pages: Prefetch then reads a
// window of pages asked for together in page order, pages a few apart in one read, so that no
// read brings pages nobody asked for beyond those few.
// Why reads, not SQLite's mapping of the file: every page taken from a mapping costs a page
// fault, and giving the pages back (the resident set must stay small) a TLB shootdown across
// the process's threads; on virtual machines with shadow page tables that was two thirds of the
// leaf walk (docs/performance.md). Memory: kSlots buffers of kRunBytes per reader, and a batch of
// at most (kBatchGap + 1) * kBatchBytes.
class PageReader {
 public:
  static constexpr int kSlots = 2;
  static constexpr size_t kRunBytes = size_t{256} << 10;
  // `view` must outlive the reader.
  explicit PageReader(const PageView& view);
  ~PageReader();
  PageReader(const PageReader&) = delete;
  PageReader& operator=(const PageReader&) = delete;

  // Pages Prefetch reads together: pages at most kBatchGap apart share a read (the pages between
  // them are read too, and dropped).
  static constexpr uint32_t kBatchGap = 3;
  // How many pages a caller should give Prefetch at once (kBatchBytes of pages, at least one).
  static constexpr size_t kBatchBytes = size_t{512} << 10;
  uint32_t batch_pages() const;

  // Page `pgno` (page_size() bytes), valid until `slot` (< kSlots) is read again, the next
  // Prefetch, or the reader is destroyed.
  StatusOr<std::string_view> Read(uint32_t pgno, int slot);
  // Reads the database-file pages among `pgnos` (at most batch_pages(), in any order) sorted by
  // page number, in one read for each group of pages no more than kBatchGap apart; Read then takes
  // them from there until the next Prefetch. Pages the snapshot reads from the WAL, pages past
  // the file and pages of a read that failed are left to Read, which reads them alone (and fails
  // when it must).
  void Prefetch(const std::vector<uint32_t>& pgnos);
  // How many reads the pages took (runs, single pages and WAL frames).
  uint64_t reads() const { return reads_; }

 private:
  struct Slot {
    std::string buffer;  // pages [first, first + count) of the database file
    uint32_t first = 0;
    uint32_t count = 0;
    uint32_t run = 1;      // pages the next read after this run takes
    std::string wal_page;  // a page read from the WAL
  };

  const PageView& view_;
  std::unique_ptr<VfsFile> db_;  // the reader's own file object; null: PageView::Read only
  uint32_t file_pages_ = 0;      // whole pages the database file held when the reader opened it
  Slot slots_[kSlots];
  // The prefetched pages: (page number, offset in batch_), sorted by page number.
  std::string batch_;
  std::vector<std::pair<uint32_t, size_t>> batch_index_;
  uint64_t reads_ = 0;
};

}  // namespace cofre

#endif  // COFRE_ENGINE_PAGE_VIEW_H_
