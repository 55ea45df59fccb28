#include "backup/data_file_writer.h"

#include "backup/data_file_format.h"
#include "backup/row_codec.h"

namespace cofre {

namespace {
constexpr size_t kBlockBytes = 256 << 10;
}

StatusOr<std::unique_ptr<DataFileWriter>> DataFileWriter::Open(ExternalStorage& storage,
                                                               const std::string& path,
                                                               const ChainCrypto& crypto,
                                                               const ZstdOptions& zstd,
                                                               std::string_view magic) {
  std::unique_ptr<DataFileWriter> w(new DataFileWriter());
  w->path_ = path;
  ASSIGN_OR_RETURN(auto stored, OpenStoredFileWriter(storage, path, crypto, w->info_.get()));
  RETURN_IF_ERROR(stored->Append(magic));
  ASSIGN_OR_RETURN(w->sink_, NewZstdCompressSink(std::move(stored), zstd));
  w->block_.reserve(kBlockBytes + 4096);
  return w;
}

Status DataFileWriter::AddRecord(std::string_view body) {
  rowcodec::PutVarint(&block_, body.size());
  block_.append(body);
  ++records_;
  logical_bytes_ += body.size();
  if (block_.size() >= kBlockBytes) return FlushBlock();
  return Status::OK();
}

Status DataFileWriter::FlushBlock() {
  Status st = sink_->Append(block_);
  block_.clear();
  return st;
}

Status DataFileWriter::Finish(proto::DataFile* file) {
  std::string end(1, static_cast<char>(data_file_format::kRecordEnd));
  rowcodec::PutVarint(&end, records_);
  rowcodec::PutVarint(&block_, end.size());
  block_.append(end);
  RETURN_IF_ERROR(FlushBlock());
  RETURN_IF_ERROR(sink_->Close());
  file->set_path(path_);
  file->set_rows(records_);
  file->set_logical_bytes(logical_bytes_);
  file->set_file_bytes(info_->bytes);
  file->set_sha256(info_->sha256);
  return Status::OK();
}

}  // namespace cofre
