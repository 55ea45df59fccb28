// RangedReader: a RandomAccessSource over one remote object of known size, read with ranged GETs
// (S3 GetObject with Range, Azure Get Blob with x-ms-range).
//
// The caller learns the size (and whatever version tag pins the object: an ETag for If-Match)
// before constructing the reader, and the fetch function carries that tag, so an object
// replaced while being read fails instead of mixing versions. Sequential Read() fetches
// `window` bytes per request into a buffer (one window is held at most); a Read() of at least a
// window goes straight into the caller's buffer. ReadAt() serves from the window when it can,
// else fetches exactly the bytes asked for (no read-ahead for random access). Reads at or past
// the end return 0; an object that ends early is DataLoss.
// Thread-safety: single-threaded object.
#ifndef COFRE_STORAGE_RANGED_READER_H_
#define COFRE_STORAGE_RANGED_READER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "storage/external_storage.h"

namespace cofre {

// Reads bytes [offset, offset + n) into `out`; returns the count read (less than n only at the
// object's end).
using RangeFetch = std::function<StatusOr<size_t>(uint64_t offset, size_t n, char* out)>;

class RangedReader : public RandomAccessSource {
 public:
  // `describe` names the object in messages ("s3://bucket/key").
  RangedReader(RangeFetch fetch, std::string describe, uint64_t size, size_t window);

  uint64_t Size() const override { return size_; }
  StatusOr<size_t> Read(char* buf, size_t n) override;
  StatusOr<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override;

 private:
  // Fetches [offset, offset + n) into buf and checks that all of it arrived.
  StatusOr<size_t> Fetch(uint64_t offset, char* buf, size_t n);

  const RangeFetch fetch_;
  const std::string describe_;
  const uint64_t size_;
  const size_t window_size_;
  uint64_t pos_ = 0;    // sequential position
  std::string window_;  // bytes [window_start_, window_start_ + window_.size())
  uint64_t window_start_ = 0;
};

}  // namespace cofre

#endif  // COFRE_STORAGE_RANGED_READER_H_
