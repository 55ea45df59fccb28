// Opening directories and files below a storage root without following symbolic links.
//
// A collection is untrusted: a symbolic link inside it (a symlinked `incrementals/`, a data file
// linked to /etc/shadow) would redirect cofre's reads and writes outside the collection. These
// helpers walk a relative path one component at a time from a descriptor of the root, each step
// an openat(2) with O_NOFOLLOW, so no symbolic link below the root is ever followed, and a race
// that swaps a directory for a link cannot redirect the walk. The root's own path (what the user
// configured) may contain links. A link met on the way is FailedPrecondition naming the object.
// Thread-safety: free functions.
#ifndef COFRE_STORAGE_BENEATH_H_
#define COFRE_STORAGE_BENEATH_H_

#include <string>
#include <string_view>

#include "util/file_util.h"
#include "util/status.h"

namespace cofre {

// The error for a symbolic link at (or on the way to) `display`.
Status SymlinkRefused(std::string_view display);

// Opens directory `rel_dir` ("" = the root; components separated by '/') under `root`. With
// `create`, missing directories (the root included) are created and their parents synced.
// NotFound when a component is missing (and not `create`).
StatusOr<ScopedFd> OpenDirBeneath(const std::string& root, std::string_view rel_dir, bool create,
                                  std::string_view display);

// openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode); a link is SymlinkRefused.
StatusOr<ScopedFd> OpenAtNoFollow(int dirfd, const std::string& name, int flags, int mode,
                                  std::string_view display);

}  // namespace cofre

#endif  // COFRE_STORAGE_BENEATH_H_
