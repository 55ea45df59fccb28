// ByteBuffer: a growable byte buffer whose new bytes are not initialized, for producers that
// size a stretch and then write every byte of it (std::string's resize zero-fills it first,
// which a restore paid for every byte of every row block).
// Thread-safety: a plain value; one thread at a time.
#ifndef COFRE_UTIL_BYTE_BUFFER_H_
#define COFRE_UTIL_BYTE_BUFFER_H_

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace cofre {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  // A moved-from buffer is empty, with no capacity.
  ByteBuffer(ByteBuffer&& other) noexcept { *this = std::move(other); }
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    return *this;
  }

  const char* data() const { return data_.get(); }
  char* data() { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return std::string_view(data_.get(), size_); }

  // Makes room for at least `n` bytes in all, keeping the contents.
  void reserve(size_t n) {
    if (n <= capacity_) return;
    std::unique_ptr<char[]> grown(new char[n]);  // not value-initialized: no zero fill
    if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    capacity_ = n;
  }
  // Adds `n` bytes whose contents are unspecified, for the caller to write; returns the first.
  // Grows by doubling, so that appends take amortized constant time.
  char* Extend(size_t n) {
    if (n > capacity_ - size_) reserve(std::max(size_ + n, 2 * capacity_));
    char* at = data_.get() + size_;
    size_ += n;
    return at;
  }
  void Append(std::string_view bytes) {
    if (!bytes.empty()) std::memcpy(Extend(bytes.size()), bytes.data(), bytes.size());
  }
  // Drops the bytes from `n` on. REQUIRES: n <= size().
  void Truncate(size_t n) { size_ = n; }
  void clear() { size_ = 0; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace cofre

#endif  // COFRE_UTIL_BYTE_BUFFER_H_
