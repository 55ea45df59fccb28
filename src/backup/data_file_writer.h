// DataFileWriter: writes one data file of a backup (docs/format.md §5, data_file_format.h):
// magic, then zstd frames of length-prefixed records (each frame whole records, about
// ZstdOptions::frame_bytes of them; with ZstdOptions::first_frame_dictionary, every frame after
// the first compressed with the first's records as its dictionary), the end record, and the
// frame index, sealed by the chain's encryption when there is one. The index lets an incremental
// backup read back only the frames of the key ranges that changed (backup/data_frame_reader.h);
// restore reads the frames in sequence as one zstd stream.
//
// Frames are compressed on the calling thread, each from one buffer. Finish() appends the end
// record and the index and publishes the file; destroying an unfinished writer publishes
// nothing. Memory: about three frames plus zstd's tables (twice with a dictionary).
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
                                                        const ZstdOptions& zstd);
  // Appends one encoded record body (kind, key, values) with its length prefix.
  Status AddRecord(std::string_view body);
  // Ends the file and publishes it; fills `file` (path, rows, sizes, digest, frame index).
  Status Finish(proto::DataFile* file);

  uint64_t records() const { return records_; }
  uint64_t logical_bytes() const { return logical_bytes_; }

 private:
  DataFileWriter() = default;
  // Compresses the records gathered so far as the next frame and indexes it. The first frame
  // becomes the dictionary (first_frame_dictionary) unless it is also the `last`.
  Status EmitFrame(bool last = false);

  std::string path_;
  std::unique_ptr<ByteSink> sink_;
  std::unique_ptr<StoredFileInfo> info_ = std::make_unique<StoredFileInfo>();
  // The first frame's records, once they are the dictionary (declared before zstd_, which
  // references it, so that it outlives it).
  std::string dictionary_;
  std::unique_ptr<ZstdFrameCompressor> zstd_;
  size_t frame_bytes_ = 0;
  bool first_frame_dictionary_ = false;
  std::string block_;       // records of the frame being gathered
  std::string first_key_;   // the key of its first record
  std::string compressed_;  // scratch
  std::string index_;       // the index entries of the frames written
  uint64_t frames_ = 0;
  uint64_t plaintext_bytes_ = 0;  // written so far, header included
  uint64_t records_ = 0;
  uint64_t logical_bytes_ = 0;
};

}  // namespace cofre

#endif  // COFRE_BACKUP_DATA_FILE_WRITER_H_
