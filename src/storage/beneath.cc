#include "storage/beneath.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace cofre {

Status SymlinkRefused(std::string_view display) {
  return FailedPreconditionError(
             std::string(display) +
             " is, or is reached through, a symbolic link; cofre never follows symbolic links "
             "inside a collection")
      .WithHint(
          "replace the link with the directory or file itself, or point the URI at the "
          "real location");
}

namespace {

// Whether `name` in `dirfd` is a symbolic link.
bool IsLink(int dirfd, const std::string& name) {
  struct stat st;
  return ::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

}  // namespace

StatusOr<ScopedFd> OpenAtNoFollow(int dirfd, const std::string& name, int flags, int mode,
                                  std::string_view display) {
  int fd;
  do {
    fd = ::openat(dirfd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd >= 0) return ScopedFd(fd);
  const int err = errno;
  // O_NOFOLLOW on a link: ELOOP; with O_DIRECTORY, a link may also report ENOTDIR.
  if (err == ELOOP || ((err == ENOTDIR || err == EEXIST) && IsLink(dirfd, name))) {
    return SymlinkRefused(display);
  }
  return ErrnoToStatus(err, "opening " + std::string(display));
}

StatusOr<ScopedFd> OpenDirBeneath(const std::string& root, std::string_view rel_dir, bool create,
                                  std::string_view display) {
  if (create) RETURN_IF_ERROR(CreateDirs(root, display));
  ASSIGN_OR_RETURN(ScopedFd dir, OpenFile(root, O_RDONLY | O_DIRECTORY, 0, display));
  size_t pos = 0;
  while (pos < rel_dir.size()) {
    size_t slash = rel_dir.find('/', pos);
    if (slash == std::string_view::npos) slash = rel_dir.size();
    const std::string name(rel_dir.substr(pos, slash - pos));
    pos = slash + 1;
    if (name.empty()) continue;
    if (create && ::mkdirat(dir.get(), name.c_str(), 0755) == 0) {
      RETURN_IF_ERROR(SyncFd(dir.get(), display));
    } else if (create && errno != EEXIST) {
      return ErrnoToStatus(errno, "creating directory " + std::string(display));
    }
    ASSIGN_OR_RETURN(ScopedFd next,
                     OpenAtNoFollow(dir.get(), name, O_RDONLY | O_DIRECTORY, 0, display));
    dir = std::move(next);
  }
  return dir;
}

}  // namespace cofre
