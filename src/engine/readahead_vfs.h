// A SQLite VFS for the snapshot's reader connections (engine/snapshot.h) that reads the main
// database file in runs. SQLite asks for a database one page per read; a scan in key order of a
// file written in key order asks for one page after the other, and each 4 KiB pread costs a
// system call (2 µs on the 2-core VM of docs/performance.md, against 0.6 µs per 4 KiB in 64 KiB
// reads).
//
// Policy, per open main database file: one buffer of up to kMaxRunBytes. A read wholly inside it
// is copied out of it. A read that starts where the previous read of the file (or the buffer)
// ended reads a run twice as long as the previous one, up to kMaxRunBytes, into the buffer;
// any other read reads what was asked, alone. A run that cannot be read whole (the end of the
// file, an error) is not kept: the read is then made as asked. WAL, journal and every other
// file pass straight through.
//
// Why a buffered page is the page SQLite would read (docs/architecture.md §3 item 14): SQLite
// takes a page from the database file only when its read transaction holds it unchanged there,
// and the file's bytes of such a page do not change while the transaction lasts (item 10's
// argument: a checkpoint stops at the oldest reader's mark, a rollback-journal file is held by
// the SHARED lock). The buffer is dropped whenever the connection takes or releases a lock (file
// locks and wal-index locks: every transaction's start and end), writes, truncates, syncs or
// passes a file control, so it never outlives the transaction that filled it.
//
// Memory: one buffer of kMaxRunBytes per open main database file, allocated at its first run.
// Thread-safety: Register may be called from any thread (once is enough). A file
// object is used by one connection, as SQLite's own are; the counters are atomic.
#ifndef COFRE_ENGINE_READAHEAD_VFS_H_
#define COFRE_ENGINE_READAHEAD_VFS_H_

#include <cstddef>
#include <cstdint>

#include "util/status.h"

namespace cofre {

struct ReadAheadVfsStats {
  uint64_t file_reads = 0;    // reads made of the main database files (runs and single reads)
  uint64_t served_reads = 0;  // reads SQLite made that a buffer answered
};

class ReadAheadVfs {
 public:
  static constexpr size_t kMaxRunBytes = size_t{256} << 10;
  // The VFS's name for sqlite3_open_v2 (SqliteDb::Open's `vfs`).
  static constexpr const char* kName = "cofre-readahead";

  // Registers the VFS (not as the default) on top of SQLite's default one; idempotent.
  static Status Register();
  // Totals since the process started, over every connection (for tests and benchmarks).
  static ReadAheadVfsStats Stats();
};

}  // namespace cofre

#endif  // COFRE_ENGINE_READAHEAD_VFS_H_
