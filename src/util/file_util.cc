#include "util/file_util.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cofre {
namespace {

std::string ErrnoText(int err) {
  char buf[256];
  // GNU strerror_r returns a pointer that may or may not be `buf`.
  return std::string(strerror_r(err, buf, sizeof(buf)));
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Status ErrnoToStatus(int err, std::string_view action) {
  const std::string what(action);
  const std::string why = ErrnoText(err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return ResourceExhaustedError("disk full while " + what + ": " + why +
                                    "; free space on the volume or choose another destination");
    case EACCES:
    case EPERM:
    case EROFS:
      return PermissionDeniedError(what + " failed: " + why +
                                   "; check the permissions of the destination");
    case ENOENT:
    case ENOTDIR:
      return NotFoundError(what + " failed: " + why);
    case EEXIST:
      return AlreadyExistsError(what + " failed: " + why);
    case EINTR:
    case EAGAIN:
    case EBUSY:
    case ETIMEDOUT:
      return UnavailableError(what + " failed: " + why + "; retry the operation");
    case EIO:
      return DataLossError(what + " failed: " + why + "; the device reported an I/O error");
    default:
      return InternalError(what + " failed: " + why);
  }
}

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) ::close(fd_);
}

int ScopedFd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

Status ScopedFd::Close(std::string_view display) {
  if (fd_ < 0) return Status::OK();
  int fd = Release();
  // On Linux the descriptor is released even when close fails; never retry.
  if (::close(fd) != 0 && errno != EINTR) {
    return ErrnoToStatus(errno, "closing " + std::string(display));
  }
  return Status::OK();
}

StatusOr<ScopedFd> OpenFile(const std::string& path, int flags, int mode,
                            std::string_view display) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoToStatus(errno, "opening " + std::string(display));
  return ScopedFd(fd);
}

Status WriteFully(int fd, const char* data, size_t n, std::string_view display) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "writing " + std::string(display));
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::OK();
}

StatusOr<size_t> PreadFully(int fd, uint64_t offset, char* buf, size_t n,
                            std::string_view display) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "reading " + std::string(display));
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

Status SyncFd(int fd, std::string_view display) {
  if (::fsync(fd) != 0) return ErrnoToStatus(errno, "syncing " + std::string(display));
  return Status::OK();
}

Status SyncDir(const std::string& dir, std::string_view display) {
  ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(dir, O_RDONLY | O_DIRECTORY, 0, display));
  RETURN_IF_ERROR(SyncFd(fd.get(), display));
  return fd.Close(display);
}

Status CreateDirs(const std::string& dir, std::string_view display) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::OK();
    return AlreadyExistsError("creating directory " + std::string(display) +
                              " failed: a file with that name exists; remove it or choose "
                              "another path");
  }
  if (errno != ENOENT) return ErrnoToStatus(errno, "creating directory " + std::string(display));
  std::string parent = ParentDir(dir);
  if (parent != dir) RETURN_IF_ERROR(CreateDirs(parent, display));
  if (::mkdir(dir.c_str(), 0755) != 0) {
    // Another thread or process may have created it meanwhile.
    if (errno == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return Status::OK();
    }
    return ErrnoToStatus(errno, "creating directory " + std::string(display));
  }
  return SyncDir(parent, display);
}

Status RenameFile(const std::string& from, const std::string& to, std::string_view display) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoToStatus(errno, "publishing " + std::string(display));
  }
  return Status::OK();
}

Status RemoveFileIfExists(const std::string& path, std::string_view display) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, "deleting " + std::string(display));
  }
  return Status::OK();
}

Status WriteFileAtomically(const std::string& path, std::string_view data,
                           std::string_view display) {
  ASSIGN_OR_RETURN(std::string suffix, RandomHex(8));
  const std::string tmp = path + ".tmp-" + suffix;
  ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644, display));
  Status s = WriteFully(fd.get(), data.data(), data.size(), display);
  if (s.ok()) s = SyncFd(fd.get(), display);
  if (s.ok()) s = fd.Close(display);
  if (s.ok()) s = RenameFile(tmp, path, display);
  if (!s.ok()) {
    fd.Close(display).IgnoreError();
    RemoveFileIfExists(tmp, display).IgnoreError();
    return s;
  }
  return SyncDir(ParentDir(path), display);
}

StatusOr<std::string> RandomHex(size_t n_bytes) {
  std::string raw(n_bytes, '\0');
  size_t got = 0;
  while (got < n_bytes) {
    ssize_t r = ::getrandom(raw.data() + got, n_bytes - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "reading random bytes from the kernel");
    }
    got += static_cast<size_t>(r);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n_bytes);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace cofre
