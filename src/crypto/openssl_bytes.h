// The view OpenSSL's interfaces take of a byte string: `const unsigned char*`.
// Thread-safety: a pure function.
#ifndef COFRE_CRYPTO_OPENSSL_BYTES_H_
#define COFRE_CRYPTO_OPENSSL_BYTES_H_

#include <string_view>

namespace cofre {

// The bytes of `s` as OpenSSL takes them; valid as long as `s` is.
inline const unsigned char* OpensslBytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace cofre

#endif  // COFRE_CRYPTO_OPENSSL_BYTES_H_
