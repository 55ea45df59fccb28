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

// Ranged reads of a stored file's plaintext, for readers that need only parts of a file (framed
// data files, backup/data_frame_reader.h). In an encrypted chain every chunk read is
// authenticated (crypto/random_access_decryptor.h); in an unencrypted one the bytes are the
// stored bytes, unchecked: the caller checks what it reads (the manifest's SHA-256 covers only
// whole reads). A stored size other than `stored_bytes` is refused at once.
class StoredFileRanges {
 public:
  virtual ~StoredFileRanges() = default;
  virtual uint64_t plaintext_size() const = 0;
  // Replaces *out with plaintext bytes [offset, offset + n); DataLoss past the end.
  virtual Status Read(uint64_t offset, size_t n, std::string* out) = 0;
};
StatusOr<std::unique_ptr<StoredFileRanges>> OpenStoredFileRanges(ExternalStorage& storage,
                                                                 const std::string& path,
                                                                 const ChainCrypto& crypto,
                                                                 uint64_t stored_bytes);

// Small-file helpers (manifests): whole contents in one call. A small file is read in two steps,
// so that it can be fetched before the chain's key is unlocked (a restore fetches its manifests
// while the passphrase's key is derived):
// - FetchStoredFile: the bytes as stored, in one request (ExternalStorage::ReadSmall: one GET on
//   object stores). NotFound "backup file P is missing from <uri>"; ResourceExhausted naming the
//   file when it is longer than the stored form of `max_bytes` of plaintext.
// - DecodeStoredFile: their plaintext, decrypted and authenticated (DataLoss naming the file);
//   ResourceExhausted past `max_bytes`.
Status WriteStoredFile(ExternalStorage& storage, const std::string& path, const ChainCrypto& crypto,
                       std::string_view contents, StoredFileInfo* info = nullptr);
StatusOr<std::string> FetchStoredFile(ExternalStorage& storage, const std::string& path,
                                      size_t max_bytes);
StatusOr<std::string> DecodeStoredFile(std::string stored, const std::string& path,
                                       const ChainCrypto& crypto, size_t max_bytes);

}  // namespace cofre

#endif  // COFRE_BACKUP_STORED_FILE_H_
