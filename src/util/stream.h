// ByteSink and ByteSource: the streaming interfaces every pipeline stage speaks.
//
// A ByteSink consumes bytes in order; Close() flushes and commits (for storage: publishes the
// file). A sink that saw an error stays failed: later calls return the same error (sticky).
// Destroying a sink without Close() abandons it: nothing is published.
// A ByteSource yields bytes in order; Read returns 0 only at end of stream.
// Thread-safety: one thread at a time per object.
#ifndef COFRE_UTIL_STREAM_H_
#define COFRE_UTIL_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Appends `data`. May buffer.
  virtual Status Append(std::string_view data) = 0;
  // Flushes everything and commits. REQUIRES: called at most once; no Append after.
  virtual Status Close() = 0;
  // Bytes accepted so far (before any transformation this sink applies).
  virtual uint64_t BytesAppended() const = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes into `buf`. Returns the count read; 0 means end of stream.
  virtual StatusOr<size_t> Read(char* buf, size_t n) = 0;
};

// Reads exactly `n` bytes unless the stream ends first; returns the count read.
StatusOr<size_t> ReadFully(ByteSource& src, char* buf, size_t n);
// Reads the rest of `src` into a string (for small files only: manifests, ENCRYPTION-INFO).
StatusOr<std::string> ReadAll(ByteSource& src, size_t max_bytes);

// A ByteSink that appends into a string owned by the caller. For tests and small files.
class StringSink : public ByteSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  Status Append(std::string_view data) override;
  Status Close() override { return Status::OK(); }
  uint64_t BytesAppended() const override { return appended_; }

 private:
  std::string* out_;
  uint64_t appended_ = 0;
};

// A ByteSource over a string it owns.
class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  StatusOr<size_t> Read(char* buf, size_t n) override;

 private:
  std::string data_;
  size_t pos_ = 0;
};

}  // namespace cofre

#endif  // COFRE_UTIL_STREAM_H_
