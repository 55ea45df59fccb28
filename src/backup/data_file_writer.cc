#include "backup/data_file_writer.h"

#include <algorithm>

#include "backup/data_file_format.h"
#include "backup/key_order.h"
#include "backup/row_codec.h"
#include "util/crc32c.h"
#include "util/sha256.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {

void PutU32LittleEndian(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

StatusOr<std::unique_ptr<DataFileWriter>> DataFileWriter::Open(ExternalStorage& storage,
                                                               const std::string& path,
                                                               const ChainCrypto& crypto,
                                                               const ZstdOptions& zstd) {
  std::unique_ptr<DataFileWriter> w(new DataFileWriter());
  w->path_ = path;
  ASSIGN_OR_RETURN(w->zstd_, ZstdFrameCompressor::New(zstd));
  ASSIGN_OR_RETURN(w->sink_, OpenStoredFileWriter(storage, path, crypto, w->info_.get()));
  RETURN_IF_ERROR(w->sink_->Append(std::string_view(fmt::kMagic, 4)));
  w->plaintext_bytes_ = 4;
  w->frame_bytes_ = std::max<size_t>(zstd.frame_bytes, 1);
  w->first_frame_dictionary_ = zstd.first_frame_dictionary;
  w->block_.reserve(w->frame_bytes_ + 4096);
  return w;
}

Status DataFileWriter::AddRecord(std::string_view body) {
  if (block_.empty()) {
    std::string_view rest = body.substr(1);
    first_key_.assign(rest.substr(0, EncodedKeyLength(rest)));
  }
  rowcodec::PutVarint(&block_, body.size());
  block_.append(body);
  ++records_;
  logical_bytes_ += body.size();
  if (block_.size() >= frame_bytes_) return EmitFrame();
  return Status::OK();
}

Status DataFileWriter::EmitFrame(bool last) {
  if (block_.size() > fmt::kMaxFrameBytes) {
    return InvalidArgumentError("a record of " + path_ + " is too large for a data file");
  }
  RETURN_IF_ERROR(zstd_->Compress(block_, &compressed_));
  RETURN_IF_ERROR(sink_->Append(compressed_));
  plaintext_bytes_ += compressed_.size();
  rowcodec::PutVarint(&index_, compressed_.size());
  rowcodec::PutVarint(&index_, block_.size());
  PutU32LittleEndian(&index_, Crc32c(compressed_));
  rowcodec::PutVarint(&index_, first_key_.size());
  index_.append(first_key_);
  ++frames_;
  first_key_.clear();
  if (frames_ == 1 && !last && first_frame_dictionary_ &&
      block_.size() <= fmt::kMaxDictionaryBytes) {
    // The first frame's records are the dictionary of every later frame (format.md §5).
    dictionary_ = std::move(block_);
    block_ = std::string();
    block_.reserve(frame_bytes_ + 4096);
    RETURN_IF_ERROR(zstd_->UseDictionary(dictionary_));
    return Status::OK();
  }
  block_.clear();
  return Status::OK();
}

Status DataFileWriter::Finish(proto::DataFile* file) {
  std::string end(1, static_cast<char>(fmt::kRecordEnd));
  rowcodec::PutVarint(&end, records_);
  rowcodec::PutVarint(&block_, end.size());
  block_.append(end);
  RETURN_IF_ERROR(EmitFrame(/*last=*/true));
  std::string index(fmt::kFrameIndexMagic, 4);
  rowcodec::PutVarint(&index, frames_);
  index.append(index_);
  std::string frame;
  PutU32LittleEndian(&frame, fmt::kIndexFrameMagic);
  PutU32LittleEndian(&frame, static_cast<uint32_t>(index.size()));
  frame.append(index);
  RETURN_IF_ERROR(sink_->Append(frame));
  RETURN_IF_ERROR(sink_->Close());
  file->set_path(path_);
  file->set_rows(records_);
  file->set_logical_bytes(logical_bytes_);
  file->set_file_bytes(info_->bytes);
  file->set_sha256(info_->sha256);
  file->set_frame_index_offset(plaintext_bytes_ + fmt::kIndexFrameHeaderBytes);
  file->set_frame_index_bytes(index.size());
  file->set_frame_index_sha256(Sha256::Digest(index));
  file->set_first_frame_dictionary(!dictionary_.empty());
  return Status::OK();
}

}  // namespace cofre
