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
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/page_allocator.h"
#include "util/status.h"

namespace cofre {

// Writes all `n` bytes at `offset` with pwrite(2), retrying short writes and EINTR. `action`
// names what is written, e.g. "writing page 7 of 'x.db'".
Status PwriteFully(int fd, uint64_t offset, const char* data, size_t n, const std::string& action);

// WriteBehind: makes a file durable while it is written, so that its final fsync has little
// left to do: the disk works while the writers compute instead of after them.
//
// Every `interval` bytes written it asks the kernel to start writing the file's dirty pages back
// (sync_file_range(2) SYNC_FILE_RANGE_WRITE, which does not wait for the disk), so that the page
// cache never holds the whole file dirty. A failure to start writeback is ignored: it guarantees
// nothing.
//
// Every `sync_interval` bytes written (0: never) it also wakes its own thread, which runs
// fdatasync(2) on the file. Writeback alone leaves the device's volatile cache to be flushed by
// the final fsync, and that flush waits for all the data written recently: 0.4-0.5 s after a
// 1 GiB restore on this project's test VM (docs/performance.md, "The final fsync"), against
// 0.06 s when the file was synced along the way. A failed fdatasync is kept and returned by
// Stop(): after a writeback error Linux reports it to one fsync only, so the final fsync alone
// could not be trusted to see it.
//
// With `drop_behind`, each successful fdatasync is followed by dropping the file's clean pages
// past `drop_from` from the page cache (posix_fadvise(2) POSIX_FADV_DONTNEED): what is synced is
// on the disk, the page cache then holds about `sync_interval` bytes of what was written instead
// of all of it, and the next writes reuse the pages just freed. Pages before `drop_from` (a live
// database's, when new b-trees are appended to it) stay cached for its readers. Taking new memory
// is expensive on this project's test VM (about 3.5 s of system time a GiB), and the first 4 GiB
// restore after a backup paid 14-16 s of system time with its whole file cached, 5.4-7 s with
// drop-behind (docs/performance.md, "Drop-behind"). The price: the finished file is not cached.
//
// Thread-safety: Wrote() may be called from several threads; Stop() from one, after the writes.
class WriteBehind {
 public:
  struct Options {
    // Bytes written between two starts of writeback; 0: never.
    uint64_t interval = 0;
    // Bytes written between two fdatasyncs on the syncing thread; 0: no thread, no syncs.
    uint64_t sync_interval = 0;
    // Whether each successful fdatasync is followed by dropping the file's clean pages from the
    // page cache, those at and past byte `drop_from`.
    bool drop_behind = false;
    uint64_t drop_from = 0;
    // How the file is named in errors.
    std::string display;
  };
  WriteBehind(int fd, Options options);
  ~WriteBehind();  // Stop()s, ignoring its status
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // Counts `bytes` written; starts writeback when `interval` bytes accumulated, and wakes the
  // syncing thread when `sync_interval` bytes did.
  void Wrote(uint64_t bytes);
  // Waits for a running fdatasync and ends the syncing thread. Returns the first fdatasync
  // failure (the file's data may not be on disk), or OK. The file must still be open.
  Status Stop();
  // fdatasyncs the syncing thread ran (or tried) so far.
  uint64_t syncs() const { return syncs_.load(); }
  // Times the syncing thread dropped the file's clean pages (drop_behind).
  uint64_t drops() const { return drops_.load(); }

 private:
  void SyncLoop();

  const int fd_;
  const Options options_;
  std::atomic<uint64_t> pending_{0};
  std::atomic<uint64_t> unsynced_{0};
  std::atomic<uint64_t> syncs_{0};
  std::atomic<uint64_t> drops_{0};
  std::mutex mu_;
  std::condition_variable wake_;
  bool sync_wanted_ = false;  // guarded by mu_
  bool stop_ = false;         // guarded by mu_
  Status sync_status_;        // guarded by mu_
  std::thread syncer_;        // runs SyncLoop when sync_interval > 0
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
