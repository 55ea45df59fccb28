// Key derivation: PBKDF2-HMAC-SHA256 for passphrases and HKDF-SHA256 for subkeys.
//
// PBKDF2 iterates OpenSSL's SHA-256 block function from HMAC states worked out once (about
// 0.06 s for a passphrase's 600,000 iterations here); HKDF runs on OpenSSL 3's EVP_KDF. Output is
// returned in SecretBytes, and every intermediate value is wiped.
// Thread-safety: all functions may be called from any thread.
#ifndef COFRE_CRYPTO_KDF_H_
#define COFRE_CRYPTO_KDF_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/secret_bytes.h"
#include "util/status.h"

namespace cofre {

// PBKDF2 iterations of new passphrase entries: 600 000 (OWASP's 2023 figure for
// PBKDF2-HMAC-SHA256; about 0.06 s per derivation here, docs/encryption.md). cofre 0.3 and
// CockroachDB use 64 000; every entry records its own count, so chains written at 64 000 stay
// readable.
inline constexpr uint32_t kPassphraseIterations = 600000;
// Size of a key derived from a passphrase (an AES-256 key).
inline constexpr size_t kPassphraseKeySize = 32;

// PBKDF2-HMAC-SHA256(password, salt, iterations) truncated/extended to `length` bytes.
// No lower bounds are enforced here (the RFC test vectors use short salts).
// InvalidArgument when iterations or length is 0.
StatusOr<SecretBytes> Pbkdf2HmacSha256(std::string_view password, std::string_view salt,
                                       uint32_t iterations, size_t length);

// The 32-byte key-encryption key for `passphrase`, as CockroachDB derives it:
// PBKDF2-HMAC-SHA256(passphrase, salt, iterations). InvalidArgument for an empty passphrase,
// an empty salt or zero iterations.
StatusOr<SecretBytes> PassphraseKey(std::string_view passphrase, std::string_view salt,
                                    uint32_t iterations = kPassphraseIterations);

// HKDF-SHA256 (RFC 5869, extract then expand) of `ikm` to `length` bytes. An empty salt means
// HashLen zero bytes, as the RFC specifies. InvalidArgument when length is 0 or above 255*32.
StatusOr<SecretBytes> Hkdf(std::string_view ikm, std::string_view salt, std::string_view info,
                           size_t length);

}  // namespace cofre

#endif  // COFRE_CRYPTO_KDF_H_
