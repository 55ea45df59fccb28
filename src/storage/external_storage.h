// ExternalStorage: where backups live (nodelocal, file, s3, in-memory, fault-injecting).
//
// Paths are relative to the storage's base URI, '/'-separated, never starting with '/' and never
// containing "." or ".." segments. A writer publishes its object atomically on Close(): readers
// see either nothing or the whole object (local: temp file, fsync, rename; S3: PUT or multipart
// complete). An abandoned writer (destroyed without Close) publishes nothing.
// Thread-safety: an ExternalStorage may be used from several threads at once; the readers and
// writers it returns are single-threaded objects.
#ifndef COFRE_STORAGE_EXTERNAL_STORAGE_H_
#define COFRE_STORAGE_EXTERNAL_STORAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"
#include "util/stream.h"

namespace cofre {

// A readable object: sequential reads plus ranged reads.
class RandomAccessSource : public ByteSource {
 public:
  // Total size of the object in bytes.
  virtual uint64_t Size() const = 0;
  // Reads up to n bytes at `offset` (does not move the sequential position).
  virtual StatusOr<size_t> ReadAt(uint64_t offset, char* buf, size_t n) = 0;
};

// Reads at `offset` until `n` bytes arrived or the object ended; returns how many arrived (as
// ReadFully does for sequential reads).
StatusOr<size_t> ReadFullyAt(RandomAccessSource& src, uint64_t offset, char* buf, size_t n);

struct ListEntry {
  std::string path;   // relative to the storage base; for common prefixes, ends with '/'
  uint64_t size = 0;  // 0 for common prefixes
  bool is_prefix = false;
};

// Options of ExternalStorage::NewReader.
struct ReaderOptions {
  // The object's size, when the caller knows it already (a backup file's size in its
  // authenticated manifest). Unset (the default): the store looks the size up when the reader
  // opens. Set: a store whose size lookup is a request of its own (S3 and Azure: a HEAD, one
  // round trip per file of a restore) makes none; its reader's Size() is this size, and the
  // first response that tells the object's actual size (every ranged GET does) is checked
  // against it: another size is DataLoss with ErrorDetail::kWrongObjectSize, and a missing
  // object is NotFound at that first read rather than at the open. Stores whose lookup is cheap
  // (local files, memory) look the size up anyway and report the actual one: callers compare.
  std::optional<uint64_t> expected_size;
};

class ExternalStorage {
 public:
  virtual ~ExternalStorage() = default;

  // The URI this storage was opened with, secrets redacted. Safe for messages and job records.
  virtual std::string RedactedUri() const = 0;

  // Opens a writer for `path`; the object appears at Close(). Overwrites an existing object.
  virtual StatusOr<std::unique_ptr<ByteSink>> NewWriter(const std::string& path) = 0;
  // Opens `path` for reading. NotFound when absent (with options.expected_size, possibly only
  // at the first read: ReaderOptions).
  virtual StatusOr<std::unique_ptr<RandomAccessSource>> NewReader(const std::string& path,
                                                                  const ReaderOptions& options) = 0;
  // NewReader with the default options.
  StatusOr<std::unique_ptr<RandomAccessSource>> NewReader(const std::string& path) {
    return NewReader(path, ReaderOptions());
  }
  // Size of `path`. NotFound when absent.
  virtual StatusOr<uint64_t> Size(const std::string& path) = 0;
  // Lists objects whose path starts with `prefix`, in lexicographic order. With a non-empty
  // `delimiter`, paths with the delimiter after the prefix are rolled up into one prefix entry.
  virtual Status List(const std::string& prefix, const std::string& delimiter,
                      const std::function<Status(const ListEntry&)>& fn) = 0;
  // Deletes `path`; deleting an absent object succeeds.
  virtual Status Delete(const std::string& path) = 0;
  // Removes what interrupted writes left under the directory `dir` (a path without a trailing
  // '/') where the storage keeps such leftovers, then the directories under `dir` left empty,
  // `dir` included. Objects are never removed; an absent `dir` succeeds. LocalStorage removes
  // the temp files of killed writers; object stores have neither temp files nor directories, and
  // the default does nothing.
  // REQUIRES: no writer is active under `dir` (its owner has finished or died).
  virtual Status RemoveLeftovers(const std::string& /*dir*/) { return Status::OK(); }
  // Removes what interrupted writes of the object `path` left (LocalStorage: its temp files),
  // never the object itself. The default does nothing.
  // REQUIRES: no writer of `path` is active.
  virtual Status RemoveInterruptedWrites(const std::string& /*path*/) { return Status::OK(); }
  // Whether what is read from this storage stays for a while in memory the operating system
  // manages (a local file's pages in the page cache), so that reading a file ahead of its use
  // makes the later read cheap (backup/file_read_ahead.h). False for remote storages, whose
  // bytes would travel twice.
  virtual bool ReadsAreCached() const { return false; }
  // Reads all of `path` (ReadSmallFile below). ResourceExhausted naming the object when it is
  // longer than `max_bytes`; NotFound when absent. The default opens a reader and reads the size
  // it reports; object stores override it with one GET whose body may not pass `max_bytes`,
  // instead of a HEAD and a GET.
  virtual StatusOr<std::string> ReadSmall(const std::string& path, size_t max_bytes);
};

// Writes `data` to `path` in one go (small files: LATEST, manifests, ENCRYPTION-INFO).
Status WriteSmallFile(ExternalStorage& storage, const std::string& path, std::string_view data);
// Reads all of `path` (refusing files larger than `max_bytes`): ExternalStorage::ReadSmall.
StatusOr<std::string> ReadSmallFile(ExternalStorage& storage, const std::string& path,
                                    size_t max_bytes = 64 << 20);
// The error of a small file longer than its limit: `described` (DescribeObject) is `size` bytes
// (when known), more than `max_bytes`.
Status SmallFileTooLargeError(const std::string& described, std::optional<uint64_t> size,
                              size_t max_bytes);

}  // namespace cofre

#endif  // COFRE_STORAGE_EXTERNAL_STORAGE_H_
