#include "storage/s3_reader.h"

#include <algorithm>
#include <cstring>

namespace cofre {

StatusOr<std::unique_ptr<S3Reader>> S3Reader::Open(std::shared_ptr<S3Client> client,
                                                   std::string key, size_t window) {
  ASSIGN_OR_RETURN(S3ObjectInfo info, client->HeadObject(key));
  return std::unique_ptr<S3Reader>(new S3Reader(std::move(client), std::move(key), std::move(info),
                                                std::max<size_t>(window, 1)));
}

StatusOr<size_t> S3Reader::Fetch(uint64_t offset, char* buf, size_t n) {
  ASSIGN_OR_RETURN(size_t got, client_->GetRange(key_, offset, n, info_.etag, buf));
  if (got != n) {
    return DataLossError(client_->Describe(key_) + " ended after " + std::to_string(offset + got) +
                         " of " + std::to_string(info_.size) +
                         " bytes; it was truncated while being read");
  }
  return got;
}

StatusOr<size_t> S3Reader::Read(char* buf, size_t n) {
  if (pos_ >= info_.size || n == 0) return size_t{0};
  n = static_cast<size_t>(std::min<uint64_t>(n, info_.size - pos_));
  const bool in_window = pos_ >= window_start_ && pos_ < window_start_ + window_.size();
  if (!in_window) {
    if (n >= window_size_) {
      ASSIGN_OR_RETURN(size_t got, Fetch(pos_, buf, n));
      pos_ += got;
      return got;
    }
    size_t len = static_cast<size_t>(std::min<uint64_t>(window_size_, info_.size - pos_));
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

StatusOr<size_t> S3Reader::ReadAt(uint64_t offset, char* buf, size_t n) {
  if (offset >= info_.size || n == 0) return size_t{0};
  n = static_cast<size_t>(std::min<uint64_t>(n, info_.size - offset));
  if (offset >= window_start_ && offset + n <= window_start_ + window_.size()) {
    std::memcpy(buf, window_.data() + (offset - window_start_), n);
    return n;
  }
  return Fetch(offset, buf, n);
}

}  // namespace cofre
