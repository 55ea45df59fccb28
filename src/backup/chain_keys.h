// Chain keys: creating the key of a new backup chain from the user's key options, unlocking an
// existing chain's key from its ENCRYPTION-INFO, and rewrapping it (ALTER BACKUP), with clear
// errors for every mismatch (encrypted without a key, key for an unencrypted backup, wrong
// passphrase, a KMS key that never wrapped this chain), all detected before any data file is
// read.
//
// KMS keys (docs/architecture.md §4, docs/kms.md). The data key (DK) is encrypted by each KMS URI
// with the encryption context {"cofre-chain": hex(chain id)}, which binds every wrapped DK to its
// chain. Each wrapped DK is filed under KmsKeyIdHash(<the key id the KMS reported from Encrypt>),
// for AWS the key ARN, so one key has one entry whichever spelling (id, ARN, alias) a URI used.
// Unwrapping with a URI: the entry filed under the URI's own key (when the URI is a key ARN) is
// tried first, then every other entry of the same provider; each Decrypt names the URI's key, so
// the KMS refuses ciphertexts other keys made (PermissionDenied) instead of letting a URI unlock
// what it never wrapped. Any DK a KMS returns is checked against the chain's key check.
// With several URIs the first that unwraps wins; the others are not contacted. If none does,
// the error lists every URI (redacted) with its own failure.
//
// Passphrase and KMS options on one statement are refused. ALTER BACKUP edits only KMS entries;
// a passphrase entry is kept as is.
// Thread-safety: free functions; each call opens its own KMS connections.
#ifndef COFRE_BACKUP_CHAIN_KEYS_H_
#define COFRE_BACKUP_CHAIN_KEYS_H_

#include <optional>
#include <string>
#include <vector>

#include "crypto/encryption_info.h"
#include "kms/kms.h"
#include "storage/external_storage.h"

namespace cofre {

// The key options of a statement (WITH encryption_passphrase = ..., kms = ...). The passphrase
// and the KMS URIs (which may carry AWS secrets) are wiped (OPENSSL_cleanse) on destruction.
struct KeyOptions {
  KeyOptions() = default;
  KeyOptions(const KeyOptions&) = default;
  KeyOptions(KeyOptions&&) = default;
  KeyOptions& operator=(const KeyOptions&) = default;
  KeyOptions& operator=(KeyOptions&&) = default;
  ~KeyOptions();

  std::optional<std::string> passphrase;
  std::vector<std::string> kms_uris;
  // PBKDF2 iterations of a new chain's passphrase entry (CreateChainKey). Default
  // kPassphraseIterations (600 000); the e2e tests lower it to keep their run time.
  uint32_t new_chain_iterations = kPassphraseIterations;
  bool any() const { return passphrase.has_value() || !kms_uris.empty(); }
};

// The context every KMS-wrapped DK of chain `chain_id` is bound to.
KmsEncryptionContext ChainEncryptionContext(std::string_view chain_id);

// A new chain's key and the ENCRYPTION-INFO bytes to write with it; key is empty (and the
// bytes too) when the options ask for no encryption.
struct NewChainKey {
  std::optional<ChainKey> key;
  std::string encryption_info;
};
// With kms URIs: the DK is wrapped by every URI (one Encrypt each); all must succeed, and the
// first failure is returned naming its URI (redacted).
StatusOr<NewChainKey> CreateChainKey(const KeyOptions& options, const KmsOptions& kms_options = {});

// Unlocks the chain of full backup `full_subdir`: nullopt for an unencrypted chain (refusing
// key options), the key for an encrypted one (refusing missing options). With kms URIs, see
// the file comment; PermissionDenied when no URI's key wrapped this chain's DK.
StatusOr<std::optional<ChainKey>> OpenChainKey(ExternalStorage& storage,
                                               const std::string& full_subdir,
                                               const KeyOptions& options,
                                               const KmsOptions& kms_options = {});

// For an incremental backup on an existing chain (BACKUP ... INTO LATEST IN): every KMS URI
// given must be one that wrapped the chain's DK ("one of the provided URIs was not used when
// encrypting the base backup", InvalidArgument, naming it); a URI whose key ARN is filed in
// `info` is accepted without a KMS request, any other is checked with one Decrypt. A passphrase
// is accepted when the chain has a passphrase entry (OpenChainKey then checks it). Call it
// before writing anything.
Status CheckIncrementalKeys(const EncryptionInfo& info, const KeyOptions& options,
                            const KmsOptions& kms_options = {});

// --- building blocks of ALTER BACKUP (sql/alter_backup.h) ---

// Reads and validates the ENCRYPTION-INFO of full backup `full_subdir`. NotFound when the
// backup has none (it is not encrypted).
StatusOr<EncryptionInfo> ReadEncryptionInfo(ExternalStorage& storage,
                                            const std::string& full_subdir);

// Writes `info` as the ENCRYPTION-INFO of `full_subdir` (atomically: readers see the old or the
// new file). FailedPrecondition, writing nothing, when the file on storage is no longer at
// version `expected_version` (another ALTER BACKUP ran meanwhile).
Status WriteEncryptionInfo(ExternalStorage& storage, const std::string& full_subdir,
                           const EncryptionInfo& info, uint64_t expected_version);

// Unwraps the DK with the first of `kms_uris` that can (see the file comment). `backup` names
// the backup in messages.
StatusOr<ChainKey> UnwrapWithKms(const EncryptionInfo& info,
                                 const std::vector<std::string>& kms_uris,
                                 const std::string& backup, const KmsOptions& kms_options = {});

// Wraps key.data_key with every one of `kms_uris` and files the results in `info` (replacing
// the entry of a key that already had one). All URIs are opened before any request is sent.
// REQUIRES: `key` is `info`'s chain key, as NewChain made it or UnwrapWithKms returned it
// (FailedPrecondition when its chain id differs).
Status WrapWithKms(EncryptionInfo* info, const ChainKey& key,
                   const std::vector<std::string>& kms_uris, const KmsOptions& kms_options = {});

// Removes the entry that `kms_uri`'s key made. A key ARN URI is matched without a KMS request;
// an alias or key id is matched by a Decrypt of each entry (so its key must still be usable).
// NotFound when no entry is that key's.
Status RemoveKmsEntry(EncryptionInfo* info, const std::string& kms_uri, const std::string& backup,
                      const KmsOptions& kms_options = {});

}  // namespace cofre

#endif  // COFRE_BACKUP_CHAIN_KEYS_H_
