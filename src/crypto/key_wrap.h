// Key wrapping: sealing one key under another (a key-encryption key, KEK) with AES-256-GCM.
//
// Wrapped layout: nonce (12 random bytes) || ciphertext (same length as the key) || tag (16).
// `aad` is authenticated but not stored; unwrapping needs the same aad (callers bind the wrapped
// key to its context, e.g. the chain id, so a wrapped key copied elsewhere does not unwrap).
// Errors: this low level cannot tell a wrong KEK from a damaged blob, so UnwrapKey reports both
// as DataLoss; callers that know the KEK came from user input (a passphrase) turn that into a
// PermissionDenied with their own message. Messages never include key bytes.
// Thread-safety: the functions may be called from any thread.
#ifndef COFRE_CRYPTO_KEY_WRAP_H_
#define COFRE_CRYPTO_KEY_WRAP_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/secret_bytes.h"
#include "util/status.h"

namespace cofre {

// Bytes a wrapped key occupies beyond the key itself (nonce and tag).
inline constexpr size_t kKeyWrapOverhead = 12 + 16;

// Seals `key` under the 32-byte `kek` with a fresh random nonce.
// InvalidArgument when kek is not 32 bytes or key is empty; Internal if OpenSSL or the random
// generator fails.
StatusOr<std::string> WrapKey(const SecretBytes& kek, const SecretBytes& key, std::string_view aad);

// Opens a blob made by WrapKey with the same kek and aad. DataLoss when the blob is too short or
// does not authenticate (wrong kek, wrong aad or altered bytes); InvalidArgument for a bad kek
// size.
StatusOr<SecretBytes> UnwrapKey(const SecretBytes& kek, std::string_view wrapped,
                                std::string_view aad);

}  // namespace cofre

#endif  // COFRE_CRYPTO_KEY_WRAP_H_
