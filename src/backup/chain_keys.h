// Chain keys: creating the key of a new backup chain from the user's key options, and
// unlocking an existing chain's key from its ENCRYPTION-INFO, with clear errors for every
// mismatch (encrypted without a key, key for an unencrypted backup, wrong passphrase), all
// detected before any data file is read.
// Thread-safety: free functions.
#ifndef COFRE_BACKUP_CHAIN_KEYS_H_
#define COFRE_BACKUP_CHAIN_KEYS_H_

#include <optional>
#include <string>
#include <vector>

#include "crypto/encryption_info.h"
#include "storage/external_storage.h"

namespace cofre {

// The key options of a statement (WITH encryption_passphrase = ..., kms = ...).
struct KeyOptions {
  std::optional<std::string> passphrase;
  std::vector<std::string> kms_uris;
  bool any() const { return passphrase.has_value() || !kms_uris.empty(); }
};

// A new chain's key and the ENCRYPTION-INFO bytes to write with it; key is empty (and the
// bytes too) when the options ask for no encryption.
struct NewChainKey {
  std::optional<ChainKey> key;
  std::string encryption_info;
};
StatusOr<NewChainKey> CreateChainKey(const KeyOptions& options);

// Unlocks the chain of full backup `full_subdir`: nullopt for an unencrypted chain (refusing
// key options), the key for an encrypted one (refusing missing options).
StatusOr<std::optional<ChainKey>> OpenChainKey(ExternalStorage& storage,
                                               const std::string& full_subdir,
                                               const KeyOptions& options);

}  // namespace cofre

#endif  // COFRE_BACKUP_CHAIN_KEYS_H_
