#include "backup/chain_keys.h"

#include "backup/collection.h"
#include "crypto/streaming_aead_format.h"

namespace cofre {

namespace {

Status RefuseKms() {
  return InvalidArgumentError(
      "the kms option needs KMS support, which this build of cofre does not have; use "
      "encryption_passphrase");
}

}  // namespace

StatusOr<NewChainKey> CreateChainKey(const KeyOptions& options) {
  NewChainKey out;
  if (!options.any()) return out;
  if (options.passphrase && !options.kms_uris.empty()) {
    return InvalidArgumentError("encryption_passphrase and kms cannot be used together; choose one");
  }
  if (!options.kms_uris.empty()) return RefuseKms();
  if (options.passphrase->empty()) {
    return InvalidArgumentError("encryption_passphrase must not be empty");
  }
  ASSIGN_OR_RETURN(auto chain, NewChainWithPassphrase(*options.passphrase));
  out.encryption_info = SerializeEncryptionInfo(chain.first);
  out.key = std::move(chain.second);
  return out;
}

StatusOr<std::optional<ChainKey>> OpenChainKey(ExternalStorage& storage,
                                               const std::string& full_subdir,
                                               const KeyOptions& options) {
  const std::string display = collection::DisplaySubdir(full_subdir);
  const std::string info_path = full_subdir + "/" + collection::kEncryptionInfoFile;
  auto bytes = ReadSmallFile(storage, info_path, kMaxEncryptionInfoSize);
  if (!bytes.ok() && !IsNotFound(bytes.status())) {
    return bytes.status().Annotate("reading backup file " + info_path);
  }
  if (!bytes.ok()) {
    // No ENCRYPTION-INFO: an unencrypted backup, unless its manifest is encrypted (then the
    // key file was lost).
    auto manifest = storage.NewReader(full_subdir + "/" + collection::kManifestFile);
    if (manifest.ok()) {
      char head[4] = {0, 0, 0, 0};
      auto n = ReadFully(**manifest, head, 4);
      if (n.ok() && *n == 4 &&
          std::string_view(head, 4) == streaming_aead::kMagic) {
        return DataLossError("backup " + display + " is encrypted but its " + info_path +
                             " file is missing; the backup cannot be decrypted without it");
      }
    }
    if (options.any()) {
      return InvalidArgumentError("backup " + display + " in " + storage.RedactedUri() +
                                  " is not encrypted; remove the encryption_passphrase / kms "
                                  "option");
    }
    return std::optional<ChainKey>();
  }
  auto info = ParseEncryptionInfo(*bytes);
  if (!info.ok()) return info.status().Annotate("backup file " + info_path);
  if (!options.any()) {
    return FailedPreconditionError("backup " + display + " in " + storage.RedactedUri() +
                                   " is encrypted")
        .WithHint(HasPassphraseEntry(*info)
                      ? "give the passphrase it was taken with: WITH encryption_passphrase = '...'"
                      : "give one of the KMS keys it was taken with: WITH kms = '...'");
  }
  if (options.passphrase && !options.kms_uris.empty()) {
    return InvalidArgumentError("encryption_passphrase and kms cannot be used together; choose one");
  }
  if (!options.kms_uris.empty()) return RefuseKms();
  auto key = UnwrapWithPassphrase(*info, *options.passphrase);
  if (!key.ok()) {
    if (key.status().code() == StatusCode::kPermissionDenied) {
      return PermissionDeniedError("the encryption passphrase is wrong for backup " + display +
                                   " in " + storage.RedactedUri());
    }
    return key.status().Annotate("backup " + display);
  }
  return std::optional<ChainKey>(std::move(*key));
}

}  // namespace cofre
