// FileState: a token that proves a database file did not change between two snapshots
// (engine/snapshot.h), without reading it. It lets an incremental backup of a file nobody wrote
// keep the previous layer whole (docs/architecture.md, invariant on unchanged files).
//
// The token holds what every change of the file's content changes: the database file's device,
// inode, size, and modification and status-change times (ns); in rollback-journal modes the same
// of its WAL (none, in practice); in WAL mode the snapshot's wal-index header instead (last
// frame, salts, page count): frames up to the last one are rewritten only after a WAL restart,
// which changes the salts (a new WAL file draws them at random), a commit shows only there (it
// writes the wal-index, not the files, after its frames), and a checkpoint writes the database
// file. The WAL file's own times are not used: SQLite re-owns it (fchown, which sets its ctime)
// whenever a connection running as root opens it. In rollback-journal modes the header's file
// change counter is added (every commit bumps it, also one written through a memory map).
// Known limit: a process that writes the database file of a WAL-mode database through a
// writable shared memory map (SQLite built with SQLITE_MMAP_READWRITE, not the default, when it
// checkpoints; tools outside SQLite) may leave its times as they were (the kernel updates them
// on the first write to a page after writeback); such a change, made while the file is closed
// between two backups without a commit showing in the wal-index, would not be seen. The
// status-change time (ctime) cannot be set back by a user; a write sets it to the kernel's coarse
// clock, so a write after a token was taken changes it, unless the token's times were within
// kRacyMargin of the moment they were read ("racy": a later write could land on the same clock
// tick). A racy state yields no token, and so does a file on a filesystem whose times come from
// another machine's clock (NFS, SMB, FUSE; only ext2-4, XFS, Btrfs, tmpfs, overlayfs, F2FS and ZFS
// are trusted). An empty WAL and no WAL are the same state (the first reader
// creates an empty one). Thread-safety: pure functions.
#ifndef COFRE_ENGINE_FILE_STATE_H_
#define COFRE_ENGINE_FILE_STATE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/page_view.h"

namespace cofre {

// What stat() says of one file (all zero when it is absent or empty).
struct FileStat {
  bool present = false;  // exists and is not empty
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;
  bool operator==(const FileStat&) const = default;
};

// The database file's and its WAL's stat, and when they were read.
struct FileStats {
  FileStat db, wal;
  int64_t read_at_ns = 0;    // wall clock before the stat calls
  bool local_times = false;  // on a filesystem that takes times from this machine's clock
  bool operator==(const FileStats& o) const { return db == o.db && wal == o.wal; }
};

// How long before the moment it was read a file's last change must be for its state to be
// trusted, on filesystems with nanosecond times and on those that keep whole seconds only (2 s).
// A write stamps the kernel's coarse clock, at most one tick (<= 10 ms at HZ >= 100) behind the
// clock cofre reads: two ticks' margin puts any later write's stamp past the recorded one.
inline constexpr std::chrono::milliseconds kRacyMargin{20};
inline constexpr std::chrono::milliseconds kRacyMarginCoarse{2100};

// Stats `path` and `path`-wal. An error when the database file cannot be stat'ed.
StatusOr<FileStats> StatDatabaseFiles(const std::string& path);

// The token of a file whose stats were `before` ahead of the snapshot and `after` once it was
// pinned (with `wal`: the snapshot's wal-index header in WAL mode; unset in rollback modes).
// nullopt when the two differ (a write landed meanwhile), when the state is racy, or when a WAL
// snapshot did not capture its header.
// In rollback-journal modes, `change_counter` is the database header's file change counter
// (offset 24), read under the snapshot's SHARED lock: every SQLite commit in those modes bumps it,
// also one that writes through a memory map (whose times the kernel may leave as they were).
std::optional<std::string> FileStateToken(const FileStats& before, const FileStats& after,
                                          bool wal_mode,
                                          const std::optional<WalSnapshotHeader>& wal,
                                          uint32_t change_counter);

// Reads the file change counter of database file `path` (through SQLite's VFS).
StatusOr<uint32_t> ReadChangeCounter(const std::string& path);

}  // namespace cofre

#endif  // COFRE_ENGINE_FILE_STATE_H_
