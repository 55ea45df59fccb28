// S3Reader: a RandomAccessSource over one S3 object, read with ranged GETs.
//
// The size and ETag come from the HEAD done by Open(); every GET carries If-Match with that
// ETag, so an object replaced while being read fails with FailedPrecondition instead of mixing
// versions. Sequential Read() fetches `window` bytes per GET into a buffer (one window is held
// at most); a Read() of at least a window goes straight into the caller's buffer. ReadAt()
// serves from the window when it can, else GETs exactly the bytes asked for (no read-ahead for
// random access). Reads at or past the end return 0.
// Thread-safety: single-threaded object.
#ifndef COFRE_STORAGE_S3_READER_H_
#define COFRE_STORAGE_S3_READER_H_

#include <memory>
#include <string>

#include "storage/external_storage.h"
#include "storage/s3_client.h"

namespace cofre {

class S3Reader : public RandomAccessSource {
 public:
  // HEADs `key`: NotFound when absent (or when the bucket is).
  static StatusOr<std::unique_ptr<S3Reader>> Open(std::shared_ptr<S3Client> client, std::string key,
                                                  size_t window);

  uint64_t Size() const override { return info_.size; }
  StatusOr<size_t> Read(char* buf, size_t n) override;
  StatusOr<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override;

 private:
  S3Reader(std::shared_ptr<S3Client> client, std::string key, S3ObjectInfo info, size_t window)
      : client_(std::move(client)),
        key_(std::move(key)),
        info_(std::move(info)),
        window_size_(window) {}

  // GETs [offset, offset + n) into buf and checks that all of it arrived.
  StatusOr<size_t> Fetch(uint64_t offset, char* buf, size_t n);

  std::shared_ptr<S3Client> client_;
  const std::string key_;
  const S3ObjectInfo info_;
  const size_t window_size_;
  uint64_t pos_ = 0;    // sequential position
  std::string window_;  // bytes [window_start_, window_start_ + window_.size())
  uint64_t window_start_ = 0;
};

}  // namespace cofre

#endif  // COFRE_STORAGE_S3_READER_H_
