// Cryptographically secure random bytes from OpenSSL's CSPRNG (RAND_bytes).
//
// Thread-safety: safe to call from any thread.
#ifndef COFRE_CRYPTO_RANDOM_H_
#define COFRE_CRYPTO_RANDOM_H_

#include <cstddef>
#include <string>

#include "crypto/secret_bytes.h"
#include "util/status.h"

namespace cofre {

// Returns `n` random bytes (salts, nonces, chain ids). Internal error when the CSPRNG is not
// seeded or fails; callers must not fall back to weaker randomness.
StatusOr<std::string> RandomBytes(size_t n);

// Returns `n` random bytes held in a SecretBytes (for fresh keys).
StatusOr<SecretBytes> RandomSecret(size_t n);

// Fills `out[0, n)` with random bytes. Same failure behaviour as RandomBytes.
Status FillRandom(uint8_t* out, size_t n);

}  // namespace cofre

#endif  // COFRE_CRYPTO_RANDOM_H_
