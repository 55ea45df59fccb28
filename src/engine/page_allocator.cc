#include "engine/page_allocator.h"

#include <algorithm>

namespace cofre {

PageAllocator::PageAllocator(uint32_t page_count, uint32_t page_size, uint64_t pending_byte)
    : next_(page_count + 1), pending_page_(static_cast<uint32_t>(pending_byte / page_size + 1)) {}

StatusOr<PageAllocator::Run> PageAllocator::Allocate(uint32_t want) {
  std::lock_guard<std::mutex> lock(mu_);
  if (want == 0) want = 1;
  if (!released_.empty()) {
    Run& r = released_.back();
    Run out{r.first, std::min(r.count, want)};
    r.first += out.count;
    r.count -= out.count;
    if (r.count == 0) released_.pop_back();
    return out;
  }
  if (next_ == pending_page_) ++next_;
  uint64_t end = uint64_t{next_} + want;  // exclusive
  if (next_ < pending_page_ && end > pending_page_) end = pending_page_;
  if (end - 1 > kMaxPageCount) {
    if (next_ > kMaxPageCount) {
      return ResourceExhaustedError("the database reached SQLite's maximum of " +
                                    std::to_string(kMaxPageCount) + " pages");
    }
    end = uint64_t{kMaxPageCount} + 1;
  }
  Run out{next_, static_cast<uint32_t>(end - next_)};
  next_ = static_cast<uint32_t>(end);
  return out;
}

void PageAllocator::Release(Run run) {
  if (run.count == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  released_.push_back(run);
}

void PageAllocator::Finalize(uint32_t* page_count, std::vector<uint32_t>* unused) {
  std::lock_guard<std::mutex> lock(mu_);
  std::sort(released_.begin(), released_.end(),
            [](const Run& a, const Run& b) { return a.first < b.first; });
  uint32_t last = next_ - 1;  // highest page handed out (or the original last page)
  for (;;) {
    if (last == pending_page_ && last > 1) {
      --last;
      continue;
    }
    if (!released_.empty() && released_.back().first + released_.back().count - 1 == last) {
      last = released_.back().first - 1;
      released_.pop_back();
      continue;
    }
    break;
  }
  *page_count = last;
  unused->clear();
  for (const Run& r : released_) {
    for (uint32_t k = 0; k < r.count; ++k) unused->push_back(r.first + k);
  }
  released_.clear();
  next_ = last + 1;
}

}  // namespace cofre
