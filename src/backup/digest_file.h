// Row digest files: beside each BASE data file, the keyed digest of every row of the span, in
// key order (DESIGN §3, docs/format.md §5). Incremental layers compare a span's current rows
// against these digests (plus the rows of later deltas) to find what changed.
// Format: like a data file (stored_file + zstd + length-prefixed records, end record), magic
// "CFG1"; each record body is kind 1, varint key length, the encoded key, 16 digest bytes.
// Thread-safety: one thread per object.
#ifndef COFRE_BACKUP_DIGEST_FILE_H_
#define COFRE_BACKUP_DIGEST_FILE_H_

#include <memory>
#include <string>
#include <unordered_map>

#include "backup/data_file_writer.h"
#include "crypto/row_digest.h"

namespace cofre {

class DigestFileWriter {
 public:
  static StatusOr<std::unique_ptr<DigestFileWriter>> Open(ExternalStorage& storage,
                                                          const std::string& path,
                                                          const ChainCrypto& crypto);
  Status Add(std::string_view key, const RowDigest& digest);
  // Publishes the file and records it in `file` (digest_path, size and checksum).
  Status Finish(proto::DataFile* file);

 private:
  std::unique_ptr<DataFileWriter> writer_;
  std::string body_;
  proto::DataFile info_;
};

// Key -> digest of every row of a span as of some layer.
using DigestMap = std::unordered_map<std::string, RowDigest>;

// Adds the entries of the digest file of BASE file `file` to `out`.
Status LoadDigestFile(ExternalStorage& storage, const proto::DataFile& file,
                      const ChainCrypto& crypto, DigestMap* out);

}  // namespace cofre

#endif  // COFRE_BACKUP_DIGEST_FILE_H_
