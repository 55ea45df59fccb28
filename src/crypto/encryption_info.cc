#include "crypto/encryption_info.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/crypto.h>

#include "crypto/kdf.h"
#include "crypto/key_wrap.h"
#include "crypto/random.h"
#include "util/sha256.h"

namespace cofre {
namespace {

constexpr size_t kWrappedDataKeySize = kChainDataKeySize + kKeyWrapOverhead;

std::string WrapAad(std::string_view chain_id) {
  std::string aad(kDataKeyWrapLabel);
  aad.append(chain_id);
  return aad;
}

// The key check of a chain key for an ENCRYPTION-INFO of format `format`.
StatusOr<std::string> KeyCheck(const SecretBytes& data_key, std::string_view chain_id,
                               uint32_t format) {
  ASSIGN_OR_RETURN(SecretBytes check,
                   Hkdf(data_key.view(), chain_id, format >= 3 ? kKeyCheckInfoV3 : kKeyCheckInfo,
                        kKeyCheckSize));
  return std::string(check.view());
}

bool SameCheck(const EncryptionInfo& info, const std::string& check) {
  return info.key_check().size() == check.size() &&
         CRYPTO_memcmp(info.key_check().data(), check.data(), check.size()) == 0;
}

// True when `data_key` belongs to the chain `info` describes (constant-time comparison).
// DataLoss when it does, but the file was made at format 3 and rewritten as an older format.
StatusOr<bool> MatchesKeyCheck(const EncryptionInfo& info, const SecretBytes& data_key) {
  if (data_key.size() != kChainDataKeySize) return false;
  ASSIGN_OR_RETURN(std::string check, KeyCheck(data_key, info.chain_id(), info.format_version()));
  if (SameCheck(info, check)) return true;
  if (info.format_version() < 3) {
    ASSIGN_OR_RETURN(std::string v3, KeyCheck(data_key, info.chain_id(), 3));
    if (SameCheck(info, v3)) {
      return DataLossError(
                 "ENCRYPTION-INFO was written at format version 3 and rewritten as version " +
                 std::to_string(info.format_version()) +
                 ": its key check binds format 3. The backup's storage was tampered with")
          .WithHint(
              "restore from another copy of the backup, and find out who can write to "
              "its storage");
    }
  }
  return false;
}

Status Corrupt(std::string_view what) {
  return DataLossError("ENCRYPTION-INFO is corrupt: " + std::string(what) +
                       "; the backup's keys cannot be read from it");
}

bool IsSchemeName(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Field 6 (checksum), wire type 2 (length-delimited).
constexpr char kChecksumTag = 0x32;
constexpr size_t kChecksumTrailerSize = 2 + kEncryptionInfoChecksumSize;

// The file must end with the checksum field, and it must be the SHA-256 of the bytes before it.
Status CheckChecksum(const EncryptionInfo& info, std::string_view bytes) {
  if (info.checksum().size() != kEncryptionInfoChecksumSize ||
      bytes.size() < kChecksumTrailerSize) {
    return Corrupt("its checksum is missing");
  }
  std::string_view body = bytes.substr(0, bytes.size() - kChecksumTrailerSize);
  std::string_view trailer = bytes.substr(body.size());
  if (trailer[0] != kChecksumTag ||
      static_cast<size_t>(trailer[1]) != kEncryptionInfoChecksumSize ||
      trailer.substr(2) != info.checksum() || Sha256::Digest(body) != info.checksum()) {
    return Corrupt("its checksum does not match its contents (the file was altered or damaged)");
  }
  return Status::OK();
}

Status CheckIterations(uint32_t iterations) {
  if (iterations < kMinPassphraseIterations || iterations > kMaxPassphraseIterations) {
    return InvalidArgumentError("passphrase iterations must be between " +
                                std::to_string(kMinPassphraseIterations) + " and " +
                                std::to_string(kMaxPassphraseIterations));
  }
  return Status::OK();
}

}  // namespace

StatusOr<std::pair<EncryptionInfo, ChainKey>> NewChain() {
  ChainKey key;
  ASSIGN_OR_RETURN(key.chain_id, RandomBytes(kChainIdSize));
  ASSIGN_OR_RETURN(key.data_key, RandomSecret(kChainDataKeySize));
  EncryptionInfo info;
  info.set_format_version(kEncryptionInfoFormatVersion);
  info.set_chain_id(key.chain_id);
  info.set_version(1);
  ASSIGN_OR_RETURN(std::string check,
                   KeyCheck(key.data_key, key.chain_id, kEncryptionInfoFormatVersion));
  info.set_key_check(check);
  return std::make_pair(std::move(info), std::move(key));
}

StatusOr<std::pair<EncryptionInfo, ChainKey>> NewChainWithPassphrase(std::string_view passphrase,
                                                                     uint32_t iterations) {
  if (passphrase.empty()) {
    return InvalidArgumentError(
        "encryption_passphrase is empty; give a non-empty passphrase to encrypt the backup");
  }
  ASSIGN_OR_RETURN(auto chain, NewChain());
  RETURN_IF_ERROR(AddPassphraseEntry(&chain.first, chain.second, passphrase, iterations));
  return chain;
}

Status AddPassphraseEntry(EncryptionInfo* info, const ChainKey& key, std::string_view passphrase,
                          uint32_t iterations) {
  if (passphrase.empty()) {
    return InvalidArgumentError(
        "encryption_passphrase is empty; give a non-empty passphrase to encrypt the backup");
  }
  RETURN_IF_ERROR(CheckIterations(iterations));
  ASSIGN_OR_RETURN(bool matches, MatchesKeyCheck(*info, key.data_key));
  if (key.chain_id != info->chain_id() || !matches) {
    return FailedPreconditionError(
        "cannot add a passphrase to ENCRYPTION-INFO: the given chain key belongs to another "
        "backup chain");
  }
  ASSIGN_OR_RETURN(std::string salt, RandomBytes(kPassphraseSaltSize));
  ASSIGN_OR_RETURN(SecretBytes kek, PassphraseKey(passphrase, salt, iterations));
  ASSIGN_OR_RETURN(std::string wrapped, WrapKey(kek, key.data_key, WrapAad(key.chain_id)));
  PassphraseEntry* entry = info->add_keys()->mutable_passphrase();
  entry->set_kdf(PassphraseEntry::PBKDF2_HMAC_SHA256);
  entry->set_iterations(iterations);
  entry->set_salt(salt);
  entry->set_wrapped_key(wrapped);
  return Status::OK();
}

std::string KmsKeyIdHash(std::string_view kms_key_id) { return Sha256::HexDigest(kms_key_id); }

Status AddKmsEntry(EncryptionInfo* info, std::string_view kms_key_id, std::string_view scheme,
                   std::string_view wrapped_key) {
  if (kms_key_id.empty()) return InvalidArgumentError("KMS key id is empty");
  if (!IsSchemeName(scheme)) {
    return InvalidArgumentError("KMS scheme must be a URI scheme name such as \"aws\"");
  }
  if (wrapped_key.empty()) return InvalidArgumentError("KMS-wrapped data key is empty");
  std::string hash = KmsKeyIdHash(kms_key_id);
  KmsEntry* entry = nullptr;
  for (KeyEntry& k : *info->mutable_keys()) {
    if (k.has_kms() && k.kms().key_id_hash() == hash) entry = k.mutable_kms();
  }
  if (entry == nullptr) entry = info->add_keys()->mutable_kms();
  entry->set_key_id_hash(hash);
  entry->set_scheme(std::string(scheme));
  entry->set_wrapped_key(std::string(wrapped_key));
  return Status::OK();
}

const KmsEntry* FindKmsEntry(const EncryptionInfo& info, std::string_view kms_key_id) {
  std::string hash = KmsKeyIdHash(kms_key_id);
  for (const KeyEntry& k : info.keys()) {
    if (k.has_kms() && !hash.empty() && k.kms().key_id_hash() == hash) return &k.kms();
  }
  return nullptr;
}

bool HasPassphraseEntry(const EncryptionInfo& info) {
  for (const KeyEntry& k : info.keys()) {
    if (k.has_passphrase()) return true;
  }
  return false;
}

bool HasKmsEntry(const EncryptionInfo& info) {
  for (const KeyEntry& k : info.keys()) {
    if (k.has_kms()) return true;
  }
  return false;
}

void BumpVersion(EncryptionInfo* info) { info->set_version(info->version() + 1); }

StatusOr<ChainKey> UnwrapWithPassphrase(const EncryptionInfo& info, std::string_view passphrase) {
  if (passphrase.empty()) {
    return InvalidArgumentError(
        "encryption_passphrase is empty; give the passphrase the backup was taken with");
  }
  RETURN_IF_ERROR(ValidateEncryptionInfo(info));
  if (!HasPassphraseEntry(info)) {
    return FailedPreconditionError("this backup is encrypted with KMS, not with a passphrase")
        .WithHint(
            "give kms = '<KMS URI>' (one of the KMS keys the backup was taken with) "
            "instead of encryption_passphrase");
  }
  std::string aad = WrapAad(info.chain_id());
  for (const KeyEntry& k : info.keys()) {
    if (!k.has_passphrase()) continue;
    const PassphraseEntry& entry = k.passphrase();
    ASSIGN_OR_RETURN(SecretBytes kek, PassphraseKey(passphrase, entry.salt(), entry.iterations()));
    StatusOr<SecretBytes> dk = UnwrapKey(kek, entry.wrapped_key(), aad);
    if (!dk.ok()) {
      if (IsDataLoss(dk.status())) continue;  // a different passphrase made this entry
      return dk.status();
    }
    ASSIGN_OR_RETURN(bool matches, MatchesKeyCheck(info, *dk));
    if (!matches) {
      return Corrupt("a passphrase entry holds a key that fails the key check");
    }
    return ChainKey{info.chain_id(), std::move(dk).value()};
  }
  return PermissionDeniedError("the encryption passphrase is wrong for this backup")
      .WithHint("give the encryption_passphrase the backup was taken with");
}

StatusOr<ChainKey> ChainKeyFromUnwrapped(const EncryptionInfo& info, SecretBytes data_key) {
  RETURN_IF_ERROR(ValidateEncryptionInfo(info));
  ASSIGN_OR_RETURN(bool matches, MatchesKeyCheck(info, data_key));
  if (!matches) {
    return PermissionDeniedError(
        "the unwrapped data key does not belong to this backup: the KMS key did not wrap this "
        "backup's key");
  }
  return ChainKey{info.chain_id(), std::move(data_key)};
}

Status ValidateEncryptionInfo(const EncryptionInfo& info) {
  if (info.format_version() < kOldestEncryptionInfoFormatVersion ||
      info.format_version() > kEncryptionInfoFormatVersion) {
    return Corrupt("unknown format version " + std::to_string(info.format_version()) +
                   " (a newer cofre may have written it)");
  }
  if (info.chain_id().size() != kChainIdSize) return Corrupt("the chain id has the wrong size");
  if (info.version() == 0) return Corrupt("the version counter is 0");
  if (info.key_check().size() != kKeyCheckSize) return Corrupt("the key check has the wrong size");
  if (info.keys_size() == 0) return Corrupt("it has no key entries");
  if (info.keys_size() > kMaxKeyEntries) {
    return Corrupt("it has " + std::to_string(info.keys_size()) + " key entries (at most " +
                   std::to_string(kMaxKeyEntries) + " are accepted)");
  }
  int passphrase_entries = 0;
  for (const KeyEntry& k : info.keys()) {
    if (k.has_passphrase() && ++passphrase_entries > kMaxPassphraseEntries) {
      return Corrupt("it has more than " + std::to_string(kMaxPassphraseEntries) +
                     " passphrase entries (cofre writes one)");
    }
    if (k.has_passphrase()) {
      const PassphraseEntry& p = k.passphrase();
      if (p.kdf() != PassphraseEntry::PBKDF2_HMAC_SHA256) {
        return Corrupt("a passphrase entry names an unknown key derivation function");
      }
      if (p.iterations() < kMinPassphraseIterations || p.iterations() > kMaxPassphraseIterations) {
        return Corrupt("a passphrase entry has an out-of-range iteration count");
      }
      if (p.salt().size() != kPassphraseSaltSize) {
        return Corrupt("a passphrase entry's salt has the wrong size");
      }
      if (p.wrapped_key().size() != kWrappedDataKeySize) {
        return Corrupt("a passphrase entry's wrapped key has the wrong size");
      }
    } else if (k.has_kms()) {
      const KmsEntry& m = k.kms();
      if (m.key_id_hash().size() != 64 || !IsLowerHex(m.key_id_hash())) {
        return Corrupt("a KMS entry's key id hash is not 64 hex digits");
      }
      if (!IsSchemeName(m.scheme())) return Corrupt("a KMS entry's scheme is not a scheme name");
      if (m.wrapped_key().empty()) return Corrupt("a KMS entry has no wrapped key");
    }
  }
  return Status::OK();
}

std::string SerializeEncryptionInfo(const EncryptionInfo& info) {
  EncryptionInfo body = info;
  // The key check of formats 1 and 2 is the same; format 3's differs (and needs the DK).
  body.set_format_version(info.format_version() >= 3 ? 3 : 2);
  body.clear_checksum();
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    body.SerializeToCodedStream(&coded);
  }
  // The checksum goes last, as field 6, so that it covers every byte before it.
  std::string checksum = Sha256::Digest(out);
  out.push_back(kChecksumTag);
  out.push_back(static_cast<char>(kEncryptionInfoChecksumSize));
  out.append(checksum);
  return out;
}

StatusOr<EncryptionInfo> ParseEncryptionInfo(std::string_view bytes) {
  if (bytes.size() > kMaxEncryptionInfoSize) {
    return Corrupt("it is larger than " + std::to_string(kMaxEncryptionInfoSize) + " bytes");
  }
  EncryptionInfo info;
  if (!info.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Corrupt("it is not a valid protobuf message");
  }
  if (info.format_version() >= 2 || !info.checksum().empty()) {
    RETURN_IF_ERROR(CheckChecksum(info, bytes));
  }
  RETURN_IF_ERROR(ValidateEncryptionInfo(info));
  return info;
}

}  // namespace cofre
