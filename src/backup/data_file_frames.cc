#include "backup/data_file_frames.h"

#include <cstring>

#include "backup/data_file_format.h"
#include "backup/row_codec.h"
#include "backup/zstd_stream.h"
#include "util/sha256.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {

Status Corrupt(const std::string& path, const std::string& why) {
  return DataLossError("backup file " + path + " is corrupt: " + why);
}

uint32_t LittleEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | (uint32_t{u[1]} << 8) | (uint32_t{u[2]} << 16) | (uint32_t{u[3]} << 24);
}

// The key of the first record of `records` (length-prefixed bodies); empty for the end record.
StatusOr<std::string_view> FirstKey(std::string_view records) {
  size_t p = 0;
  uint64_t len = 0;
  if (!rowcodec::GetVarint(records, &p, &len) || len == 0 || len > records.size() - p) {
    return DataLossError("a frame does not start with a whole record");
  }
  std::string_view body = records.substr(p, len);
  if (static_cast<uint8_t>(body[0]) == fmt::kRecordEnd) return std::string_view();
  std::string_view rest = body.substr(1);
  const size_t key = EncodedKeyLength(rest);
  if (key == 0) return DataLossError("a frame starts with a malformed record");
  return rest.substr(0, key);
}

class FrameSource : public ByteSource {
 public:
  FrameSource(std::unique_ptr<StoredFileRanges> ranges, std::vector<DataFrame> frames,
              std::string path, std::unique_ptr<ZstdFrameDecompressor> zstd)
      : ranges_(std::move(ranges)),
        frames_(std::move(frames)),
        path_(std::move(path)),
        zstd_(std::move(zstd)) {}

  StatusOr<size_t> Read(char* buf, size_t n) override {
    RETURN_IF_ERROR(status_);
    while (pos_ == plain_.size()) {
      if (next_ == frames_.size()) return size_t{0};
      if (Status st = Load(frames_[next_++]); !st.ok()) return status_ = st;
    }
    const size_t k = std::min(n, plain_.size() - pos_);
    std::memcpy(buf, plain_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  Status Load(const DataFrame& frame) {
    RETURN_IF_ERROR(ranges_->Read(frame.offset, frame.stored, &stored_));
    Status st = zstd_->Decompress(stored_, frame.size, &plain_);
    if (!st.ok()) return Corrupt(path_, st.message());
    auto key = FirstKey(plain_);
    if (!key.ok()) return Corrupt(path_, key.status().message());
    if (*key != frame.first_key) return Corrupt(path_, "a frame does not hold what its index says");
    pos_ = 0;
    return Status::OK();
  }

  std::unique_ptr<StoredFileRanges> ranges_;
  std::vector<DataFrame> frames_;
  std::string path_;
  std::unique_ptr<ZstdFrameDecompressor> zstd_;
  size_t next_ = 0;
  std::string stored_, plain_;
  size_t pos_ = 0;
  Status status_;
};

}  // namespace

bool HasFrameIndex(const proto::DataFile& file) {
  return file.frame_index_bytes() > 0 && file.legacy_digest_path().empty();
}

StatusOr<std::vector<DataFrame>> ReadFrameIndex(StoredFileRanges& ranges,
                                                const proto::DataFile& file,
                                                const KeyOrder& order) {
  const std::string& path = file.path();
  const uint64_t size = ranges.plaintext_size();
  const uint64_t offset = file.frame_index_offset(), bytes = file.frame_index_bytes();
  if (bytes > fmt::kMaxFrameIndexBytes || offset < 4 + fmt::kIndexFrameHeaderBytes ||
      offset > size || bytes != size - offset) {
    return Corrupt(path, "its frame index is not where the manifest says");
  }
  std::string raw;
  RETURN_IF_ERROR(
      ranges.Read(offset - fmt::kIndexFrameHeaderBytes, fmt::kIndexFrameHeaderBytes + bytes, &raw));
  if (LittleEndian32(raw.data()) != fmt::kIndexFrameMagic ||
      LittleEndian32(raw.data() + 4) != bytes) {
    return Corrupt(path, "its frame index has a wrong header");
  }
  std::string_view index = std::string_view(raw).substr(fmt::kIndexFrameHeaderBytes);
  if (Sha256::Digest(index) != file.frame_index_sha256()) {
    return Corrupt(path, "its frame index does not match the manifest's digest");
  }
  size_t p = 4;
  uint64_t count = 0;
  if (index.substr(0, 4) != std::string_view(fmt::kFrameIndexMagic, 4) ||
      !rowcodec::GetVarint(index, &p, &count) || count == 0 || count > index.size()) {
    return Corrupt(path, "its frame index is malformed");
  }
  // Frames tile the plaintext from after the magic to the index frame's header.
  const uint64_t frames_end = offset - fmt::kIndexFrameHeaderBytes;
  // Records are at most their bytes plus a 10-byte length each; the end record is a few bytes.
  const uint64_t max_records_bytes = file.logical_bytes() + 10 * (file.rows() + 1) + 16;
  std::vector<DataFrame> frames;
  frames.reserve(count);
  uint64_t at = 4, total = 0;
  for (uint64_t i = 0; i < count; ++i) {
    DataFrame f;
    uint64_t key_len = 0;
    if (!rowcodec::GetVarint(index, &p, &f.stored) || !rowcodec::GetVarint(index, &p, &f.size) ||
        !rowcodec::GetVarint(index, &p, &key_len) || key_len > index.size() - p) {
      return Corrupt(path, "its frame index is malformed");
    }
    f.first_key.assign(index.substr(p, key_len));
    p += key_len;
    f.offset = at;
    if (f.stored == 0 || f.stored > frames_end - at || f.size == 0 ||
        f.size > fmt::kMaxFrameBytes || f.size > max_records_bytes - total) {
      return Corrupt(path, "its frame index gives impossible frame sizes");
    }
    at += f.stored;
    total += f.size;
    const bool last = i + 1 == count;
    if (f.first_key.empty()
            ? !last
            : !frames.empty() && (frames.back().first_key.empty() ||
                                  order.Compare(frames.back().first_key, f.first_key) >= 0)) {
      return Corrupt(path, "its frame index is out of key order");
    }
    frames.push_back(std::move(f));
  }
  if (p != index.size() || at != frames_end) {
    return Corrupt(path, "its frame index does not cover the file exactly");
  }
  return frames;
}

std::vector<DataFrame> FramesOverlapping(const std::vector<DataFrame>& frames,
                                         const KeyOrder& order, const KeyRanges& keys) {
  std::vector<DataFrame> out;
  for (size_t i = 0; i < frames.size(); ++i) {
    const DataFrame& f = frames[i];
    if (f.first_key.empty()) continue;
    // The frame's keys are in [first_key, next) (next empty: unbounded).
    const std::string* next = i + 1 < frames.size() && !frames[i + 1].first_key.empty()
                                  ? &frames[i + 1].first_key
                                  : nullptr;
    for (const auto& [start, end] : keys) {
      const bool starts_before_end = end.empty() || order.Compare(f.first_key, end) < 0;
      const bool ends_after_start = !next || start.empty() || order.Compare(*next, start) > 0;
      if (starts_before_end && ends_after_start) {
        out.push_back(f);
        break;
      }
    }
  }
  return out;
}

StatusOr<std::unique_ptr<ByteSource>> NewFrameSource(std::unique_ptr<StoredFileRanges> ranges,
                                                     std::vector<DataFrame> frames,
                                                     std::string path) {
  ASSIGN_OR_RETURN(auto zstd, ZstdFrameDecompressor::New());
  return std::unique_ptr<ByteSource>(
      new FrameSource(std::move(ranges), std::move(frames), std::move(path), std::move(zstd)));
}

}  // namespace cofre
