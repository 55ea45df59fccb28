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
// Thread-safety: Read() and Verify() may be called from several threads.
#ifndef COFRE_ENGINE_PAGE_VIEW_H_
#define COFRE_ENGINE_PAGE_VIEW_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "util/file_util.h"
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

// Reads the wal-index header of database `path` (from `path`-shm): nullopt when there is none,
// or it is torn, uninitialised or fails its checksum.
std::optional<WalSnapshotHeader> ReadWalSnapshotHeader(const std::string& path);

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
  PageView() = default;
  Status ReadHeader();
  Status IndexWal(const WalSnapshotHeader& header);

  std::string path_;
  ScopedFd db_;
  ScopedFd wal_;
  std::string salt_;
  uint32_t page_size_ = 0;
  uint32_t usable_size_ = 0;
  uint32_t page_count_ = 0;
  std::unordered_map<uint32_t, uint32_t> frame_of_page_;  // newest frame <= mxFrame
};

}  // namespace cofre

#endif  // COFRE_ENGINE_PAGE_VIEW_H_
