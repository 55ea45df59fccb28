// LocalStorage: an ExternalStorage over a local directory (nodelocal://<node>/
// path, resolved under <data dir>/extern/, and file:///abs/path).
//
// Objects are regular files under the root directory; directories are created
// as needed. Nothing below the root is reached through a symbolic link: every
// open walks the path component by component with O_NOFOLLOW (storage/beneath.h),
// and a link in a collection (a symlinked incrementals/, a linked data file) is
// FailedPrecondition, for reads, writes, listing and deletes alike.
//
// Writers buffer bytes (1 MiB) into "<name>.tmp-<16 hex digits>" in the
// object's directory; Close() flushes, fsyncs the file, renames it over
// "<name>" and fsyncs the directory, so a reader sees the previous object,
// nothing, or the whole new object. A writer that fails, or is destroyed
// without Close(), removes its temp file. Temp files are never listed, and
// object names that look like temp files are refused.
//
// Readers are pread-based: sequential Read() is buffered (256 KiB) for small
// reads and reads larger requests directly; ReadAt() never moves the
// sequential position. Size is fixed at open.
//
// List walks the tree in lexicographic order of relative paths; with a
// delimiter, subtrees that roll up into one common prefix are not walked
// beyond their first object.
//
// Errors name the object relative to the storage URI:
//   ENOSPC/EDQUOT/EFBIG -> ResourceExhausted ("disk full while writing ...")
//   EACCES/EPERM/EROFS  -> PermissionDenied
//   absent objects      -> NotFound
//   invalid paths       -> InvalidArgument
// (util/file_util.h has the full mapping).
//
// Thread-safety: a LocalStorage may be used from several threads at once; its
// readers and writers are single-threaded objects and may outlive it.
#ifndef COFRE_STORAGE_LOCAL_STORAGE_H_
#define COFRE_STORAGE_LOCAL_STORAGE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "storage/external_storage.h"
#include "util/file_util.h"

namespace cofre {

class LocalStorage : public ExternalStorage {
 public:
  static constexpr size_t kWriteBufferSize = 1 << 20;
  static constexpr size_t kReadChunkSize = 256 << 10;

  // Returns a storage rooted at `root`, an absolute directory path without "."
  // or ".." segments (InvalidArgument otherwise). The directory need not exist
  // yet: reads find nothing and the first write creates it. `redacted_uri` is
  // how messages and RedactedUri() name the storage; it must not contain
  // secrets.
  static StatusOr<std::unique_ptr<LocalStorage>> New(std::string root, std::string redacted_uri);

  // True for names of in-progress writes: "<name>.tmp-<16 lower-case hex
  // digits>".
  static bool IsTempFileName(std::string_view name);

  // The absolute root directory (for tests and tools).
  const std::string& root() const { return root_; }

  std::string RedactedUri() const override { return redacted_uri_; }
  StatusOr<std::unique_ptr<ByteSink>> NewWriter(const std::string& path) override;
  using ExternalStorage::NewReader;
  StatusOr<std::unique_ptr<RandomAccessSource>> NewReader(const std::string& path,
                                                          const ReaderOptions& options) override;
  bool ReadsAreCached() const override { return true; }  // the page cache
  StatusOr<uint64_t> Size(const std::string& path) override;
  Status List(const std::string& prefix, const std::string& delimiter,
              const std::function<Status(const ListEntry&)>& fn) override;
  Status Delete(const std::string& path) override;
  // Removes the temp files under `dir` (what killed writers left) and then the directories
  // under `dir` that are empty, `dir` included.
  Status RemoveLeftovers(const std::string& dir) override;
  // Removes the temp files "<path>.tmp-<16 hex digits>".
  Status RemoveInterruptedWrites(const std::string& path) override;

 private:
  LocalStorage(std::string root, std::string redacted_uri)
      : root_(std::move(root)), redacted_uri_(std::move(redacted_uri)) {}

  std::string AbsPath(std::string_view rel) const;
  // Opens object `path` without following any link below the root (storage/beneath.h).
  StatusOr<ScopedFd> OpenBeneath(const std::string& path, int flags,
                                 const std::string& display) const;

  const std::string root_;  // absolute, no trailing '/' (except the root directory "/")
  const std::string redacted_uri_;
};

}  // namespace cofre

#endif  // COFRE_STORAGE_LOCAL_STORAGE_H_
