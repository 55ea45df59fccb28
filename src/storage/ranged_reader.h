// RangedReader: a RandomAccessSource over one remote object of known size, read with ranged GETs
// (S3 GetObject with Range, Azure Get Blob with x-ms-range).
//
// The caller gives the size: looked up, with the ETag that pins the object, before constructing
// the reader, or the size the reader was opened with (ReaderOptions::expected_size), which the
// first response checks and whose ETag it supplies (ObjectPin in storage/object_requests.h). The
// fetch and open functions send that ETag as If-Match, so an object replaced while being read
// fails instead of mixing versions. Sequential Read()s are one stream
// from the first Read() to the object's end, its body pulled straight into the caller's buffers
// as they come (NewRangeStream in storage/object_requests.h): the reader holds no window of the
// object, and the object costs one request however it is read. A stream that fails fails its
// Read(); the next Read() opens a new one where the reads stopped. ReadAt() fetches exactly the
// bytes asked for (no read-ahead for random access) and does not move the sequential position.
// Reads at or past the end return 0; an object that ends early is DataLoss.
// Thread-safety: single-threaded object.
#ifndef COFRE_STORAGE_RANGED_READER_H_
#define COFRE_STORAGE_RANGED_READER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "storage/external_storage.h"

namespace cofre {

// Reads bytes [offset, offset + n) into `out`; returns the count read (less than n only at the
// object's end).
using RangeFetch = std::function<StatusOr<size_t>(uint64_t offset, size_t n, char* out)>;
// Opens a stream of bytes [offset, end of the object).
using RangeOpen = std::function<StatusOr<std::unique_ptr<ByteSource>>(uint64_t offset)>;

class RangedReader : public RandomAccessSource {
 public:
  // `describe` names the object in messages ("s3://bucket/key").
  RangedReader(RangeFetch fetch, RangeOpen open, std::string describe, uint64_t size);

  uint64_t Size() const override { return size_; }
  StatusOr<size_t> Read(char* buf, size_t n) override;
  StatusOr<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override;

 private:
  // DataLoss: the object ended at byte `at`, before its size.
  Status Truncated(uint64_t at) const;

  const RangeFetch fetch_;
  const RangeOpen open_;
  const std::string describe_;
  const uint64_t size_;
  uint64_t pos_ = 0;  // sequential position
  // Bytes from pos_ on. Declared after open_, which may own what the stream uses.
  std::unique_ptr<ByteSource> stream_;
};

}  // namespace cofre

#endif  // COFRE_STORAGE_RANGED_READER_H_
