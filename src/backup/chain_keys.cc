#include "backup/chain_keys.h"

#include <openssl/crypto.h>

#include <memory>
#include <utility>

#include "backup/collection.h"
#include "crypto/streaming_aead_format.h"
#include "util/sha256.h"

namespace cofre {

namespace {

void WipeString(std::string& s) {
  if (s.capacity() > 0) OPENSSL_cleanse(s.data(), s.capacity());
}

}  // namespace

KeyOptions::~KeyOptions() {
  if (passphrase) WipeString(*passphrase);
  for (auto& uri : kms_uris) WipeString(uri);
}

namespace {

constexpr std::string_view kChainContextKey = "cofre-chain";

Status RefuseBoth() {
  return InvalidArgumentError("encryption_passphrase and kms cannot be used together; choose one");
}

// docs/architecture.md §5 reports rejected credentials as PermissionDenied; the KMS layer tells
// them apart (Unauthenticated) so that a bad secret is not mistaken for a key that wrapped nothing.
Status UserFacing(const Status& s) {
  if (s.code() != StatusCode::kUnauthenticated) return s;
  return PermissionDeniedError(s.message()).WithHint(s.hint());
}

StatusOr<std::vector<std::unique_ptr<Kms>>> OpenAll(const std::vector<std::string>& uris,
                                                    const KmsOptions& options) {
  std::vector<std::unique_ptr<Kms>> out;
  for (const std::string& uri : uris) {
    ASSIGN_OR_RETURN(auto kms, OpenKms(uri, options));
    out.push_back(std::move(kms));
  }
  return out;
}

// The KMS entries `kms` may have made, the one filed under its canonical key id first.
std::vector<int> CandidateEntries(const EncryptionInfo& info, const Kms& kms) {
  std::vector<int> out;
  std::string own_hash;
  if (auto canonical = kms.CanonicalKeyId()) own_hash = KmsKeyIdHash(*canonical);
  for (int i = 0; i < info.keys_size(); ++i) {
    const KeyEntry& k = info.keys(i);
    if (!k.has_kms() || k.kms().scheme() != kms.Provider()) continue;
    if (!own_hash.empty() && k.kms().key_id_hash() == own_hash) {
      out.insert(out.begin(), i);
    } else {
      out.push_back(i);
    }
  }
  return out;
}

// A DK one KMS unwrapped, and the index of the entry it came from.
struct Unwrapped {
  ChainKey key;
  int entry = -1;
};

// Asks `kms` to decrypt the entries it may have made, until one opens. PermissionDenied when
// the KMS refuses every one (its key wrapped none); any other failure (unusable key,
// credentials, outage) ends the attempt at once.
StatusOr<Unwrapped> UnwrapWithOne(const EncryptionInfo& info, Kms& kms, const std::string& backup) {
  std::vector<int> candidates = CandidateEntries(info, kms);
  const std::string uri = "'" + kms.RedactedUri() + "'";
  if (candidates.empty()) {
    return PermissionDeniedError("the KMS key of " + uri + " did not wrap the data key of backup " +
                                 backup + ": the backup has no " + std::string(kms.Provider()) +
                                 " KMS keys")
        .WithHint("use one of the KMS URIs the backup was taken with");
  }
  const KmsEncryptionContext context = ChainEncryptionContext(info.chain_id());
  std::string refusal;
  for (int i : candidates) {
    StatusOr<KmsPlaintext> dk = kms.Decrypt(info.keys(i).kms().wrapped_key(), context);
    if (!dk.ok()) {
      if (dk.status().code() != StatusCode::kPermissionDenied) return dk.status();
      refusal = dk.status().message();
      continue;
    }
    StatusOr<ChainKey> key = ChainKeyFromUnwrapped(info, SecretBytes(dk->view()));
    if (!key.ok()) {
      return DataLossError("the KMS key of " + uri + " unwrapped a data key that is not backup " +
                           backup + "'s (" + key.status().message() +
                           "); its ENCRYPTION-INFO file has been altered or damaged");
    }
    return Unwrapped{std::move(*key), i};
  }
  // The KMS's refusal names the URI and what the KMS answered; say what it means.
  return PermissionDeniedError(refusal + ": that key did not wrap the data key of backup " + backup)
      .WithHint(
          "use one of the KMS URIs the backup was taken with; ALTER BACKUP ... ADD NEW_KMS "
          "adds a key to a backup");
}

// One error for several URIs that all failed: each failure in order. Unavailable when any was
// (trying again later may work), else the first failure's code.
Status CombineFailures(const std::vector<Status>& failures, const std::string& backup) {
  if (failures.size() == 1) return UserFacing(failures[0]);
  std::string message = "none of the " + std::to_string(failures.size()) +
                        " KMS URIs could unlock backup " + backup + ":";
  StatusCode code = UserFacing(failures[0]).code();
  for (size_t i = 0; i < failures.size(); ++i) {
    message += " (" + std::to_string(i + 1) + ") " + failures[i].message() +
               (i + 1 < failures.size() ? ";" : "");
    if (IsUnavailable(failures[i])) code = StatusCode::kUnavailable;
  }
  return Status(code, message)
      .WithHint("give at least one KMS URI the backup was taken with whose key is usable now");
}

std::string InfoPath(const std::string& full_subdir) {
  return full_subdir + "/" + collection::kEncryptionInfoFile;
}

}  // namespace

KmsEncryptionContext ChainEncryptionContext(std::string_view chain_id) {
  return {{std::string(kChainContextKey), ToHex(chain_id)}};
}

StatusOr<NewChainKey> CreateChainKey(const KeyOptions& options, const KmsOptions& kms_options) {
  NewChainKey out;
  if (!options.any()) return out;
  if (options.passphrase && !options.kms_uris.empty()) return RefuseBoth();
  if (!options.kms_uris.empty()) {
    ASSIGN_OR_RETURN(auto chain, NewChain());
    RETURN_IF_ERROR(WrapWithKms(&chain.first, chain.second, options.kms_uris, kms_options));
    out.encryption_info = SerializeEncryptionInfo(chain.first);
    out.key = std::move(chain.second);
    return out;
  }
  if (options.passphrase->empty()) {
    return InvalidArgumentError("encryption_passphrase must not be empty");
  }
  ASSIGN_OR_RETURN(auto chain,
                   NewChainWithPassphrase(*options.passphrase, options.new_chain_iterations));
  out.encryption_info = SerializeEncryptionInfo(chain.first);
  out.key = std::move(chain.second);
  return out;
}

StatusOr<std::optional<ChainKey>> OpenChainKey(ExternalStorage& storage,
                                               const std::string& full_subdir,
                                               const KeyOptions& options,
                                               const KmsOptions& kms_options) {
  const std::string display = collection::DisplaySubdir(full_subdir);
  const std::string info_path = InfoPath(full_subdir);
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
      if (n.ok() && *n == 4 && std::string_view(head, 4) == streaming_aead::kMagic) {
        return DataLossError("backup " + display + " is encrypted but its " + info_path +
                             " file is missing; the backup cannot be decrypted without it");
      }
    }
    if (options.any()) {
      // Also what an attacker produces by rewriting an encrypted chain in plaintext: say so,
      // and never just suggest dropping the key.
      return InvalidArgumentError("backup " + display + " in " + storage.RedactedUri() +
                                  " is not encrypted, but a key was given")
          .WithHint(
              "if this backup was taken with encryption, finding it unencrypted means its "
              "storage was tampered with: do not restore it, and find out who can write there. "
              "Only if it was really taken without encryption, run the statement again without "
              "encryption_passphrase / kms");
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
  if (options.passphrase && !options.kms_uris.empty()) return RefuseBoth();
  if (!options.kms_uris.empty()) {
    if (!HasKmsEntry(*info)) {
      return FailedPreconditionError("backup " + display + " in " + storage.RedactedUri() +
                                     " is encrypted with a passphrase, not with KMS")
          .WithHint("give encryption_passphrase = '...' instead of kms");
    }
    ASSIGN_OR_RETURN(ChainKey key,
                     UnwrapWithKms(*info, options.kms_uris,
                                   display + " in " + storage.RedactedUri(), kms_options));
    return std::optional<ChainKey>(std::move(key));
  }
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

Status CheckIncrementalKeys(const EncryptionInfo& info, const KeyOptions& options,
                            const KmsOptions& kms_options) {
  if (options.passphrase && !options.kms_uris.empty()) return RefuseBoth();
  if (options.passphrase) {
    if (HasPassphraseEntry(info)) return Status::OK();
    return FailedPreconditionError(
               "the base backup is encrypted with KMS, so its incrementals are too")
        .WithHint(
            "give kms = '<one of the base backup's KMS URIs>' instead of "
            "encryption_passphrase");
  }
  if (options.kms_uris.empty()) return Status::OK();
  if (!HasKmsEntry(info)) {
    return FailedPreconditionError(
               "the base backup is encrypted with a passphrase, so its incrementals are too")
        .WithHint("give encryption_passphrase = '...' instead of kms");
  }
  ASSIGN_OR_RETURN(auto all, OpenAll(options.kms_uris, kms_options));
  for (auto& kms : all) {
    if (auto canonical = kms->CanonicalKeyId(); canonical && FindKmsEntry(info, *canonical)) {
      continue;
    }
    StatusOr<Unwrapped> r = UnwrapWithOne(info, *kms, "(the base backup)");
    if (r.ok()) continue;
    if (r.status().code() == StatusCode::kPermissionDenied) {
      return InvalidArgumentError(
                 "one of the provided URIs was not used when encrypting the base backup: '" +
                 kms->RedactedUri() + "' did not wrap its data key")
          .WithHint(
              "an incremental backup may use any of the full backup's KMS URIs, but no "
              "new one; add a key to the chain first with ALTER BACKUP ... ADD NEW_KMS");
    }
    return UserFacing(r.status());
  }
  return Status::OK();
}

StatusOr<EncryptionInfo> ReadEncryptionInfo(ExternalStorage& storage,
                                            const std::string& full_subdir) {
  const std::string path = InfoPath(full_subdir);
  StatusOr<std::string> bytes = ReadSmallFile(storage, path, kMaxEncryptionInfoSize);
  if (!bytes.ok()) {
    if (IsNotFound(bytes.status())) {
      return NotFoundError("backup " + collection::DisplaySubdir(full_subdir) + " in " +
                           storage.RedactedUri() + " has no " + collection::kEncryptionInfoFile +
                           " file: it is not encrypted");
    }
    return bytes.status().Annotate("reading backup file " + path);
  }
  StatusOr<EncryptionInfo> info = ParseEncryptionInfo(*bytes);
  if (!info.ok()) return info.status().Annotate("backup file " + path);
  return info;
}

Status WriteEncryptionInfo(ExternalStorage& storage, const std::string& full_subdir,
                           const EncryptionInfo& info, uint64_t expected_version) {
  RETURN_IF_ERROR(ValidateEncryptionInfo(info));
  ASSIGN_OR_RETURN(EncryptionInfo current, ReadEncryptionInfo(storage, full_subdir));
  if (current.version() != expected_version || current.chain_id() != info.chain_id()) {
    return FailedPreconditionError(
        "the keys of backup " + collection::DisplaySubdir(full_subdir) + " in " +
        storage.RedactedUri() + " changed while this statement ran (ENCRYPTION-INFO version " +
        std::to_string(current.version()) + ", expected " + std::to_string(expected_version) +
        "); nothing was written: run the statement again");
  }
  return WriteSmallFile(storage, InfoPath(full_subdir), SerializeEncryptionInfo(info))
      .Annotate("writing backup file " + InfoPath(full_subdir));
}

StatusOr<ChainKey> UnwrapWithKms(const EncryptionInfo& info,
                                 const std::vector<std::string>& kms_uris,
                                 const std::string& backup, const KmsOptions& kms_options) {
  if (kms_uris.empty()) return InvalidArgumentError("no KMS URI given to unlock backup " + backup);
  ASSIGN_OR_RETURN(auto all, OpenAll(kms_uris, kms_options));
  std::vector<Status> failures;
  for (auto& kms : all) {
    StatusOr<Unwrapped> r = UnwrapWithOne(info, *kms, backup);
    if (r.ok()) return std::move(r->key);
    failures.push_back(r.status());
  }
  return CombineFailures(failures, backup);
}

Status WrapWithKms(EncryptionInfo* info, const ChainKey& key,
                   const std::vector<std::string>& kms_uris, const KmsOptions& kms_options) {
  if (kms_uris.empty()) return InvalidArgumentError("no KMS URI given to wrap the data key with");
  if (key.chain_id != info->chain_id()) {
    return FailedPreconditionError(
        "cannot add a KMS key to ENCRYPTION-INFO: the given chain key belongs to another backup "
        "chain");
  }
  ASSIGN_OR_RETURN(auto all, OpenAll(kms_uris, kms_options));
  const KmsEncryptionContext context = ChainEncryptionContext(key.chain_id);
  for (auto& kms : all) {
    StatusOr<KmsCiphertext> wrapped = kms->Encrypt(key.data_key.view(), context);
    if (!wrapped.ok()) return UserFacing(wrapped.status());
    RETURN_IF_ERROR(AddKmsEntry(info, wrapped->key_id, kms->Provider(), wrapped->blob));
  }
  return Status::OK();
}

Status RemoveKmsEntry(EncryptionInfo* info, const std::string& kms_uri, const std::string& backup,
                      const KmsOptions& kms_options) {
  ASSIGN_OR_RETURN(auto kms, OpenKms(kms_uri, kms_options));
  int entry = -1;
  if (auto canonical = kms->CanonicalKeyId()) {
    const std::string hash = KmsKeyIdHash(*canonical);
    for (int i = 0; i < info->keys_size(); ++i) {
      if (info->keys(i).has_kms() && info->keys(i).kms().key_id_hash() == hash) entry = i;
    }
  }
  if (entry < 0) {
    StatusOr<Unwrapped> r = UnwrapWithOne(*info, *kms, backup);
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kPermissionDenied) {
        return NotFoundError("the KMS key of '" + kms->RedactedUri() +
                             "' does not wrap the data key of backup " + backup +
                             "; there is nothing to drop");
      }
      return UserFacing(r.status())
          .WithHint(
              "to drop the entry of a key that KMS cannot use any more, name the key by "
              "its ARN: aws:///arn:aws:kms:<region>:<account>:key/<id>?REGION=...");
    }
    entry = r->entry;
  }
  info->mutable_keys()->DeleteSubrange(entry, 1);
  return Status::OK();
}

}  // namespace cofre
