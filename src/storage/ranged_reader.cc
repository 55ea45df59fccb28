#include "storage/ranged_reader.h"

#include <algorithm>
#include <cstring>

namespace cofre {

RangedReader::RangedReader(RangeFetch fetch, std::string describe, uint64_t size, size_t window)
    : fetch_(std::move(fetch)),
      describe_(std::move(describe)),
      size_(size),
      window_size_(std::max<size_t>(window, 1)) {}

StatusOr<size_t> RangedReader::Fetch(uint64_t offset, char* buf, size_t n) {
  ASSIGN_OR_RETURN(size_t got, fetch_(offset, n, buf));
  if (got != n) {
    return DataLossError(describe_ + " ended after " + std::to_string(offset + got) + " of " +
                         std::to_string(size_) + " bytes; it was truncated while being read");
  }
  return got;
}

StatusOr<size_t> RangedReader::Read(char* buf, size_t n) {
  if (pos_ >= size_ || n == 0) return size_t{0};
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - pos_));
  const bool in_window = pos_ >= window_start_ && pos_ < window_start_ + window_.size();
  if (!in_window) {
    if (n >= window_size_) {
      ASSIGN_OR_RETURN(size_t got, Fetch(pos_, buf, n));
      pos_ += got;
      return got;
    }
    size_t len = static_cast<size_t>(std::min<uint64_t>(window_size_, size_ - pos_));
    window_.resize(len);
    window_start_ = pos_;
    Status s = Fetch(pos_, window_.data(), len).status();
    if (!s.ok()) {
      window_.clear();
      return s;
    }
  }
  size_t off = static_cast<size_t>(pos_ - window_start_);
  size_t k = std::min(n, window_.size() - off);
  std::memcpy(buf, window_.data() + off, k);
  pos_ += k;
  return k;
}

StatusOr<size_t> RangedReader::ReadAt(uint64_t offset, char* buf, size_t n) {
  if (offset >= size_ || n == 0) return size_t{0};
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  if (offset >= window_start_ && offset + n <= window_start_ + window_.size()) {
    std::memcpy(buf, window_.data() + (offset - window_start_), n);
    return n;
  }
  return Fetch(offset, buf, n);
}

}  // namespace cofre
