#include "backup/manifest_io.h"

#include <cstring>

#include "backup/collection.h"
#include "backup/manifest_format.h"
#include "util/sha256.h"

namespace cofre {

Status WriteManifest(ExternalStorage& storage, const std::string& layer_dir,
                     const ChainCrypto& crypto, const proto::BackupManifest& manifest) {
  std::string body(manifest_format::kMagic, 4);
  if (!manifest.AppendToString(&body)) return InternalError("cannot serialize the manifest");
  body += Sha256::Digest(body);
  return WriteStoredFile(storage, layer_dir + "/" + collection::kManifestFile, crypto, body);
}

StatusOr<proto::BackupManifest> ReadManifest(ExternalStorage& storage, const std::string& layer_dir,
                                             const ChainCrypto& crypto) {
  ASSIGN_OR_RETURN(std::string stored, FetchManifest(storage, layer_dir));
  return ParseManifest(std::move(stored), layer_dir, crypto);
}

StatusOr<std::string> FetchManifest(ExternalStorage& storage, const std::string& layer_dir) {
  return FetchStoredFile(storage, layer_dir + "/" + collection::kManifestFile,
                         manifest_format::kMaxManifestBytes);
}

StatusOr<proto::BackupManifest> ParseManifest(std::string stored, const std::string& layer_dir,
                                              const ChainCrypto& crypto) {
  std::string path = layer_dir + "/" + collection::kManifestFile;
  ASSIGN_OR_RETURN(std::string body, DecodeStoredFile(std::move(stored), path, crypto,
                                                      manifest_format::kMaxManifestBytes));
  auto corrupt = [&](const std::string& why) {
    return DataLossError("backup file " + path + " is corrupt: " + why);
  };
  if (body.size() < 4 + 32 || std::memcmp(body.data(), manifest_format::kMagic, 4) != 0) {
    return corrupt("it is not a cofre manifest");
  }
  std::string_view content(body.data(), body.size() - 32);
  if (Sha256::Digest(content) != std::string_view(body).substr(body.size() - 32)) {
    return corrupt("its checksum does not match");
  }
  proto::BackupManifest manifest;
  if (!manifest.ParseFromArray(content.data() + 4, static_cast<int>(content.size() - 4))) {
    return corrupt("it does not parse");
  }
  if (manifest.format_version() > manifest_format::kFormatVersion) {
    return FailedPreconditionError(
        "backup " + layer_dir + " was written by a newer cofre (format " +
        std::to_string(manifest.format_version()) + "); upgrade cofre to read it");
  }
  if (manifest.layer_dir() != layer_dir) {
    return corrupt("it describes " + manifest.layer_dir() + ", not " + layer_dir +
                   " (was it copied from elsewhere?)");
  }
  return manifest;
}

}  // namespace cofre
