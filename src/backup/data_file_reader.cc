#include "backup/data_file_reader.h"

#include <algorithm>
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
  ZstdSourceOptions zstd;
  zstd.first_frame_dictionary = file.first_frame_dictionary();
  zstd.max_dictionary_bytes = fmt::kMaxDictionaryBytes;
  ASSIGN_OR_RETURN(
      auto r, OpenRecordFile(storage, file.path(), StoredFileInfo{file.file_bytes(), file.sha256()},
                             crypto, std::string_view(fmt::kMagic, 4), zstd));
  // No record is longer than all of the file's row bytes (the end record is a few bytes).
  r->max_record_bytes_ = std::min<uint64_t>(fmt::kMaxRecordBytes, file.logical_bytes() + 32);
  return r;
}

StatusOr<std::unique_ptr<DataFileReader>> DataFileReader::OpenRecordFile(
    ExternalStorage& storage, const std::string& path, const StoredFileInfo& expected,
    const ChainCrypto& crypto, std::string_view want_magic, const ZstdSourceOptions& zstd) {
  std::unique_ptr<DataFileReader> r(new DataFileReader());
  r->path_ = path;
  ASSIGN_OR_RETURN(auto stored, OpenStoredFileReader(storage, path, crypto, expected));
  char magic[4];
  ASSIGN_OR_RETURN(size_t n, ReadFully(*stored, magic, 4));
  if (n != 4 || std::string_view(magic, 4) != want_magic) {
    return r->Corrupt("it is not the kind of cofre file the manifest says it is");
  }
  ASSIGN_OR_RETURN(r->src_, NewZstdDecompressSource(std::move(stored), zstd));
  return r;
}

StatusOr<std::unique_ptr<DataFileReader>> DataFileReader::OpenFrames(ExternalStorage& storage,
                                                                     const proto::DataFile& file,
                                                                     const ChainCrypto& crypto,
                                                                     const KeyOrder& order,
                                                                     const KeyRanges& keys) {
  std::unique_ptr<DataFileReader> r(new DataFileReader());
  r->path_ = file.path();
  r->partial_ = true;
  r->max_record_bytes_ = std::min<uint64_t>(fmt::kMaxRecordBytes, file.logical_bytes() + 32);
  ASSIGN_OR_RETURN(auto ranges,
                   OpenStoredFileRanges(storage, file.path(), crypto, file.file_bytes()));
  std::string magic;
  RETURN_IF_ERROR(ranges->Read(0, std::min<uint64_t>(4, ranges->plaintext_size()), &magic));
  if (magic != std::string_view(fmt::kMagic, 4)) {
    return r->Corrupt("it is not the kind of cofre file the manifest says it is");
  }
  ASSIGN_OR_RETURN(std::vector<DataFrame> frames, ReadFrameIndex(*ranges, file, order));
  // A frame may be left once the needed keys are out where its bytes are checked otherwise than
  // by its zstd checksum: in an encrypted chain (every byte read is authenticated), or by the
  // CRC-32C its index gives (files of cofre 0.6 on).
  FrameSourceOptions options;
  options.stop_at_needed_end = true;
  options.authenticated = crypto.encrypted();
  options.dictionary_frame = DictionaryFrame(file, frames);
  ASSIGN_OR_RETURN(r->src_,
                   NewFrameSource(std::move(ranges), FramesOverlapping(frames, order, keys),
                                  file.path(), order, options));
  return r;
}

Status DataFileReader::Corrupt(const std::string& why) const {
  return DataLossError("backup file " + path_ + " is corrupt: " + why);
}

Status DataFileReader::Fill(size_t need) {
  if (end_ - pos_ >= need || eof_) return Status::OK();
  // Only when more must be read does the unconsumed rest (part of one record) move to the front:
  // the bytes of the records already read are not copied again.
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  while (end_ - pos_ < need && !eof_) {
    // Grow by what arrives, never by what a record's length claims: a forged length in a small
    // file must not make restore allocate gigabytes.
    if (buf_.size() < end_ + kReadBytes) buf_.resize(end_ + kReadBytes);
    auto r = src_->Read(buf_.data() + end_, kReadBytes);
    if (!r.ok()) {
      std::string msg = r.status().message();
      if (msg.find(path_) == std::string::npos) return r.status().Annotate("backup file " + path_);
      return r.status();
    }
    end_ += *r;
    if (*r == 0) eof_ = true;
  }
  return Status::OK();
}

StatusOr<bool> DataFileReader::Next(rowcodec::Record* rec) {
  std::string_view body;
  ASSIGN_OR_RETURN(bool more, NextBody(&body));
  if (!more) return false;
  Status st = rowcodec::DecodeRecord(body, rec);
  if (!st.ok()) return Corrupt(st.message());
  return true;
}

StatusOr<bool> DataFileReader::NextBody(std::string_view* out) {
  if (done_) return false;
  RETURN_IF_ERROR(Fill(10));
  if (partial_ && pos_ == end_ && eof_) {
    done_ = true;
    return false;
  }
  std::string_view view(buf_.data(), end_);
  size_t p = pos_;
  uint64_t len;
  if (!rowcodec::GetVarint(view, &p, &len)) return Corrupt("it ends before its end record");
  if (len > max_record_bytes_) return Corrupt("a record has an impossible length");
  size_t header = p - pos_;
  RETURN_IF_ERROR(Fill(header + len));
  view = std::string_view(buf_.data(), end_);
  p = pos_ + header;
  if (view.size() - p < len) return Corrupt("it ends inside a record");
  std::string_view body = view.substr(p, len);
  pos_ = p + len;
  if (body.empty()) return Corrupt("it has an empty record");
  if (static_cast<uint8_t>(body[0]) == fmt::kRecordEnd) {
    rowcodec::Record end;
    Status st = rowcodec::DecodeRecord(body, &end);
    if (!st.ok()) return Corrupt(st.message());
    if (!partial_ && end.end_count != records_) {
      return Corrupt("its record count does not match");
    }
    RETURN_IF_ERROR(Fill(1));
    if (pos_ != end_) return Corrupt("it has bytes after its end record");
    // Reading to the end lets the integrity layer check the file's size and checksum.
    char extra;
    ASSIGN_OR_RETURN(size_t more, src_->Read(&extra, 1));
    if (more) return Corrupt("it has bytes after its end record");
    done_ = true;
    return false;
  }
  ++records_;
  *out = body;
  return true;
}

}  // namespace cofre
