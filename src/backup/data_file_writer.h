// DataFileWriter: writes one record file of a backup (a data file):
// magic, then a zstd stream of length-prefixed records ending with an end record, sealed by the
// chain's encryption when there is one (docs/format.md §5).
//
// Records are buffered into blocks and handed to zstd, which compresses on background workers
// while the caller keeps scanning. Finish() appends the end record and publishes the file;
// destroying an unfinished writer publishes nothing.
// Thread-safety: one thread at a time.
#ifndef COFRE_BACKUP_DATA_FILE_WRITER_H_
#define COFRE_BACKUP_DATA_FILE_WRITER_H_

#include <memory>
#include <string>

#include "backup/stored_file.h"
#include "backup/zstd_stream.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

class DataFileWriter {
 public:
  // Opens `path` (relative to the collection) for writing.
  static StatusOr<std::unique_ptr<DataFileWriter>> Open(ExternalStorage& storage,
                                                        const std::string& path,
                                                        const ChainCrypto& crypto,
                                                        const ZstdOptions& zstd,
                                                        std::string_view magic);
  // Appends one encoded record body (kind, key, values) with its length prefix.
  Status AddRecord(std::string_view body);
  // Ends the file and publishes it; fills `file` (path, rows, sizes, digest).
  Status Finish(proto::DataFile* file);

  uint64_t records() const { return records_; }
  uint64_t logical_bytes() const { return logical_bytes_; }

 private:
  DataFileWriter() = default;
  Status FlushBlock();

  std::string path_;
  std::unique_ptr<ByteSink> sink_;
  std::unique_ptr<StoredFileInfo> info_ = std::make_unique<StoredFileInfo>();
  std::string block_;
  uint64_t records_ = 0;
  uint64_t logical_bytes_ = 0;
};

}  // namespace cofre

#endif  // COFRE_BACKUP_DATA_FILE_WRITER_H_
