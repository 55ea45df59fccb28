// DataFileReader: reads the records of one record file written by DataFileWriter, verifying the
// stored bytes against the manifest, decrypting, decompressing and checking the end record.
// Next() yields records in file order; a file that ends without its end record, or whose
// record count disagrees, is DataLoss naming the file.
// Thread-safety: one thread at a time. Records point into the reader's buffer and are valid
// until the next call to Next().
#ifndef COFRE_BACKUP_DATA_FILE_READER_H_
#define COFRE_BACKUP_DATA_FILE_READER_H_

#include <memory>
#include <string>

#include "backup/data_file_format.h"
#include "backup/data_file_frames.h"
#include "backup/key_order.h"
#include "backup/row_codec.h"
#include "backup/stored_file.h"
#include "backup/zstd_stream.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

class DataFileReader {
 public:
  // Opens the data file `file` describes.
  static StatusOr<std::unique_ptr<DataFileReader>> Open(ExternalStorage& storage,
                                                        const proto::DataFile& file,
                                                        const ChainCrypto& crypto);
  // Opens any record file with the given magic, stored size and digest.
  static StatusOr<std::unique_ptr<DataFileReader>> OpenRecordFile(
      ExternalStorage& storage, const std::string& path, const StoredFileInfo& expected,
      const ChainCrypto& crypto, std::string_view magic, const ZstdSourceOptions& zstd = {});
  // Opens only the frames of the data file `file` (which has a frame index: HasFrameIndex) that
  // may hold keys in `keys` (backup/data_file_frames.h). Next()/NextBody() then yield their
  // records in file order and end after the last of them.
  static StatusOr<std::unique_ptr<DataFileReader>> OpenFrames(ExternalStorage& storage,
                                                              const proto::DataFile& file,
                                                              const ChainCrypto& crypto,
                                                              const KeyOrder& order,
                                                              const KeyRanges& keys);
  // Decodes the next record into *rec. Returns false at the (verified) end of the file.
  StatusOr<bool> Next(rowcodec::Record* rec);
  // The next record's raw body (not decoded, except the end record). False at the end.
  StatusOr<bool> NextBody(std::string_view* body);

 private:
  DataFileReader() = default;
  Status Fill(size_t need);
  Status Corrupt(const std::string& why) const;

  std::string path_;
  std::unique_ptr<ByteSource> src_;
  // Bytes [pos_, end_) of buf_ are read and not yet consumed; buf_ is storage past end_ (never
  // shrunk, so that a read into it does not zero-fill it first).
  std::string buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool done_ = false;
  bool partial_ = false;  // some frames only: no end record required, no count to check
  uint64_t records_ = 0;
  // Longer records are corrupt: what the format allows, or for a data file what its manifest
  // entry says its rows take. The read buffer only grows as bytes arrive, never by a claim.
  uint64_t max_record_bytes_ = data_file_format::kMaxRecordBytes;
};

}  // namespace cofre

#endif  // COFRE_BACKUP_DATA_FILE_READER_H_
