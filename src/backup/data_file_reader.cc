#include "backup/data_file_reader.h"

#include <cstring>

#include "backup/data_file_format.h"
#include "backup/zstd_stream.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {
constexpr size_t kReadBytes = 256 << 10;
}

StatusOr<std::unique_ptr<DataFileReader>> DataFileReader::Open(ExternalStorage& storage,
                                                               const proto::DataFile& file,
                                                               const ChainCrypto& crypto) {
  std::unique_ptr<DataFileReader> r(new DataFileReader());
  r->path_ = file.path();
  StoredFileInfo expected{file.file_bytes(), file.sha256()};
  ASSIGN_OR_RETURN(auto stored, OpenStoredFileReader(storage, file.path(), crypto, expected));
  char magic[4];
  ASSIGN_OR_RETURN(size_t n, ReadFully(*stored, magic, 4));
  if (n != 4 || std::memcmp(magic, fmt::kMagic, 4) != 0) {
    return r->Corrupt("it is not a cofre data file");
  }
  ASSIGN_OR_RETURN(r->src_, NewZstdDecompressSource(std::move(stored)));
  return r;
}

Status DataFileReader::Corrupt(const std::string& why) const {
  return DataLossError("backup file " + path_ + " is corrupt: " + why);
}

Status DataFileReader::Fill(size_t need) {
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  while (buf_.size() - pos_ < need && !eof_) {
    size_t old = buf_.size();
    buf_.resize(old + std::max(kReadBytes, need));
    auto r = src_->Read(buf_.data() + old, buf_.size() - old);
    if (!r.ok()) {
      buf_.resize(old);
      std::string msg = r.status().message();
      if (msg.find(path_) == std::string::npos) return r.status().Annotate("backup file " + path_);
      return r.status();
    }
    buf_.resize(old + *r);
    if (*r == 0) eof_ = true;
  }
  return Status::OK();
}

StatusOr<bool> DataFileReader::Next(rowcodec::Record* rec) {
  if (done_) return false;
  RETURN_IF_ERROR(Fill(10));
  std::string_view view(buf_);
  size_t p = pos_;
  uint64_t len;
  if (!rowcodec::GetVarint(view, &p, &len)) return Corrupt("it ends before its end record");
  if (len > fmt::kMaxRecordBytes) return Corrupt("a record has an impossible length");
  size_t header = p - pos_;
  RETURN_IF_ERROR(Fill(header + len));
  view = buf_;
  p = pos_ + header;
  if (view.size() - p < len) return Corrupt("it ends inside a record");
  Status st = rowcodec::DecodeRecord(view.substr(p, len), rec);
  if (!st.ok()) return Corrupt(st.message());
  pos_ = p + len;
  if (rec->kind == fmt::kRecordEnd) {
    if (rec->end_count != records_) return Corrupt("its record count does not match");
    RETURN_IF_ERROR(Fill(1));
    if (pos_ != buf_.size()) return Corrupt("it has bytes after its end record");
    // Reading to the end lets the integrity layer check the file's size and checksum.
    char extra;
    ASSIGN_OR_RETURN(size_t more, src_->Read(&extra, 1));
    if (more) return Corrupt("it has bytes after its end record");
    done_ = true;
    return false;
  }
  ++records_;
  return true;
}

}  // namespace cofre
