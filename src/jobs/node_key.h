// NodeKey: the data directory's node-local secret key (<data dir>/node.key, 32 random bytes,
// created with mode 0600 on first use), which seals the secrets that jobs and schedules must
// keep to run unattended (a statement's passphrase or KMS credentials) before they are stored
// in the system database. Anyone who can read node.key and the system database can read those
// secrets: the key protects copies of the system database, not a compromised node. Keys for
// other purposes are derived from it (Derive), never the key itself.
// Thread-safety: immutable once loaded; Seal/Open may be called from any thread.
#ifndef COFRE_JOBS_NODE_KEY_H_
#define COFRE_JOBS_NODE_KEY_H_

#include <string>
#include <string_view>

#include "crypto/secret_bytes.h"
#include "util/status.h"

namespace cofre {

class NodeKey {
 public:
  // Loads <data_dir>/node.key, creating it (mode 0600) when missing. DataLoss when the file is
  // not 32 bytes; PermissionDenied when it is readable by others than its owner.
  static StatusOr<NodeKey> LoadOrCreate(const std::string& data_dir);

  // AES-256-GCM with a fresh nonce: nonce || ciphertext || tag. `purpose` is the additional
  // data (a sealed value opens only for the same purpose).
  StatusOr<std::string> Seal(std::string_view plaintext, std::string_view purpose) const;
  // DataLoss when `sealed` was not sealed by this key for `purpose`, or was altered.
  StatusOr<std::string> Open(std::string_view sealed, std::string_view purpose) const;

  // A 32-byte key for `purpose` (HKDF-SHA256 of the node key, `purpose` as its info), e.g.
  // the secret of unencrypted chains' leaf digests (backup/leaf_maps.h ChainLeafDigest).
  StatusOr<SecretBytes> Derive(std::string_view purpose) const;

 private:
  explicit NodeKey(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;
};

}  // namespace cofre

#endif  // COFRE_JOBS_NODE_KEY_H_
