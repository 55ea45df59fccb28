#include "backup/digest_file.h"

#include <cstring>

#include "backup/data_file_format.h"
#include "backup/data_file_reader.h"
#include "backup/row_codec.h"

namespace cofre {

namespace fmt = data_file_format;

StatusOr<std::unique_ptr<DigestFileWriter>> DigestFileWriter::Open(ExternalStorage& storage,
                                                                   const std::string& path,
                                                                   const ChainCrypto& crypto) {
  std::unique_ptr<DigestFileWriter> w(new DigestFileWriter());
  // Digests are already high-entropy: level 1 keeps the framing cheap.
  ASSIGN_OR_RETURN(w->writer_, DataFileWriter::Open(storage, path, crypto, ZstdOptions{1, 0},
                                                    std::string_view(fmt::kDigestMagic, 4)));
  return w;
}

Status DigestFileWriter::Add(std::string_view key, const RowDigest& digest) {
  body_.clear();
  body_.push_back(static_cast<char>(fmt::kRecordRow));
  rowcodec::PutVarint(&body_, key.size());
  body_.append(key);
  body_.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return writer_->AddRecord(body_);
}

Status DigestFileWriter::Finish(proto::DataFile* file) {
  RETURN_IF_ERROR(writer_->Finish(&info_));
  file->set_digest_path(info_.path());
  file->set_digest_file_bytes(info_.file_bytes());
  file->set_digest_sha256(info_.sha256());
  return Status::OK();
}

Status LoadDigestFile(ExternalStorage& storage, const proto::DataFile& file,
                      const ChainCrypto& crypto, DigestMap* out) {
  if (file.digest_path().empty()) {
    return DataLossError("backup file " + file.path() + " has no row digest file in the manifest");
  }
  ASSIGN_OR_RETURN(auto reader,
                   DataFileReader::OpenRecordFile(
                       storage, file.digest_path(),
                       StoredFileInfo{file.digest_file_bytes(), file.digest_sha256()}, crypto,
                       std::string_view(fmt::kDigestMagic, 4)));
  std::string_view body;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->NextBody(&body));
    if (!more) break;
    size_t pos = 1;
    uint64_t klen;
    if (body[0] != static_cast<char>(fmt::kRecordRow) || !rowcodec::GetVarint(body, &pos, &klen) ||
        body.size() - pos != klen + kRowDigestSize) {
      return DataLossError("backup file " + file.digest_path() + " is corrupt: bad digest entry");
    }
    RowDigest d;
    std::memcpy(d.data(), body.data() + pos + klen, kRowDigestSize);
    (*out)[std::string(body.substr(pos, klen))] = d;
  }
  return Status::OK();
}

}  // namespace cofre
