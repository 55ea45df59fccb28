#include "backup/data_file_frames.h"

#include <cstring>

#include "backup/data_file_format.h"
#include "backup/row_codec.h"
#include "backup/zstd_stream.h"
#include "util/crc32c.h"
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

// Whether the record body `body` is the end record or holds a key at or past `end` (false when
// it is malformed: the reader that parses the records reports that).
bool AtOrPast(std::string_view body, const KeyOrder& order, std::string_view end) {
  if (static_cast<uint8_t>(body[0]) == fmt::kRecordEnd) return true;
  std::string_view rest = body.substr(1);
  const size_t key = EncodedKeyLength(rest);
  return key > 0 && order.Compare(rest.substr(0, key), end) >= 0;
}

// What a FrameSource decompresses with: a decompressor and the buffers of a stored and of a
// decompressed frame (about 1 MiB), kept by each thread for its next source when one ends. A
// source per span is opened and closed hundreds of times in an incremental; fresh buffers cost
// a page fault per 4 KiB and zero-filling each time (a tenth of a 0.01% incremental's CPU).
struct FrameScratch {
  std::unique_ptr<ZstdFrameDecompressor> zstd;
  std::string stored, plain;
  std::string dictionary;  // the file's first frame, with FrameSourceOptions::dictionary_frame
};
thread_local std::unique_ptr<FrameScratch> t_spare_scratch;

class FrameSource : public ByteSource {
 public:
  FrameSource(std::unique_ptr<StoredFileRanges> ranges, std::vector<DataFrame> frames,
              std::string path, const KeyOrder& order, const FrameSourceOptions& options,
              std::unique_ptr<FrameScratch> scratch)
      : ranges_(std::move(ranges)),
        frames_(std::move(frames)),
        path_(std::move(path)),
        order_(order),
        options_(options),
        scratch_(std::move(scratch)),
        zstd_(*scratch_->zstd),
        stored_(scratch_->stored),
        plain_(scratch_->plain),
        dictionary_(scratch_->dictionary) {}
  ~FrameSource() override {
    // The next source starts without this file's dictionary.
    if (!t_spare_scratch && zstd_.UseDictionary({}).ok()) t_spare_scratch = std::move(scratch_);
  }

  StatusOr<size_t> Read(char* buf, size_t n) override {
    RETURN_IF_ERROR(status_);
    // (plain_ holds the previous source's last frame until this one loads its first.)
    while (!loaded_ || pos_ == plain_.size()) {
      if (next_ == frames_.size()) return size_t{0};
      if (Status st = Load(frames_[next_++]); !st.ok()) return status_ = st;
    }
    const size_t k = std::min(n, plain_.size() - pos_);
    std::memcpy(buf, plain_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  // Reads frame's stored bytes into stored_ and checks them against the index's CRC-32C.
  Status ReadStored(const DataFrame& frame) {
    RETURN_IF_ERROR(ranges_->Read(frame.offset, frame.stored, &stored_));
    if (frame.crc32c && Crc32c(stored_) != *frame.crc32c) {
      return Corrupt(path_, "a frame does not match its checksum");
    }
    return Status::OK();
  }

  // The first frame, decompressed whole into dictionary_, is the later frames' dictionary.
  Status LoadDictionary(const DataFrame& first) {
    RETURN_IF_ERROR(ReadStored(first));
    if (Status st = zstd_.Decompress(stored_, first.size, &dictionary_); !st.ok()) {
      return Corrupt(path_, st.message());
    }
    RETURN_IF_ERROR(CheckFirstKey(dictionary_, first));
    RETURN_IF_ERROR(zstd_.UseDictionary(dictionary_));
    dictionary_loaded_ = true;
    return Status::OK();
  }

  Status CheckFirstKey(std::string_view content, const DataFrame& frame) {
    auto key = FirstKey(content);
    if (!key.ok()) return Corrupt(path_, key.status().message());
    if (*key != frame.first_key) return Corrupt(path_, "a frame does not hold what its index says");
    return Status::OK();
  }

  // Loads `frame`, the frames_[next_ - 1].
  Status Load(const DataFrame& frame) {
    if (const auto& first = options_.dictionary_frame) {
      const bool is_first = frame.offset == first->offset;
      // The first frame alone is read as any frame (and may be left early); before a later one
      // it is decompressed whole, once, as their dictionary.
      if (!dictionary_loaded_ && (!is_first || next_ < frames_.size())) {
        RETURN_IF_ERROR(LoadDictionary(*first));
      }
      if (is_first && dictionary_loaded_) {
        plain_.assign(dictionary_);  // already checked
        pos_ = 0;
        loaded_ = true;
        return Status::OK();
      }
    }
    RETURN_IF_ERROR(ReadStored(frame));
    Status st;
    if (options_.stop_at_needed_end && !frame.needed_until.empty() &&
        (options_.authenticated || frame.crc32c)) {
      // After each step, the last whole record out decides: once it is at or past the needed
      // end, the content up to its end is kept (a few records past the end may come with it).
      size_t whole_end = 0;  // the records before it are whole
      st = zstd_.DecompressPrefix(
          stored_, frame.size, options_.step_bytes,
          [&](std::string_view content) -> size_t {
            std::string_view last;
            while (true) {
              size_t p = whole_end;
              uint64_t len = 0;
              if (!rowcodec::GetVarint(content, &p, &len) || len == 0 || len > content.size() - p) {
                break;
              }
              last = content.substr(p, len);
              whole_end = p + len;
            }
            return !last.empty() && AtOrPast(last, order_, frame.needed_until) ? whole_end : 0;
          },
          &plain_);
    } else {
      st = zstd_.Decompress(stored_, frame.size, &plain_);
    }
    if (!st.ok()) return Corrupt(path_, st.message());
    RETURN_IF_ERROR(CheckFirstKey(plain_, frame));
    pos_ = 0;
    loaded_ = true;
    return Status::OK();
  }

  std::unique_ptr<StoredFileRanges> ranges_;
  std::vector<DataFrame> frames_;
  std::string path_;
  const KeyOrder& order_;
  const FrameSourceOptions options_;
  std::unique_ptr<FrameScratch> scratch_;
  ZstdFrameDecompressor& zstd_;
  size_t next_ = 0;
  std::string& stored_;
  std::string& plain_;
  std::string& dictionary_;
  bool dictionary_loaded_ = false;
  size_t pos_ = 0;
  bool loaded_ = false;
  Status status_;
};

}  // namespace

std::optional<DataFrame> DictionaryFrame(const proto::DataFile& file,
                                         const std::vector<DataFrame>& frames) {
  if (!file.first_frame_dictionary() || frames.empty()) return std::nullopt;
  return frames.front();
}

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
  const bool with_crc = index.substr(0, 4) == std::string_view(fmt::kFrameIndexMagic, 4);
  if ((!with_crc && index.substr(0, 4) != std::string_view(fmt::kFrameIndexMagicV1, 4)) ||
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
    if (!rowcodec::GetVarint(index, &p, &f.stored) || !rowcodec::GetVarint(index, &p, &f.size)) {
      return Corrupt(path, "its frame index is malformed");
    }
    if (with_crc) {
      if (index.size() - p < 4) return Corrupt(path, "its frame index is malformed");
      f.crc32c = LittleEndian32(index.data() + p);
      p += 4;
    }
    if (!rowcodec::GetVarint(index, &p, &key_len) || key_len > index.size() - p) {
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
  if (file.first_frame_dictionary() && frames.front().size > fmt::kMaxDictionaryBytes) {
    return Corrupt(path, "its first frame is too large to be the dictionary the manifest says");
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
    bool overlaps = false;
    std::string needed_until;
    for (const auto& [start, end] : keys) {
      const bool starts_before_end = end.empty() || order.Compare(f.first_key, end) < 0;
      const bool ends_after_start = !next || start.empty() || order.Compare(*next, start) > 0;
      if (starts_before_end && ends_after_start) {
        overlaps = true;
        needed_until = end;  // the ranges are in order: the last one that overlaps wins
      } else if (overlaps) {
        break;
      }
    }
    if (overlaps) {
      out.push_back(f);
      out.back().needed_until = std::move(needed_until);
    }
  }
  return out;
}

StatusOr<std::unique_ptr<ByteSource>> NewFrameSource(std::unique_ptr<StoredFileRanges> ranges,
                                                     std::vector<DataFrame> frames,
                                                     std::string path, const KeyOrder& order,
                                                     const FrameSourceOptions& options) {
  if (options.step_bytes == 0) return InvalidArgumentError("a frame source needs step_bytes > 0");
  std::unique_ptr<FrameScratch> scratch = std::move(t_spare_scratch);
  if (!scratch) {
    scratch = std::make_unique<FrameScratch>();
    ASSIGN_OR_RETURN(scratch->zstd, ZstdFrameDecompressor::New());
  }
  return std::unique_ptr<ByteSource>(new FrameSource(
      std::move(ranges), std::move(frames), std::move(path), order, options, std::move(scratch)));
}

}  // namespace cofre
