// Reading and writing BACKUP_MANIFEST files (the commit point of each backup layer).
// A manifest that fails its checksum, decryption or parsing is DataLoss naming the file.
// Thread-safety: free functions.
#ifndef COFRE_BACKUP_MANIFEST_IO_H_
#define COFRE_BACKUP_MANIFEST_IO_H_

#include <string>

#include "backup/stored_file.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

// Writes `<layer_dir>/BACKUP_MANIFEST`.
Status WriteManifest(ExternalStorage& storage, const std::string& layer_dir,
                     const ChainCrypto& crypto, const proto::BackupManifest& manifest);
// Reads `<layer_dir>/BACKUP_MANIFEST`: FetchManifest, then ParseManifest.
StatusOr<proto::BackupManifest> ReadManifest(ExternalStorage& storage, const std::string& layer_dir,
                                             const ChainCrypto& crypto);
// The manifest's bytes as stored, in one request; needs no key (FetchStoredFile).
StatusOr<std::string> FetchManifest(ExternalStorage& storage, const std::string& layer_dir);
// The manifest of layer `layer_dir` from its stored bytes: decrypted, checked and parsed.
StatusOr<proto::BackupManifest> ParseManifest(std::string stored, const std::string& layer_dir,
                                              const ChainCrypto& crypto);

}  // namespace cofre

#endif  // COFRE_BACKUP_MANIFEST_IO_H_
