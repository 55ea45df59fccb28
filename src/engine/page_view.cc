#include "engine/page_view.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>

#include "engine/big_endian.h"

namespace cofre {

namespace {

// The wal-index (-shm) starts with two copies of a 48-byte header in native byte order, then the
// checkpoint information (nBackfill first) at byte 96 (SQLite's walformat.html).
constexpr size_t kWalIndexHeaderBytes = 48;
constexpr size_t kBackfillOffset = 96;
constexpr size_t kWalHeaderBytes = 32;
constexpr size_t kFrameHeaderBytes = 24;

uint32_t Native32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// SQLite's WAL checksum over `n` bytes (a multiple of 8) read as native 32-bit words.
void Checksum(const char* p, size_t n, uint32_t* s1, uint32_t* s2) {
  for (size_t i = 0; i + 8 <= n; i += 8) {
    *s1 += Native32(p + i) + *s2;
    *s2 += Native32(p + i + 4) + *s1;
  }
}

Status Corrupt(const std::string& path, const std::string& what) {
  return DataLossError("cannot read the pages of " + path + " as the snapshot sees them: " + what);
}

}  // namespace

std::optional<WalSnapshotHeader> ReadWalSnapshotHeader(const std::string& path) {
  auto fd = OpenFile(path + "-shm", O_RDONLY, 0, "wal-index");
  if (!fd.ok()) return std::nullopt;
  char buf[kBackfillOffset + 4];
  auto n = PreadFully(fd->get(), 0, buf, sizeof(buf), "wal-index");
  if (!n.ok() || *n != sizeof(buf)) return std::nullopt;
  if (std::memcmp(buf, buf + kWalIndexHeaderBytes, kWalIndexHeaderBytes) != 0) return std::nullopt;
  if (buf[12] != 1) return std::nullopt;  // isInit
  uint32_t s1 = 0, s2 = 0;
  Checksum(buf, 40, &s1, &s2);
  if (s1 != Native32(buf + 40) || s2 != Native32(buf + 44)) return std::nullopt;
  WalSnapshotHeader h;
  uint16_t sz;
  std::memcpy(&sz, buf + 14, 2);
  h.page_size = sz == 1 ? 65536 : sz;
  h.max_frame = Native32(buf + 16);
  h.page_count = Native32(buf + 20);
  h.salt.assign(buf + 32, 8);
  h.backfilled = Native32(buf + kBackfillOffset);
  return h;
}

Status PageView::ReadHeader() {
  char header[100];
  ASSIGN_OR_RETURN(size_t n, PreadFully(db_.get(), 0, header, sizeof(header), path_));
  if (n != sizeof(header) || std::memcmp(header, "SQLite format 3", 16) != 0) {
    return Corrupt(path_, "not an SQLite database header");
  }
  const uint32_t size = big_endian::Get16(header + 16);
  page_size_ = size == 1 ? 65536 : size;
  if (page_size_ < 512 || (page_size_ & (page_size_ - 1)) != 0) {
    return Corrupt(path_, "bad page size");
  }
  usable_size_ = page_size_ - static_cast<uint8_t>(header[20]);
  if (usable_size_ < 480) return Corrupt(path_, "bad reserved bytes");
  struct stat st;
  if (::fstat(db_.get(), &st) != 0) return Corrupt(path_, "cannot stat the file");
  page_count_ = static_cast<uint32_t>(static_cast<uint64_t>(st.st_size) / page_size_);
  // The in-header size is valid when written by the same change as the change counter.
  const uint32_t in_header = big_endian::Get32(header + 28);
  if (in_header != 0 && big_endian::Get32(header + 92) == big_endian::Get32(header + 24)) {
    page_count_ = std::min(page_count_, in_header);
  }
  return Status::OK();
}

StatusOr<std::unique_ptr<PageView>> PageView::OpenFrozen(const std::string& path) {
  std::unique_ptr<PageView> v(new PageView());
  v->path_ = path;
  ASSIGN_OR_RETURN(v->db_, OpenFile(path, O_RDONLY, 0, path));
  RETURN_IF_ERROR(v->ReadHeader());
  return v;
}

StatusOr<std::unique_ptr<PageView>> PageView::OpenWal(const std::string& path,
                                                      const WalSnapshotHeader& header) {
  std::unique_ptr<PageView> v(new PageView());
  v->path_ = path;
  ASSIGN_OR_RETURN(v->db_, OpenFile(path, O_RDONLY, 0, path));
  RETURN_IF_ERROR(v->ReadHeader());
  if (header.page_size != v->page_size_) return Corrupt(path, "WAL page size differs");
  if (header.page_count != 0) v->page_count_ = header.page_count;
  // Everything up to the snapshot is in the database file: the WAL is not needed.
  if (header.backfilled >= header.max_frame) return v;
  ASSIGN_OR_RETURN(v->wal_, OpenFile(path + "-wal", O_RDONLY, 0, path + "-wal"));
  RETURN_IF_ERROR(v->IndexWal(header));
  return v;
}

Status PageView::IndexWal(const WalSnapshotHeader& header) {
  salt_ = header.salt;
  RETURN_IF_ERROR(Verify());
  const uint64_t frame_bytes = kFrameHeaderBytes + page_size_;
  // Frame headers are read in batches to keep the system calls few.
  constexpr uint32_t kBatch = 256;
  std::string buf;
  for (uint32_t first = 1; first <= header.max_frame; first += kBatch) {
    const uint32_t count = std::min(kBatch, header.max_frame - first + 1);
    buf.resize(count * frame_bytes);
    const uint64_t offset = kWalHeaderBytes + (first - 1) * frame_bytes;
    ASSIGN_OR_RETURN(size_t n, PreadFully(wal_.get(), offset, buf.data(), buf.size(), path_));
    if (n != buf.size()) return Corrupt(path_, "the WAL is shorter than its index says");
    for (uint32_t i = 0; i < count; ++i) {
      const char* frame = buf.data() + i * frame_bytes;
      if (std::memcmp(frame + 8, salt_.data(), 8) != 0) {
        return Corrupt(path_, "a WAL frame of another generation");
      }
      const uint32_t pgno = big_endian::Get32(frame);
      if (pgno == 0) return Corrupt(path_, "a WAL frame without a page number");
      frame_of_page_[pgno] = first + i;
    }
  }
  return Status::OK();
}

Status PageView::Read(uint32_t pgno, std::string* out) const {
  if (pgno == 0 || pgno > page_count_) {
    return Corrupt(path_, "page " + std::to_string(pgno) + " is out of range");
  }
  out->resize(page_size_);
  auto it = frame_of_page_.find(pgno);
  const bool from_wal = it != frame_of_page_.end();
  const uint64_t offset =
      from_wal ? kWalHeaderBytes + (it->second - 1) * (uint64_t{kFrameHeaderBytes} + page_size_) +
                     kFrameHeaderBytes
               : uint64_t{pgno - 1} * page_size_;
  ASSIGN_OR_RETURN(size_t n, PreadFully(from_wal ? wal_.get() : db_.get(), offset, out->data(),
                                        page_size_, path_));
  if (n != page_size_) return Corrupt(path_, "page " + std::to_string(pgno) + " is short");
  return Status::OK();
}

Status PageView::Verify() const {
  if (salt_.empty()) return Status::OK();
  char header[kWalHeaderBytes];
  ASSIGN_OR_RETURN(size_t n, PreadFully(wal_.get(), 0, header, sizeof(header), path_));
  if (n != sizeof(header) || std::memcmp(header + 16, salt_.data(), 8) != 0) {
    return Corrupt(path_, "the WAL was restarted while it was read");
  }
  return Status::OK();
}

}  // namespace cofre
