#include "storage/local_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "storage/beneath.h"
#include "storage/object_path.h"
#include "util/file_util.h"

namespace cofre {
namespace {

constexpr std::string_view kTempMarker = ".tmp-";
constexpr size_t kTempSuffixHexDigits = 16;

// Splits a relative object path into its directory ("" at the root) and its name.
std::pair<std::string, std::string> SplitPath(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return {std::string(), path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

// Writes into a temp file and publishes it by rename on Close(). See
// local_storage.h.
class LocalWriter : public ByteSink {
 public:
  // `fd` is the temp file `tmp_name` in directory `dir` (both opened without following links);
  // Close() renames it to `final_name` in the same directory.
  LocalWriter(ScopedFd dir, ScopedFd fd, std::string tmp_name, std::string final_name,
              std::string display)
      : dir_(std::move(dir)),
        fd_(std::move(fd)),
        tmp_name_(std::move(tmp_name)),
        final_name_(std::move(final_name)),
        display_(std::move(display)) {}

  ~LocalWriter() override {
    if (!closed_ && status_.ok()) Abandon();
  }

  Status Append(std::string_view data) override {
    if (!status_.ok()) return status_;
    if (closed_) return FailedPreconditionError("append to " + display_ + " after Close()");
    appended_ += data.size();
    if (buffered_ + data.size() <= LocalStorage::kWriteBufferSize) {
      if (buffer_ == nullptr)
        buffer_ = std::make_unique_for_overwrite<char[]>(LocalStorage::kWriteBufferSize);
      std::memcpy(buffer_.get() + buffered_, data.data(), data.size());
      buffered_ += data.size();
      return Status::OK();
    }
    RETURN_IF_ERROR(Fail(Flush()));
    if (data.size() >= LocalStorage::kWriteBufferSize) {
      return Fail(WriteFully(fd_.get(), data.data(), data.size(), display_));
    }
    if (buffer_ == nullptr)
      buffer_ = std::make_unique_for_overwrite<char[]>(LocalStorage::kWriteBufferSize);
    std::memcpy(buffer_.get(), data.data(), data.size());
    buffered_ = data.size();
    return Status::OK();
  }

  Status Close() override {
    if (!status_.ok()) return status_;
    if (closed_) return FailedPreconditionError("writer for " + display_ + " closed twice");
    closed_ = true;
    RETURN_IF_ERROR(Fail(Flush()));
    RETURN_IF_ERROR(Fail(SyncFd(fd_.get(), display_)));
    RETURN_IF_ERROR(Fail(fd_.Close(display_)));
    if (::renameat(dir_.get(), tmp_name_.c_str(), dir_.get(), final_name_.c_str()) != 0) {
      return Fail(ErrnoToStatus(errno, "publishing " + display_));
    }
    // The object is visible now; make the rename durable.
    Status s = SyncFd(dir_.get(), display_);
    if (!s.ok()) status_ = s;
    return s;
  }

  uint64_t BytesAppended() const override { return appended_; }

 private:
  Status Flush() {
    if (buffered_ == 0) return Status::OK();
    size_t n = buffered_;
    buffered_ = 0;
    return WriteFully(fd_.get(), buffer_.get(), n, display_);
  }

  // Makes a failure sticky and removes the temp file at once (freeing space on
  // a full disk).
  Status Fail(Status s) {
    if (!s.ok()) {
      status_ = s;
      Abandon();
    }
    return s;
  }

  void Abandon() {
    fd_.Close(display_).IgnoreError();
    ::unlinkat(dir_.get(), tmp_name_.c_str(), 0);
    buffer_.reset();
  }

  ScopedFd dir_;
  ScopedFd fd_;
  const std::string tmp_name_;
  const std::string final_name_;
  const std::string display_;
  std::unique_ptr<char[]> buffer_;
  size_t buffered_ = 0;
  uint64_t appended_ = 0;
  bool closed_ = false;
  Status status_;
};

// Reads one published file with pread. See local_storage.h.
class LocalReader : public RandomAccessSource {
 public:
  LocalReader(ScopedFd fd, uint64_t size, std::string display)
      : fd_(std::move(fd)), size_(size), display_(std::move(display)) {}

  uint64_t Size() const override { return size_; }

  StatusOr<size_t> Read(char* buf, size_t n) override {
    if (n == 0) return size_t{0};
    if (buf_pos_ < buf_len_) {
      size_t k = std::min(n, buf_len_ - buf_pos_);
      std::memcpy(buf, buffer_.get() + buf_pos_, k);
      buf_pos_ += k;
      pos_ += k;
      return k;
    }
    if (n >= LocalStorage::kReadChunkSize) {
      ASSIGN_OR_RETURN(size_t got, PreadFully(fd_.get(), pos_, buf, n, display_));
      pos_ += got;
      return got;
    }
    if (buffer_ == nullptr)
      buffer_ = std::make_unique_for_overwrite<char[]>(LocalStorage::kReadChunkSize);
    ASSIGN_OR_RETURN(buf_len_, PreadFully(fd_.get(), pos_, buffer_.get(),
                                          LocalStorage::kReadChunkSize, display_));
    buf_pos_ = 0;
    size_t k = std::min(n, buf_len_);
    std::memcpy(buf, buffer_.get(), k);
    buf_pos_ = k;
    pos_ += k;
    return k;
  }

  StatusOr<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
    return PreadFully(fd_.get(), offset, buf, n, display_);
  }

 private:
  ScopedFd fd_;
  const uint64_t size_;
  const std::string display_;
  uint64_t pos_ = 0;
  std::unique_ptr<char[]> buffer_;
  size_t buf_len_ = 0;
  size_t buf_pos_ = 0;
};

// One directory entry of interest to List.
struct DirItem {
  std::string name;
  std::string key;  // name, plus '/' for directories: sorting keys sorts full paths
  bool is_dir = false;
  uint64_t size = 0;
};

// Reads the directory `abs`, skipping temp files and anything that is neither a
// regular file nor a directory. A missing directory reads as empty.
StatusOr<std::vector<DirItem>> ReadDirSorted(const std::string& abs, const std::string& display) {
  std::vector<DirItem> items;
  DIR* dir = ::opendir(abs.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return items;
    return ErrnoToStatus(errno, "listing " + display);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, &::closedir);
  while (true) {
    errno = 0;
    struct dirent* ent = ::readdir(dir);
    if (ent == nullptr) {
      if (errno != 0) return ErrnoToStatus(errno, "listing " + display);
      break;
    }
    std::string_view name = ent->d_name;
    if (name == "." || name == ".." || LocalStorage::IsTempFileName(name)) continue;
    struct stat st;
    if (::fstatat(::dirfd(dir), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // deleted meanwhile
      return ErrnoToStatus(errno, "listing " + display);
    }
    if (S_ISLNK(st.st_mode)) {
      return SymlinkRefused("\"" + std::string(name) + "\", listing " + display + ",");
    }
    DirItem item;
    item.name = std::string(name);
    if (S_ISDIR(st.st_mode)) {
      item.is_dir = true;
      item.key = item.name + "/";
    } else if (S_ISREG(st.st_mode)) {
      item.key = item.name;
      item.size = static_cast<uint64_t>(st.st_size);
    } else {
      continue;
    }
    items.push_back(std::move(item));
  }
  std::sort(items.begin(), items.end(),
            [](const DirItem& a, const DirItem& b) { return a.key < b.key; });
  return items;
}

// True when the tree under `abs` holds at least one object.
StatusOr<bool> HasAnyObject(const std::string& abs, const std::string& display) {
  ASSIGN_OR_RETURN(std::vector<DirItem> items, ReadDirSorted(abs, display));
  for (const DirItem& item : items) {
    if (!item.is_dir) return true;
  }
  for (const DirItem& item : items) {
    ASSIGN_OR_RETURN(bool found, HasAnyObject(abs + "/" + item.name, display));
    if (found) return true;
  }
  return false;
}

// Lists the directory `abs` whose path relative to the root is `rel` ("" or
// ending in '/').
Status Walk(const std::string& abs, const std::string& rel, const std::string& prefix,
            const std::string& display, ListRollup& rollup) {
  ASSIGN_OR_RETURN(std::vector<DirItem> items, ReadDirSorted(abs, display));
  for (const DirItem& item : items) {
    std::string child_rel = rel + item.key;
    if (!child_rel.starts_with(prefix)) {
      if (item.is_dir && prefix.starts_with(child_rel)) {
        RETURN_IF_ERROR(Walk(abs + "/" + item.name, child_rel, prefix, display, rollup));
      }
      continue;
    }
    if (!item.is_dir) {
      RETURN_IF_ERROR(rollup.AddObject(child_rel, item.size));
      continue;
    }
    const std::string child_abs = abs + "/" + item.name;
    if (std::optional<std::string> common = rollup.CommonPrefixCovering(child_rel)) {
      ASSIGN_OR_RETURN(bool any, HasAnyObject(child_abs, display));
      if (any) RETURN_IF_ERROR(rollup.AddCommonPrefix(*common));
      continue;
    }
    RETURN_IF_ERROR(Walk(child_abs, child_rel, prefix, display, rollup));
  }
  return Status::OK();
}

}  // namespace

StatusOr<std::unique_ptr<LocalStorage>> LocalStorage::New(std::string root,
                                                          std::string redacted_uri) {
  if (root.empty() || root.front() != '/') {
    return InvalidArgumentError("local storage " + redacted_uri +
                                " needs an absolute directory path");
  }
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  for (size_t start = 1; root != "/" && start <= root.size();) {
    size_t slash = std::min(root.find('/', start), root.size());
    std::string_view seg = std::string_view(root).substr(start, slash - start);
    if (seg.empty() || seg == "." || seg == "..") {
      return InvalidArgumentError("local storage " + redacted_uri +
                                  " resolves to a directory path with an empty, '.' or '..' "
                                  "segment; use a plain absolute path");
    }
    start = slash + 1;
  }
  return std::unique_ptr<LocalStorage>(new LocalStorage(std::move(root), std::move(redacted_uri)));
}

bool LocalStorage::IsTempFileName(std::string_view name) {
  if (name.size() < kTempMarker.size() + kTempSuffixHexDigits + 1) return false;
  std::string_view suffix = name.substr(name.size() - kTempSuffixHexDigits);
  std::string_view marker =
      name.substr(name.size() - kTempSuffixHexDigits - kTempMarker.size(), kTempMarker.size());
  if (marker != kTempMarker) return false;
  return std::all_of(suffix.begin(), suffix.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string LocalStorage::AbsPath(std::string_view rel) const {
  if (rel.empty()) return root_;
  return (root_ == "/" ? std::string() : root_) + "/" + std::string(rel);
}

StatusOr<ScopedFd> LocalStorage::OpenBeneath(const std::string& path, int flags,
                                             const std::string& display) const {
  auto [dir_rel, name] = SplitPath(path);
  ASSIGN_OR_RETURN(ScopedFd dir, OpenDirBeneath(root_, dir_rel, /*create=*/false, display));
  return OpenAtNoFollow(dir.get(), name, flags, 0, display);
}

StatusOr<std::unique_ptr<ByteSink>> LocalStorage::NewWriter(const std::string& path) {
  RETURN_IF_ERROR(ValidateObjectPath(path, redacted_uri_));
  const std::string display = DescribeObject(path, redacted_uri_);
  size_t slash = path.find_last_of('/');
  std::string_view name = slash == std::string::npos ? std::string_view(path)
                                                     : std::string_view(path).substr(slash + 1);
  if (IsTempFileName(name)) {
    return InvalidArgumentError("invalid object path " + display +
                                ": names ending in '.tmp-' and 16 hex digits are reserved for "
                                "in-progress writes");
  }
  const std::string dir_display = slash == std::string::npos
                                      ? redacted_uri_
                                      : DescribeObject(path.substr(0, slash), redacted_uri_);
  auto [dir_rel, final_name] = SplitPath(path);
  ASSIGN_OR_RETURN(ScopedFd dir, OpenDirBeneath(root_, dir_rel, /*create=*/true, dir_display));
  ASSIGN_OR_RETURN(std::string suffix, RandomHex(kTempSuffixHexDigits / 2));
  std::string tmp = final_name + std::string(kTempMarker) + suffix;
  ASSIGN_OR_RETURN(ScopedFd fd,
                   OpenAtNoFollow(dir.get(), tmp, O_WRONLY | O_CREAT | O_EXCL, 0644, display));
  // The final name may not be a link either (rename would replace the link, but say so).
  struct stat st;
  if (::fstatat(dir.get(), final_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISLNK(st.st_mode)) {
    ::unlinkat(dir.get(), tmp.c_str(), 0);
    return SymlinkRefused(display);
  }
  return std::unique_ptr<ByteSink>(
      new LocalWriter(std::move(dir), std::move(fd), std::move(tmp), final_name, display));
}

// The size is looked up however options.expected_size is set: a stat costs no request.
StatusOr<std::unique_ptr<RandomAccessSource>> LocalStorage::NewReader(
    const std::string& path, const ReaderOptions& /*options*/) {
  RETURN_IF_ERROR(ValidateObjectPath(path, redacted_uri_));
  const std::string display = DescribeObject(path, redacted_uri_);
  StatusOr<ScopedFd> fd = OpenBeneath(path, O_RDONLY, display);
  if (!fd.ok()) {
    if (IsNotFound(fd.status())) return NotFoundError(display + " does not exist");
    return fd.status();
  }
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return ErrnoToStatus(errno, "reading " + display);
  if (!S_ISREG(st.st_mode)) return NotFoundError(display + " is a directory, not an object");
  ::posix_fadvise(fd->get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<RandomAccessSource>(
      new LocalReader(std::move(*fd), static_cast<uint64_t>(st.st_size), display));
}

StatusOr<uint64_t> LocalStorage::Size(const std::string& path) {
  RETURN_IF_ERROR(ValidateObjectPath(path, redacted_uri_));
  const std::string display = DescribeObject(path, redacted_uri_);
  auto [dir_rel, name] = SplitPath(path);
  StatusOr<ScopedFd> dir = OpenDirBeneath(root_, dir_rel, /*create=*/false, display);
  if (!dir.ok()) {
    if (IsNotFound(dir.status())) return NotFoundError(display + " does not exist");
    return dir.status();
  }
  struct stat st;
  if (::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return NotFoundError(display + " does not exist");
    return ErrnoToStatus(errno, "reading the size of " + display);
  }
  if (S_ISLNK(st.st_mode)) return SymlinkRefused(display);
  if (!S_ISREG(st.st_mode)) return NotFoundError(display + " is a directory, not an object");
  return static_cast<uint64_t>(st.st_size);
}

Status LocalStorage::List(const std::string& prefix, const std::string& delimiter,
                          const std::function<Status(const ListEntry&)>& fn) {
  RETURN_IF_ERROR(ValidateListPrefix(prefix, redacted_uri_));
  const std::string display = DescribeObject(prefix, redacted_uri_);
  size_t slash = prefix.find_last_of('/');
  std::string start_rel = slash == std::string::npos ? std::string() : prefix.substr(0, slash + 1);
  std::string start_abs =
      start_rel.empty() ? root_ : AbsPath(std::string_view(start_rel).substr(0, slash));
  // The directories down to the start may not be links (below it, Walk refuses them).
  StatusOr<ScopedFd> start = OpenDirBeneath(
      root_, std::string_view(start_rel).substr(0, start_rel.empty() ? 0 : slash), false, display);
  if (!start.ok() && start.status().code() == StatusCode::kFailedPrecondition) {
    return start.status();
  }
  ListRollup rollup(prefix, delimiter, fn);
  return Walk(start_abs, start_rel, prefix, display, rollup);
}

Status LocalStorage::Delete(const std::string& path) {
  RETURN_IF_ERROR(ValidateObjectPath(path, redacted_uri_));
  const std::string display = DescribeObject(path, redacted_uri_);
  auto [dir_rel, name] = SplitPath(path);
  StatusOr<ScopedFd> dir = OpenDirBeneath(root_, dir_rel, /*create=*/false, display);
  if (!dir.ok()) return IsNotFound(dir.status()) ? Status::OK() : dir.status();
  if (::unlinkat(dir->get(), name.c_str(), 0) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::OK();
    if (errno == EISDIR) {
      return FailedPreconditionError("cannot delete " + display +
                                     ": it is a directory, not an object");
    }
    return ErrnoToStatus(errno, "deleting " + display);
  }
  return Status::OK();
}

namespace {

// Removes the temp files in the tree under `abs`, then its empty directories bottom-up (`abs`
// included). Objects are kept, and so are the directories holding them.
Status RemoveLeftoversIn(const std::string& abs, const std::string& display) {
  DIR* dir = ::opendir(abs.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::OK();
    return ErrnoToStatus(errno, "listing " + display);
  }
  std::vector<std::string> subdirs, temps;
  {
    std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, &::closedir);
    while (struct dirent* ent = ::readdir(dir)) {
      std::string_view name = ent->d_name;
      if (name == "." || name == "..") continue;
      struct stat st;
      if (::fstatat(::dirfd(dir), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        subdirs.emplace_back(name);
      } else if (S_ISREG(st.st_mode) && LocalStorage::IsTempFileName(name)) {
        temps.emplace_back(name);
      }
    }
  }
  for (const std::string& name : temps) {
    RETURN_IF_ERROR(RemoveFileIfExists(abs + "/" + name, display));
  }
  for (const std::string& name : subdirs) {
    RETURN_IF_ERROR(RemoveLeftoversIn(abs + "/" + name, display));
  }
  if (::rmdir(abs.c_str()) != 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT) {
    return ErrnoToStatus(errno, "removing the empty directory " + display);
  }
  return Status::OK();
}

}  // namespace

Status LocalStorage::RemoveInterruptedWrites(const std::string& path) {
  RETURN_IF_ERROR(ValidateObjectPath(path, redacted_uri_));
  const std::string display = DescribeObject(path, redacted_uri_);
  auto [dir_rel, name] = SplitPath(path);
  StatusOr<ScopedFd> parent = OpenDirBeneath(root_, dir_rel, /*create=*/false, display);
  if (!parent.ok()) return IsNotFound(parent.status()) ? Status::OK() : parent.status();
  const int listing_fd = ::dup(parent->get());
  DIR* dir = listing_fd < 0 ? nullptr : ::fdopendir(listing_fd);
  if (dir == nullptr) {
    if (listing_fd >= 0) ::close(listing_fd);
    return ErrnoToStatus(errno, "listing the directory of " + display);
  }
  std::vector<std::string> temps;
  {
    std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, &::closedir);
    while (struct dirent* ent = ::readdir(dir)) {
      std::string_view entry = ent->d_name;
      if (entry.size() == name.size() + kTempMarker.size() + kTempSuffixHexDigits &&
          entry.substr(0, name.size()) == name && IsTempFileName(entry)) {
        temps.emplace_back(entry);
      }
    }
  }
  for (const std::string& temp : temps) {
    if (::unlinkat(parent->get(), temp.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoToStatus(errno, "removing " + display);
    }
  }
  return Status::OK();
}

Status LocalStorage::RemoveLeftovers(const std::string& dir) {
  RETURN_IF_ERROR(ValidateObjectPath(dir, redacted_uri_));
  const std::string display = DescribeObject(dir, redacted_uri_);
  // Refuse a tree reached through a link (below it, entries are examined without following).
  StatusOr<ScopedFd> top = OpenDirBeneath(root_, dir, /*create=*/false, display);
  if (!top.ok()) return IsNotFound(top.status()) ? Status::OK() : top.status();
  return RemoveLeftoversIn(AbsPath(dir), display);
}

}  // namespace cofre
