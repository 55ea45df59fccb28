// PageSink: where one bulk b-tree builder (bulk_btree.h) gets its new page numbers and writes its
// pages.
//
// NewPage() takes pages one by one from a run obtained from the shared PageAllocator; Write()
// stores a page with pwrite(2) on the shared file descriptor, coalescing pages written at
// consecutive page numbers into one system call (up to one run, so the buffer is at most
// `run_pages` pages). Pages reach the file at Flush() or when the buffer fills. Finish() flushes
// and gives the unused rest of the current run back to the allocator.
// Errors: a failed write names the page and `display`; ENOSPC and friends come out as
// ResourceExhausted ("disk full while writing page N of ..."), see util/file_util.h.
// Thread-safety: one PageSink per builder, used by one thread at a time; several sinks may write
// to the same descriptor concurrently (they never write the same page).
#ifndef COFRE_ENGINE_PAGE_SINK_H_
#define COFRE_ENGINE_PAGE_SINK_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/page_allocator.h"
#include "util/status.h"

namespace cofre {

// Writes all `n` bytes at `offset` with pwrite(2), retrying short writes and EINTR. `action`
// names what is written, e.g. "writing page 7 of 'x.db'".
Status PwriteFully(int fd, uint64_t offset, const char* data, size_t n, const std::string& action);

// WriteBehind: asks the kernel to start writing a file's dirty pages back every `interval`
// bytes written to it (sync_file_range(2) SYNC_FILE_RANGE_WRITE, which does not wait for the
// disk), so that the file's final fsync has little left to do and the page cache never holds
// the whole file dirty: the disk works while the writers compute instead of after them. It
// guarantees nothing about durability (the final fsync does, and reports write errors), so a
// failure to start writeback is ignored.
// Thread-safety: Wrote() may be called from several threads.
class WriteBehind {
 public:
  WriteBehind(int fd, uint64_t interval) : fd_(fd), interval_(interval) {}
  // Counts `bytes` written; starts writeback when `interval` bytes accumulated.
  void Wrote(uint64_t bytes);

 private:
  const int fd_;
  const uint64_t interval_;
  std::atomic<uint64_t> pending_{0};
};

class PageSink {
 public:
  // `write_behind` (optional, not owned) is told of every write.
  PageSink(int fd, uint32_t page_size, PageAllocator* allocator, std::string display,
           uint32_t run_pages, WriteBehind* write_behind = nullptr);
  PageSink(const PageSink&) = delete;
  PageSink& operator=(const PageSink&) = delete;

  uint32_t page_size() const { return page_size_; }

  // A fresh page number for this builder.
  StatusOr<uint32_t> NewPage();
  // Writes `page` (page_size bytes) as page `pgno`; may buffer it until Flush().
  Status Write(uint32_t pgno, const char* page);
  // Writes every buffered page.
  Status Flush();
  // Flush(), then gives the unused rest of the current run back to the allocator.
  Status Finish();

  // A page-sized scratch buffer for the caller (e.g. overflow pages).
  char* scratch() { return scratch_.data(); }

 private:
  const int fd_;
  const uint32_t page_size_;
  PageAllocator* const allocator_;
  const std::string display_;
  const uint32_t run_pages_;
  WriteBehind* const write_behind_;
  PageAllocator::Run run_;  // pages not handed out yet
  std::vector<char> buf_;   // buffered pages [buf_first_, buf_first_ + buf_count_)
  uint32_t buf_first_ = 0;
  uint32_t buf_count_ = 0;
  std::vector<char> scratch_;
};

}  // namespace cofre

#endif  // COFRE_ENGINE_PAGE_SINK_H_
