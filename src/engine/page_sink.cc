#include "engine/page_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/file_util.h"
#include "util/thread_name.h"

namespace cofre {

Status PwriteFully(int fd, uint64_t offset, const char* data, size_t n, const std::string& action) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, action);
    }
    if (w == 0) return ErrnoToStatus(ENOSPC, action);
    data += w;
    offset += static_cast<uint64_t>(w);
    n -= static_cast<size_t>(w);
  }
  return Status::OK();
}

WriteBehind::WriteBehind(int fd, Options options) : fd_(fd), options_(std::move(options)) {
  if (options_.sync_interval > 0) syncer_ = std::thread([this] { SyncLoop(); });
}

WriteBehind::~WriteBehind() { (void)Stop(); }

void WriteBehind::Wrote(uint64_t bytes) {
  if (options_.sync_interval > 0) {
    uint64_t unsynced = unsynced_.fetch_add(bytes) + bytes;
    if (unsynced >= options_.sync_interval && unsynced_.compare_exchange_strong(unsynced, 0)) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        sync_wanted_ = true;
      }
      wake_.notify_one();
    }
  }
  if (options_.interval == 0) return;
  uint64_t now = pending_.fetch_add(bytes) + bytes;
  // One of the threads that crossed the interval resets the count and starts the writeback.
  if (now < options_.interval || !pending_.compare_exchange_strong(now, 0)) return;
  (void)::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
}

void WriteBehind::SyncLoop() {
  NameThisThread("cofre-sync");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stop_ || sync_wanted_; });
    if (stop_) return;
    sync_wanted_ = false;
    lock.unlock();
    int rc;
    do {
      rc = ::fdatasync(fd_);
    } while (rc != 0 && errno == EINTR);
    const int err = rc != 0 ? errno : 0;
    syncs_.fetch_add(1);
    // Only clean pages go, and those are on the disk; a failure costs nothing but memory.
    if (err == 0 && options_.drop_behind &&
        ::posix_fadvise(fd_, static_cast<off_t>(options_.drop_from), 0, POSIX_FADV_DONTNEED) == 0) {
      drops_.fetch_add(1);
    }
    lock.lock();
    if (err != 0 && sync_status_.ok()) {
      sync_status_ = ErrnoToStatus(err, "syncing " + options_.display);
    }
  }
}

Status WriteBehind::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  if (syncer_.joinable()) syncer_.join();
  std::lock_guard<std::mutex> lock(mu_);
  return sync_status_;
}

PageSink::PageSink(int fd, uint32_t page_size, PageAllocator* allocator, std::string display,
                   uint32_t run_pages, WriteBehind* write_behind)
    : fd_(fd),
      page_size_(page_size),
      allocator_(allocator),
      display_(std::move(display)),
      run_pages_(run_pages == 0 ? 1 : run_pages),
      write_behind_(write_behind),
      scratch_(page_size) {}

StatusOr<uint32_t> PageSink::NewPage() {
  if (run_.count == 0) {
    ASSIGN_OR_RETURN(run_, allocator_->Allocate(run_pages_));
  }
  --run_.count;
  return run_.first++;
}

Status PageSink::Write(uint32_t pgno, const char* page) {
  const bool contiguous = buf_count_ > 0 && pgno == buf_first_ + buf_count_;
  if (!contiguous || buf_count_ == run_pages_) {
    RETURN_IF_ERROR(Flush());
    buf_first_ = pgno;
  }
  const size_t need = size_t{buf_count_ + 1} * page_size_;
  if (buf_.size() < need) buf_.resize(std::max(need, size_t{run_pages_} * page_size_));
  std::memcpy(buf_.data() + size_t{buf_count_} * page_size_, page, page_size_);
  ++buf_count_;
  return Status::OK();
}

Status PageSink::Flush() {
  if (buf_count_ == 0) return Status::OK();
  const uint32_t first = buf_first_, count = buf_count_;
  buf_count_ = 0;
  std::string action = "writing page " + std::to_string(first);
  if (count > 1) action += "-" + std::to_string(first + count - 1);
  action += " of " + display_;
  const size_t bytes = size_t{count} * page_size_;
  RETURN_IF_ERROR(PwriteFully(fd_, uint64_t{first - 1} * page_size_, buf_.data(), bytes, action));
  if (write_behind_) write_behind_->Wrote(bytes);
  return Status::OK();
}

Status PageSink::Finish() {
  Status s = Flush();
  allocator_->Release(run_);
  run_ = PageAllocator::Run{};
  return s;
}

}  // namespace cofre
