// Stored files: how the backup layer writes and reads every file of a collection.
//
// A writer stacks [encryption] -> integrity (size + SHA-256 of the stored bytes) -> storage;
// a reader stacks storage -> integrity check -> [decryption]. In an encrypted chain every file
// is sealed with the chain's data key and bound to its path (crypto/streaming_aead.h); in an
// unencrypted chain the manifest's size and SHA-256 catch corruption, truncation and swaps.
// Every error a reader returns names the file. Nothing is published until Close() succeeds.
// Thread-safety: the returned streams are single-threaded objects.
#ifndef COFRE_BACKUP_STORED_FILE_H_
#define COFRE_BACKUP_STORED_FILE_H_

#include <memory>
#include <optional>
#include <string>

#include "crypto/secret_bytes.h"
#include "storage/external_storage.h"
#include "util/stream.h"

namespace cofre {

// The key protecting the files of one chain, or none.
struct ChainCrypto {
  const SecretBytes* data_key = nullptr;  // null: an unencrypted chain
  std::string chain_id;
  bool encrypted() const { return data_key != nullptr; }
};

// What the manifest records about a stored file.
struct StoredFileInfo {
  uint64_t bytes = 0;
  std::string sha256;  // 32 raw bytes
};

// Opens a writer for collection path `path`. When Close() succeeds, *info (which must outlive
// the writer) holds the stored size and digest.
StatusOr<std::unique_ptr<ByteSink>> OpenStoredFileWriter(ExternalStorage& storage,
                                                         const std::string& path,
                                                         const ChainCrypto& crypto,
                                                         StoredFileInfo* info);

// Opens `path` for reading. With `expected`, the stored bytes must match its size and digest
// (checked as the end is reached: DataLoss naming the file otherwise).
StatusOr<std::unique_ptr<ByteSource>> OpenStoredFileReader(
    ExternalStorage& storage, const std::string& path, const ChainCrypto& crypto,
    const std::optional<StoredFileInfo>& expected);

// Small-file helpers (manifests): whole contents in one call.
Status WriteStoredFile(ExternalStorage& storage, const std::string& path, const ChainCrypto& crypto,
                       std::string_view contents, StoredFileInfo* info = nullptr);
StatusOr<std::string> ReadStoredFile(ExternalStorage& storage, const std::string& path,
                                     const ChainCrypto& crypto, size_t max_bytes = 256 << 20);

}  // namespace cofre

#endif  // COFRE_BACKUP_STORED_FILE_H_
