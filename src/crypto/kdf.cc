#include "crypto/kdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>

namespace cofre {
namespace {

struct KdfCtxDeleter {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter>;

// Fetched once per process; EVP_KDF objects are immutable and shareable across threads.
const EVP_KDF* FetchKdf(const char* name) { return EVP_KDF_fetch(nullptr, name, nullptr); }
const EVP_KDF* Pbkdf2Algorithm() {
  static const EVP_KDF* kdf = FetchKdf(OSSL_KDF_NAME_PBKDF2);
  return kdf;
}
const EVP_KDF* HkdfAlgorithm() {
  static const EVP_KDF* kdf = FetchKdf(OSSL_KDF_NAME_HKDF);
  return kdf;
}

// OSSL_PARAM wants non-const pointers even for inputs it only reads.
void* Mutable(std::string_view s) { return const_cast<char*>(s.data()); }

// Runs `kdf` with `params` into a fresh SecretBytes of `length` bytes.
StatusOr<SecretBytes> Derive(const EVP_KDF* kdf, const char* what, const OSSL_PARAM* params,
                             size_t length) {
  if (kdf == nullptr) {
    return InternalError(std::string("OpenSSL does not provide ") + what +
                         "; check the OpenSSL 3 installation (default provider)");
  }
  KdfCtxPtr ctx(EVP_KDF_CTX_new(const_cast<EVP_KDF*>(kdf)));
  if (ctx == nullptr) return InternalError(std::string("cannot allocate a ") + what + " context");
  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.mutable_data(), length, params) != 1) {
    return InternalError(std::string(what) + " key derivation failed in OpenSSL");
  }
  return out;
}

}  // namespace

StatusOr<SecretBytes> Pbkdf2HmacSha256(std::string_view password, std::string_view salt,
                                       uint32_t iterations, size_t length) {
  if (iterations == 0) return InvalidArgumentError("PBKDF2 needs at least one iteration");
  if (length == 0) return InvalidArgumentError("PBKDF2 output length must be positive");
  char digest[] = "SHA256";
  uint64_t iter = iterations;
  int no_lower_bound_checks = 1;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, Mutable(password),
                                        password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, Mutable(salt), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iter),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &no_lower_bound_checks),
      OSSL_PARAM_construct_end(),
  };
  return Derive(Pbkdf2Algorithm(), "PBKDF2-HMAC-SHA256", params, length);
}

StatusOr<SecretBytes> PassphraseKey(std::string_view passphrase, std::string_view salt,
                                    uint32_t iterations) {
  if (passphrase.empty()) {
    return InvalidArgumentError("the encryption passphrase is empty; give a non-empty passphrase");
  }
  if (salt.empty()) return InvalidArgumentError("the passphrase salt is empty");
  return Pbkdf2HmacSha256(passphrase, salt, iterations, kPassphraseKeySize);
}

StatusOr<SecretBytes> Hkdf(std::string_view ikm, std::string_view salt, std::string_view info,
                           size_t length) {
  if (length == 0 || length > 255 * 32) {
    return InvalidArgumentError("HKDF-SHA256 output length must be between 1 and 8160 bytes");
  }
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, Mutable(ikm), ikm.size());
  // OpenSSL treats an absent salt as HashLen zero bytes (RFC 5869 §2.2); an empty octet string
  // is refused by some versions, so leave the parameter out instead.
  if (!salt.empty()) {
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, Mutable(salt), salt.size());
  }
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, Mutable(info), info.size());
  params[n] = OSSL_PARAM_construct_end();
  return Derive(HkdfAlgorithm(), "HKDF-SHA256", params, length);
}

}  // namespace cofre
