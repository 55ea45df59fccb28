#include "engine/pending_append.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>

#include "engine/big_endian.h"
#include "engine/page_sink.h"
#include "engine/sqlite.h"
#include "engine/sqlite_file_header.h"
#include "util/file_util.h"

namespace cofre {
namespace {

// The marker's bytes: this magic (16 bytes), the file's size (8 bytes, big-endian), its
// header (sqlite_file_header::kSize bytes).
constexpr char kAppendMarkerMagic[16] = {'c', 'o', 'f', 'r', 'e', '-', 'a', 'p',
                                         'p', 'e', 'n', 'd', '-', 'v', '1', '\n'};
constexpr size_t kMarkerSize = sizeof(kAppendMarkerMagic) + 8 + sqlite_file_header::kSize;

std::string AppendMarkerPath(const std::string& path) { return path + kAppendPendingSuffix; }

// The files this process is appending to: their markers are not a dead process's.
std::mutex live_mu;  // guards LiveAppends()
std::set<std::string>& LiveAppends() {
  static std::set<std::string>* live = new std::set<std::string>();
  return *live;
}
bool IsLive(const std::string& path) {
  std::lock_guard<std::mutex> lock(live_mu);
  return LiveAppends().count(path) > 0;
}
void SetLive(const std::string& path, bool live) {
  std::lock_guard<std::mutex> lock(live_mu);
  if (live) {
    LiveAppends().insert(path);
  } else {
    LiveAppends().erase(path);
  }
}

// What the marker records.
struct Original {
  uint64_t size = 0;
  uint8_t header[sqlite_file_header::kSize] = {};
  uint32_t page_count() const { return big_endian::Get32(header + 28); }
};

StatusOr<Original> ReadMarker(const std::string& path) {
  const std::string marker = AppendMarkerPath(path);
  ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(marker, O_RDONLY, 0, "append marker " + marker));
  char buf[kMarkerSize + 1];
  ASSIGN_OR_RETURN(size_t got, PreadFully(fd.get(), 0, buf, sizeof(buf), marker));
  if (got != kMarkerSize || std::memcmp(buf, kAppendMarkerMagic, sizeof(kAppendMarkerMagic)) != 0) {
    return DataLossError("the append marker " + marker + " is damaged (" + std::to_string(got) +
                         " bytes); the database file beside it was left as it is");
  }
  Original o;
  for (int i = 0; i < 8; ++i) {
    o.size = (o.size << 8) | static_cast<uint8_t>(buf[sizeof(kAppendMarkerMagic) + i]);
  }
  std::memcpy(o.header, buf + sizeof(kAppendMarkerMagic) + 8, sizeof(o.header));
  // What it says must describe a database file: SQLite's magic, a page size, a size in whole
  // pages that holds the page count.
  const uint64_t page_size = sqlite_file_header::PageSize(o.header);
  if (std::memcmp(o.header, "SQLite format 3", 16) != 0 ||
      !sqlite_file_header::ValidPageSize(page_size) || o.size % page_size != 0 ||
      uint64_t{o.page_count()} * page_size > o.size) {
    return DataLossError("the append marker " + marker +
                         " does not describe a database file; the database file beside it was "
                         "left as it is");
  }
  return o;
}

// Invariant 5's undo: the old header back, the file cut to its old size, synced; then the
// marker goes.
Status PutBack(const std::string& path, const Original& o) {
  const std::string display = "database file " + path;
  ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(path, O_RDWR, 0, display));
  RETURN_IF_ERROR(PwriteFully(fd.get(), 0, reinterpret_cast<const char*>(o.header),
                              sizeof(o.header), "writing back the header of " + display));
  if (::ftruncate(fd.get(), static_cast<off_t>(o.size)) != 0) {
    return ErrnoToStatus(errno, "cutting " + display + " back to its size before the append");
  }
  RETURN_IF_ERROR(SyncFd(fd.get(), display));
  RETURN_IF_ERROR(fd.Close(display));
  return RemoveFileIfExists(AppendMarkerPath(path), "append marker");
}

}  // namespace

StatusOr<std::unique_ptr<PendingAppend>> PendingAppend::Begin(const std::string& path) {
  if (AppendPending(path)) {
    return FailedPreconditionError("database file " + path +
                                   " has the marker of an unfinished append; open it again first");
  }
  const std::string display = "database file " + path;
  ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(path, O_RDONLY, 0, display));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoToStatus(errno, "inspecting " + display);
  std::string marker(kAppendMarkerMagic, sizeof(kAppendMarkerMagic));
  for (int i = 7; i >= 0; --i) {
    marker.push_back(static_cast<char>((static_cast<uint64_t>(st.st_size) >> (8 * i)) & 0xff));
  }
  char header[sqlite_file_header::kSize];
  ASSIGN_OR_RETURN(size_t got, PreadFully(fd.get(), 0, header, sizeof(header), display));
  if (got != sizeof(header)) return FailedPreconditionError(display + " has no full header");
  marker.append(header, sizeof(header));
  RETURN_IF_ERROR(fd.Close(display));
  RETURN_IF_ERROR(WriteFileAtomically(AppendMarkerPath(path), marker, "append marker"));
  SetLive(path, true);
  const uint32_t pages = big_endian::Get32(reinterpret_cast<const uint8_t*>(header) + 28);
  return std::unique_ptr<PendingAppend>(new PendingAppend(path, pages));
}

PendingAppend::~PendingAppend() {
  if (!done_) Undo().IgnoreError();
}

void PendingAppend::Committed() {
  done_ = true;
  SetLive(path_, false);
  // A marker left behind is found committed at the next open (invariant 6).
  RemoveFileIfExists(AppendMarkerPath(path_), "append marker").IgnoreError();
}

Status PendingAppend::Undo() {
  done_ = true;
  // Whatever happens, the marker left (if any) is for the next open to act on.
  SetLive(path_, false);
  ASSIGN_OR_RETURN(Original o, ReadMarker(path_));
  return PutBack(path_, o);
}

bool AppendPending(const std::string& path) {
  struct stat st;
  return ::stat(AppendMarkerPath(path).c_str(), &st) == 0;
}

Status RecoverPendingAppend(const std::string& path) {
  if (!AppendPending(path) || IsLive(path)) return Status::OK();
  ASSIGN_OR_RETURN(Original o, ReadMarker(path));
  bool committed;
  {
    // Reading sqlite_schema makes SQLite roll back a hot journal first.
    ASSIGN_OR_RETURN(SqliteDb db, SqliteDb::Open(path, /*create=*/false));
    {
      ASSIGN_OR_RETURN(SqliteStmt past_end,
                       db.Prepare("SELECT count(*) FROM main.sqlite_schema WHERE rootpage > ?1"));
      past_end.Bind(1, static_cast<int64_t>(o.page_count()));
      ASSIGN_OR_RETURN(bool row, past_end.Step());
      committed = row && past_end.ColumnInt(0) > 0;
    }
    RETURN_IF_ERROR(db.Close());
  }
  if (committed) return RemoveFileIfExists(AppendMarkerPath(path), "append marker");
  return PutBack(path, o);
}

}  // namespace cofre
