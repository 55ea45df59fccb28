#include "engine/file_state.h"

#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstring>

#include "engine/big_endian.h"

namespace cofre {

namespace {

constexpr char kMagic[4] = {'C', 'F', 'S', '1'};

int64_t WallNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t Nanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Not present when absent or empty; an error for any other failure.
StatusOr<FileStat> StatOne(const std::string& path) {
  struct stat st;
  FileStat out;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return out;
    return InternalError("cannot stat " + path + ": " + std::strerror(errno));
  }
  if (st.st_size == 0) return out;
  out.present = true;
  out.dev = st.st_dev;
  out.ino = st.st_ino;
  out.size = static_cast<uint64_t>(st.st_size);
  out.mtime_ns = Nanos(st.st_mtim);
  out.ctime_ns = Nanos(st.st_ctim);
  return out;
}

int64_t MarginNanos(const FileStat& f) {
  const bool whole_seconds = f.mtime_ns % 1000000000 == 0 && f.ctime_ns % 1000000000 == 0;
  return std::chrono::nanoseconds(whole_seconds ? kRacyMarginCoarse : kRacyMargin).count();
}

// True when `f` changed too close to `now` for a later write to be sure to change its times.
bool Racy(const FileStat& f, int64_t now) {
  if (!f.present) return false;
  return std::max(f.mtime_ns, f.ctime_ns) > now - MarginNanos(f);
}

void Put64(uint64_t v, std::string* out) {
  big_endian::Append32(out, static_cast<uint32_t>(v >> 32));
  big_endian::Append32(out, static_cast<uint32_t>(v));
}

void PutStat(const FileStat& f, std::string* out) {
  out->push_back(f.present ? 1 : 0);
  for (uint64_t v : {f.dev, f.ino, f.size, static_cast<uint64_t>(f.mtime_ns),
                     static_cast<uint64_t>(f.ctime_ns)}) {
    Put64(v, out);
  }
}

}  // namespace

// Filesystems whose times a write sets from this machine's clock (statfs f_type): ext2-4, XFS,
// Btrfs, tmpfs, overlayfs, F2FS, ZFS. Elsewhere (NFS, SMB, FUSE: times from another clock) no
// token is made.
bool LocalTimes(const std::string& path) {
  struct statfs fs;
  if (::statfs(path.c_str(), &fs) != 0) return false;
  switch (static_cast<uint64_t>(fs.f_type)) {
    case 0xEF53:      // ext2, ext3, ext4
    case 0x58465342:  // XFS
    case 0x9123683E:  // Btrfs
    case 0x01021994:  // tmpfs
    case 0x794C7630:  // overlayfs
    case 0xF2F52010:  // F2FS
    case 0x2FC12FC1:  // ZFS
      return true;
    default:
      return false;
  }
}

StatusOr<FileStats> StatDatabaseFiles(const std::string& path) {
  FileStats s;
  s.local_times = LocalTimes(path);
  s.read_at_ns = WallNanos();
  ASSIGN_OR_RETURN(s.db, StatOne(path));
  if (!s.db.present) return FailedPreconditionError("database file " + path + " is missing");
  ASSIGN_OR_RETURN(s.wal, StatOne(path + "-wal"));
  return s;
}

std::optional<std::string> FileStateToken(const FileStats& before, const FileStats& after,
                                          bool wal_mode,
                                          const std::optional<WalSnapshotHeader>& wal,
                                          uint32_t change_counter) {
  if (wal_mode && !wal) return std::nullopt;
  if (!before.local_times || !after.local_times) return std::nullopt;
  // In WAL mode the WAL's content is the wal-index header's (below), not its file's times: a
  // connection opening the WAL as root re-owns it (fchown), which sets its ctime.
  const FileStat no_wal;
  const FileStat& wal_before = wal_mode ? no_wal : before.wal;
  const FileStat& wal_after = wal_mode ? no_wal : after.wal;
  if (!(before.db == after.db) || !(wal_before == wal_after)) return std::nullopt;
  if (Racy(before.db, before.read_at_ns) || Racy(wal_before, before.read_at_ns)) {
    return std::nullopt;
  }
  std::string token(kMagic, sizeof(kMagic));
  PutStat(after.db, &token);
  PutStat(wal_after, &token);
  token.push_back(wal_mode ? 1 : 0);
  if (wal_mode) {
    Put64(wal->max_frame, &token);
    Put64(wal->page_count, &token);
    Put64(wal->page_size, &token);
    token.append(wal->salt);
  } else {
    big_endian::Append32(&token, change_counter);
  }
  return token;
}

StatusOr<uint32_t> ReadChangeCounter(const std::string& path) {
  ASSIGN_OR_RETURN(auto file, VfsFile::Open(path, SQLITE_OPEN_MAIN_DB));
  char b[4];
  RETURN_IF_ERROR(file->Read(24, b, 4));
  return big_endian::Get32(b);
}

}  // namespace cofre
