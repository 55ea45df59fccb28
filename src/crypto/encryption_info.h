// ENCRYPTION-INFO: creating, unlocking, extending, serializing and parsing the plaintext file
// that holds an encrypted chain's data key (DK) wrapped once per key source (docs/architecture.md
// §4, docs/format.md §3, proto/encryption_info.proto).
//
// Key hierarchy: passphrase --PBKDF2--> KEK --AES-GCM wrap--> DK; KMS key --KMS Encrypt--> DK;
// DK --HKDF--> per-file keys (streaming_aead.h).
// Every wrapped DK is bound to its chain (AAD = "cofre-dk-wrap-v1" || chain id), and
// `key_check` lets any DK, however obtained, be checked against the chain before data is read.
//
// KMS support is layered on top by the kms/backup code: it encrypts ChainKey::data_key with a
// KMS and files the blob with AddKmsEntry; to restore, it finds the entry with FindKmsEntry,
// asks the KMS to decrypt it and passes the result to ChainKeyFromUnwrapped.
// Rewrapping (adding a key source, rotating a passphrase) edits a copy of the info with the
// Add* functions, then calls BumpVersion before writing it; data files are never re-encrypted.
// Errors never contain passphrases or key bytes.
// Thread-safety: free functions over values; safe from any thread.
#ifndef COFRE_CRYPTO_ENCRYPTION_INFO_H_
#define COFRE_CRYPTO_ENCRYPTION_INFO_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "crypto/kdf.h"
#include "crypto/secret_bytes.h"
#include "proto/encryption_info.pb.h"
#include "util/status.h"

namespace cofre {

// Version 2 adds the trailing checksum; version 1 files (no checksum) are still read. Version 3
// (new chains from cofre 0.4) derives key_check with kKeyCheckInfoV3, which binds the format:
// a version-3 file rewritten as version 1 or 2 fails its key check, and the reader, finding that
// the version-3 check matches, reports the downgrade as tampering. Rewriting an existing file
// keeps its format (1 and 2 become 2; 3 stays 3).
inline constexpr uint32_t kEncryptionInfoFormatVersion = 3;
inline constexpr uint32_t kOldestEncryptionInfoFormatVersion = 1;
inline constexpr size_t kEncryptionInfoChecksumSize = 32;
inline constexpr size_t kChainIdSize = 16;
inline constexpr size_t kChainDataKeySize = 32;
inline constexpr size_t kPassphraseSaltSize = 16;
inline constexpr size_t kKeyCheckSize = 16;
// Iteration counts a reader accepts from an ENCRYPTION-INFO (bounds the work a corrupt or
// hostile file can ask for).
inline constexpr uint32_t kMinPassphraseIterations = 1000;
inline constexpr uint32_t kMaxPassphraseIterations = 5'000'000;
// Passphrase entries a reader accepts (and so tries) in one file, and key entries in all: with
// the iteration bound, a hostile file costs at most 4 x 5 000 000 PBKDF2 iterations (about 2 s
// here) to try a passphrase against. cofre writes one passphrase entry per chain.
inline constexpr int kMaxPassphraseEntries = 4;
inline constexpr int kMaxKeyEntries = 64;
inline constexpr std::string_view kDataKeyWrapLabel = "cofre-dk-wrap-v1";
inline constexpr std::string_view kKeyCheckInfo = "cofre-key-check-v1";    // formats 1 and 2
inline constexpr std::string_view kKeyCheckInfoV3 = "cofre-key-check-v3";  // format 3
// Largest ENCRYPTION-INFO file a reader accepts.
inline constexpr size_t kMaxEncryptionInfoSize = 1 << 20;

// An unlocked chain: its id and its data key.
struct ChainKey {
  std::string chain_id;  // kChainIdSize bytes
  SecretBytes data_key;  // kChainDataKeySize bytes
};

// A new chain (random chain id and DK) and its ENCRYPTION-INFO (format
// kEncryptionInfoFormatVersion, version 1) with no key entries yet; add at least one before writing
// it. Internal if the random generator fails.
StatusOr<std::pair<EncryptionInfo, ChainKey>> NewChain();

// A new chain whose ENCRYPTION-INFO has one passphrase entry (kPassphraseIterations PBKDF2
// iterations).
// InvalidArgument for an empty passphrase.
StatusOr<std::pair<EncryptionInfo, ChainKey>> NewChainWithPassphrase(
    std::string_view passphrase, uint32_t iterations = kPassphraseIterations);

// Adds a passphrase entry wrapping key.data_key (fresh salt, `iterations` PBKDF2 rounds).
// InvalidArgument for an empty passphrase or iterations outside the accepted range;
// FailedPrecondition when `key` is not this info's chain key.
Status AddPassphraseEntry(EncryptionInfo* info, const ChainKey& key, std::string_view passphrase,
                          uint32_t iterations = kPassphraseIterations);

// Files a KMS-wrapped DK under KmsKeyIdHash(kms_key_id), replacing any entry of the same key.
// `wrapped_key` is the KMS's ciphertext, already made by the caller. InvalidArgument for an empty
// key id, scheme or blob.
Status AddKmsEntry(EncryptionInfo* info, std::string_view kms_key_id, std::string_view scheme,
                   std::string_view wrapped_key);

// Lower-case hex SHA-256 of a KMS master key id.
std::string KmsKeyIdHash(std::string_view kms_key_id);

// The KMS entry filed under `kms_key_id`, or nullptr if that key never wrapped this chain's DK.
const KmsEntry* FindKmsEntry(const EncryptionInfo& info, std::string_view kms_key_id);

bool HasPassphraseEntry(const EncryptionInfo& info);
bool HasKmsEntry(const EncryptionInfo& info);

// Marks `info` as the next version (call once per rewrite of the file).
void BumpVersion(EncryptionInfo* info);

// Unlocks the chain with a passphrase, trying each passphrase entry.
// InvalidArgument for an empty passphrase; FailedPrecondition when the info has no passphrase
// entry (the backup is KMS-encrypted); PermissionDenied when no entry opens with the passphrase;
// DataLoss when the info is malformed or its key check contradicts an unwrapped key.
StatusOr<ChainKey> UnwrapWithPassphrase(const EncryptionInfo& info, std::string_view passphrase);

// Accepts a DK obtained elsewhere (a KMS decrypt) after checking it against info.key_check.
// PermissionDenied when it is not this chain's DK; DataLoss when the info is malformed.
StatusOr<ChainKey> ChainKeyFromUnwrapped(const EncryptionInfo& info, SecretBytes data_key);

// Checks every field a reader relies on. DataLoss (naming the bad field) when malformed.
// Key entries with no source this version knows are allowed (written by a newer cofre).
Status ValidateEncryptionInfo(const EncryptionInfo& info);

// Serializes `info` (deterministically) for writing to storage, with its checksum last: format 3
// when `info` is format 3, format 2 otherwise (whatever checksum `info` carried).
std::string SerializeEncryptionInfo(const EncryptionInfo& info);

// Parses and validates the bytes of an ENCRYPTION-INFO file, checking the checksum (required from
// format version 2). DataLoss, saying the file is damaged, when they are not a valid
// ENCRYPTION-INFO.
StatusOr<EncryptionInfo> ParseEncryptionInfo(std::string_view bytes);

}  // namespace cofre

#endif  // COFRE_CRYPTO_ENCRYPTION_INFO_H_
