// PendingAppend: b-trees appended past the end of a live database file and linked into its
// schema by one SQLite transaction, with the undo of an append that did not commit.
//
// A table restore into an existing database writes its tables' pages straight into the target
// (engine/bulk_btree.h, Options::append) instead of building them in a staging file and copying
// them in; the target's own pages are never touched but its header. A crash at any step must
// leave the target as it was, and SQLite's journal only covers what SQLite writes.
//
// Invariants (docs/architecture.md §3 item 5, "Pages appended to a table restore's target"):
//   1. The file is in rollback-journal mode, and no connection writes to it until the link.
//   2. Before the first page past the end is written, a marker file (<database>-cofre-append,
//      written atomically and synced with its directory) holds the file's size and its 100-byte
//      header as they were.
//   3. Nothing below the old end of the file is written but the header, whose page count,
//      freelist head and change counter the bulk writer's Finish sets: the new pages are then
//      part of the file, unreachable.
//   4. The new b-trees become reachable in one SQLite transaction that inserts their
//      sqlite_schema rows, whose root pages are all past the old page count; nothing else ever
//      records such a root page while the marker exists.
//   5. After that commit the marker is removed (Committed). An append that ends otherwise is
//      undone (the destructor, or Undo): the old header written back, the file cut to its old
//      size and synced, then the marker removed.
//   6. A marker found when the file is opened (RecoverPendingAppend, called by OpenDatabaseFile
//      before any connection of its own) means a process died between 2 and 5, unless this
//      process is appending to that file now (then it is left alone): SQLite first rolls back
//      any hot journal; if sqlite_schema then holds a root page past the old page count the
//      link committed and only the marker goes, otherwise the append is undone as in 5.
// Thread-safety: one object per append, used on one thread; the free functions may be called
// from any thread.
#ifndef COFRE_ENGINE_PENDING_APPEND_H_
#define COFRE_ENGINE_PENDING_APPEND_H_

#include <cstdint>
#include <memory>
#include <string>

#include "util/status.h"

namespace cofre {

// The marker of invariant 2: `path` + this suffix.
inline constexpr char kAppendPendingSuffix[] = "-cofre-append";

class PendingAppend {
 public:
  // Reads the size and header of the database file at `path` and writes the marker
  // (invariant 2). REQUIRES: invariant 1. FailedPrecondition when a marker already exists.
  static StatusOr<std::unique_ptr<PendingAppend>> Begin(const std::string& path);
  // Undoes an append that was neither committed nor undone (best effort: on failure the marker
  // stays, for RecoverPendingAppend).
  ~PendingAppend();
  PendingAppend(const PendingAppend&) = delete;
  PendingAppend& operator=(const PendingAppend&) = delete;

  // The file's page count before the append.
  uint32_t original_page_count() const { return original_page_count_; }

  // The link committed: removes the marker (invariant 5).
  void Committed();
  // Puts the file back as it was and removes the marker (invariant 5). REQUIRES: no connection
  // is in a transaction on the file.
  Status Undo();

 private:
  PendingAppend(std::string path, uint32_t original_page_count)
      : path_(std::move(path)), original_page_count_(original_page_count) {}

  const std::string path_;
  const uint32_t original_page_count_;
  bool done_ = false;
};

// True when the file at `path` has the marker of invariant 2.
bool AppendPending(const std::string& path);

// Invariant 6, for the file at `path` when it has a marker; OK at once when it has none or
// this process is appending to the file. REQUIRES: no other connection of this process has the
// file open. DataLoss when the marker is
// damaged (it is then kept, and so is the file).
Status RecoverPendingAppend(const std::string& path);

}  // namespace cofre

#endif  // COFRE_ENGINE_PENDING_APPEND_H_
