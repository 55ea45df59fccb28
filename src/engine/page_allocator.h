// PageAllocator: hands out page numbers past the end of a SQLite database file to the bulk
// b-tree builders (bulk_btree.h), in runs of consecutive pages so that each builder's pages stay
// close together on disk.
//
// Pages come from released leftovers first, then from the end of the file. The lock-byte page
// (the page holding byte offset `pending_byte`, which SQLite never uses) is never handed out.
// A builder gives back the unused rest of its last run with Release(). Finalize() ends the
// allocation: free pages at the top of the file are cut off, and the free pages left below the
// final page count are returned so the writer can put them on the freelist (every page must
// belong to a b-tree or the freelist for PRAGMA integrity_check).
// Thread-safety: Allocate and Release are thread-safe; Finalize must not race with them.
#ifndef COFRE_ENGINE_PAGE_ALLOCATOR_H_
#define COFRE_ENGINE_PAGE_ALLOCATOR_H_

#include <cstdint>
#include <mutex>
#include <vector>

#include "util/status.h"

namespace cofre {

class PageAllocator {
 public:
  // Consecutive pages [first, first + count).
  struct Run {
    uint32_t first = 0;
    uint32_t count = 0;
  };

  // SQLite 3.40's default (and compile-time) maximum page count.
  static constexpr uint32_t kMaxPageCount = 1073741823;

  // `page_count`: pages in the file now (the first new page is page_count + 1).
  PageAllocator(uint32_t page_count, uint32_t page_size, uint64_t pending_byte);

  // The lock-byte page number.
  uint32_t pending_page() const { return pending_page_; }

  // A run of 1..`want` pages (fewer when a released leftover or the lock-byte page cuts it).
  // Fails with ResourceExhausted past SQLite's maximum page count.
  StatusOr<Run> Allocate(uint32_t want);

  // Gives back pages that were allocated and never written. REQUIRES: `run` came from Allocate
  // and is released once.
  void Release(Run run);

  // Ends allocation. Sets `*page_count` to the final size of the file in pages and `*unused`
  // to the free pages below it, ascending.
  void Finalize(uint32_t* page_count, std::vector<uint32_t>* unused);

 private:
  std::mutex mu_;
  uint32_t next_;  // first page never handed out
  const uint32_t pending_page_;
  std::vector<Run> released_;
};

}  // namespace cofre

#endif  // COFRE_ENGINE_PAGE_ALLOCATOR_H_
