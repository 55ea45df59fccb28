// RowDigester: the per-row digests incremental backups compare to find changed rows (DESIGN §3).
//
// Keyed (encrypted chains): HMAC-SHA256 under a digest key derived from the chain's data key,
//   HKDF-SHA256(data key, salt = "", info = "cofre-row-digest-v1"), so digests reveal nothing
//   about row contents to someone without the key.
// Unkeyed (unencrypted chains): SHA-256.
// Either way the digest is the first 16 bytes of the 32-byte output. The scheme and label are
// part of the backup format: changing them would make every row look changed.
// Contexts are created once and reused, so Digest() does no setup work per row.
// Thread-safety: not thread-safe; give each thread its own digester via Clone().
#ifndef COFRE_CRYPTO_ROW_DIGEST_H_
#define COFRE_CRYPTO_ROW_DIGEST_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "crypto/secret_bytes.h"
#include "util/status.h"

typedef struct evp_mac_ctx_st EVP_MAC_CTX;
typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace cofre {

inline constexpr size_t kRowDigestSize = 16;
using RowDigest = std::array<uint8_t, kRowDigestSize>;

// HKDF info label of the row digest key.
inline constexpr std::string_view kRowDigestKeyInfo = "cofre-row-digest-v1";

class RowDigester {
 public:
  // HMAC-SHA256 under the digest key of `data_key` (32 bytes). InvalidArgument for another key
  // size; Internal when OpenSSL lacks HMAC or SHA-256.
  static StatusOr<RowDigester> NewKeyed(const SecretBytes& data_key);
  // Plain SHA-256. Internal when OpenSSL lacks SHA-256.
  static StatusOr<RowDigester> NewUnkeyed();

  RowDigester(RowDigester&& other) noexcept;
  RowDigester& operator=(RowDigester&& other) noexcept;
  RowDigester(const RowDigester&) = delete;
  RowDigester& operator=(const RowDigester&) = delete;
  ~RowDigester();

  bool keyed() const { return mac_ != nullptr; }

  // The truncated digest of `bytes`. With contexts set up at construction, OpenSSL can fail here
  // only by running out of memory, which aborts the process as a failed allocation would.
  RowDigest Digest(std::string_view bytes);

  // An independent digester with the same key, for another thread.
  StatusOr<RowDigester> Clone() const;

 private:
  RowDigester(EVP_MAC_CTX* mac, EVP_MD_CTX* md) : mac_(mac), md_(md) {}

  EVP_MAC_CTX* mac_ = nullptr;  // keyed: HMAC context holding the key
  EVP_MD_CTX* md_ = nullptr;    // unkeyed: SHA-256 context
};

}  // namespace cofre

#endif  // COFRE_CRYPTO_ROW_DIGEST_H_
