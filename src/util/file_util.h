// POSIX file helpers shared by the storage and engine layers: errno-to-Status
// mapping, an owning file descriptor, full writes and reads that retry on
// EINTR, fsync of files and directories, mkdir -p, rename and idempotent
// removal.
//
// Every function that can fail takes `display`: the name of the object as the
// user knows it (e.g. "'data/1.cfd' in nodelocal://1/backups"). Error messages
// use `display`, never the absolute path, so callers decide what a message
// reveals.
//
// Error mapping (ErrnoToStatus):
//   ENOSPC, EDQUOT, EFBIG        -> ResourceExhausted ("disk full while ...")
//   EACCES, EPERM, EROFS         -> PermissionDenied
//   ENOENT, ENOTDIR              -> NotFound
//   EEXIST                       -> AlreadyExists
//   EINTR, EAGAIN, EBUSY, ETIMEDOUT -> Unavailable
//   EIO                          -> DataLoss
//   anything else                -> Internal
//
// Thread-safety: all functions are thread-safe; a ScopedFd is a
// single-threaded value.
#ifndef COFRE_UTIL_FILE_UTIL_H_
#define COFRE_UTIL_FILE_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre {

// Builds the Status for a failed system call. `action` is a gerund phrase
// naming the object, e.g. "writing 'data/1.cfd' in nodelocal://1/b"; the
// message is "<action> failed: <strerror>" (or "disk full while <action>:
// <strerror>" for the ResourceExhausted family).
Status ErrnoToStatus(int err, std::string_view action);

// An owning file descriptor; closes it on destruction (errors on that path are
// ignored: call Close() to observe them). Movable, not copyable.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.Release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership and returns the descriptor.
  int Release();
  // Closes the descriptor and reports close(2)'s error (which can be a deferred
  // write error). Closing an invalid ScopedFd succeeds.
  Status Close(std::string_view display);

 private:
  int fd_ = -1;
};

// Opens `path` with open(2) `flags` (O_CLOEXEC is added) and `mode`.
StatusOr<ScopedFd> OpenFile(const std::string& path, int flags, int mode, std::string_view display);

// Writes all `n` bytes, retrying short writes and EINTR.
Status WriteFully(int fd, const char* data, size_t n, std::string_view display);

// Reads up to `n` bytes at `offset` with pread(2), retrying short reads and
// EINTR; returns fewer than `n` bytes only at end of file.
StatusOr<size_t> PreadFully(int fd, uint64_t offset, char* buf, size_t n, std::string_view display);

// fsync(2) of an open file.
Status SyncFd(int fd, std::string_view display);

// Opens directory `dir` and fsyncs it, making renames and creations inside it
// durable.
Status SyncDir(const std::string& dir, std::string_view display);

// Creates `dir` and any missing parents (mode 0755). Each newly created
// directory's parent is fsynced so that the new entry survives a crash.
// Succeeds when `dir` already exists as a directory; fails (AlreadyExists) when
// a path component is a regular file. REQUIRES: `dir` is absolute.
Status CreateDirs(const std::string& dir, std::string_view display);

// rename(2) `from` to `to` (atomically replacing `to`). Does not sync the
// directory.
Status RenameFile(const std::string& from, const std::string& to, std::string_view display);

// Removes the file `path`; succeeds when it does not exist.
Status RemoveFileIfExists(const std::string& path, std::string_view display);

// Writes `data` to `path` atomically and durably: temp file in the same
// directory, fsync, rename, fsync of the directory. The temp file is removed on
// failure.
Status WriteFileAtomically(const std::string& path, std::string_view data,
                           std::string_view display);

// Returns `n_bytes` random bytes from the kernel (getrandom(2)) as lower-case
// hex. For unique names, not for keys.
StatusOr<std::string> RandomHex(size_t n_bytes);

}  // namespace cofre

#endif  // COFRE_UTIL_FILE_UTIL_H_
