#include "storage/ranged_reader.h"

#include <algorithm>

namespace cofre {

RangedReader::RangedReader(RangeFetch fetch, RangeOpen open, std::string describe, uint64_t size)
    : fetch_(std::move(fetch)),
      open_(std::move(open)),
      describe_(std::move(describe)),
      size_(size) {}

Status RangedReader::Truncated(uint64_t at) const {
  return DataLossError(describe_ + " ended after " + std::to_string(at) + " of " +
                       std::to_string(size_) + " bytes; it was truncated while being read");
}

StatusOr<size_t> RangedReader::Read(char* buf, size_t n) {
  if (pos_ >= size_ || n == 0) return size_t{0};
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - pos_));
  if (stream_ == nullptr) {
    ASSIGN_OR_RETURN(stream_, open_(pos_));
  }
  StatusOr<size_t> got = stream_->Read(buf, n);
  if (!got.ok()) {
    stream_.reset();  // the next Read() asks again from pos_
    return got.status();
  }
  if (*got == 0) {
    return Truncated(pos_);
  }
  pos_ += *got;
  return *got;
}

StatusOr<size_t> RangedReader::ReadAt(uint64_t offset, char* buf, size_t n) {
  if (offset >= size_ || n == 0) return size_t{0};
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  ASSIGN_OR_RETURN(size_t got, fetch_(offset, n, buf));
  if (got != n) {
    return Truncated(offset + got);
  }
  return got;
}

}  // namespace cofre
