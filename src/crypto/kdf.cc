#include "crypto/kdf.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace cofre {
namespace {

struct KdfCtxDeleter {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter>;

// Fetched once per process; EVP_KDF objects are immutable and shareable across threads.
const EVP_KDF* FetchKdf(const char* name) { return EVP_KDF_fetch(nullptr, name, nullptr); }
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

// SHA256_Init/Update/Final/Transform are deprecated in OpenSSL 3 in favour of EVP digests, which
// cannot compress one block from a saved state: PBKDF2 below needs exactly that.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

constexpr size_t kShaBlock = 64;
constexpr size_t kShaDigest = 32;

// The state words of `c` as a SHA-256 digest (big-endian).
void StoreDigest(const SHA256_CTX& c, uint8_t* out) {
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = static_cast<uint8_t>(c.h[i] >> 24);
    out[4 * i + 1] = static_cast<uint8_t>(c.h[i] >> 16);
    out[4 * i + 2] = static_cast<uint8_t>(c.h[i] >> 8);
    out[4 * i + 3] = static_cast<uint8_t>(c.h[i]);
  }
}

// Everything PBKDF2 holds that derives from the password, wiped when it goes.
struct Pbkdf2State {
  SHA256_CTX inner, outer;  // HMAC's key pads, hashed (RFC 2104 §4)
  SHA256_CTX work;
  uint8_t key[kShaBlock];
  uint8_t block[kShaBlock];  // a 32-byte message, padded as SHA-256's last block
  uint8_t u[kShaDigest];     // U_j
  uint8_t t[kShaDigest];     // U_1 xor ... xor U_j
  ~Pbkdf2State() { OPENSSL_cleanse(this, sizeof(*this)); }
};

}  // namespace

// PBKDF2 (RFC 8018 §5.2) with HMAC's inner and outer states worked out once per derivation:
// every iteration after the first is then two SHA-256 block compressions of a 32-byte message.
// OpenSSL's EVP_KDF copies and frees digest contexts at each iteration and takes about twice as
// long (0.13 s against 0.06 s for 600,000 iterations here); the output is the same, as the RFC
// vectors and a randomized comparison with EVP_KDF (kdf_test.cc) show.
StatusOr<SecretBytes> Pbkdf2HmacSha256(std::string_view password, std::string_view salt,
                                       uint32_t iterations, size_t length) {
  if (iterations == 0) return InvalidArgumentError("PBKDF2 needs at least one iteration");
  if (length == 0) return InvalidArgumentError("PBKDF2 output length must be positive");
  if (length > kShaDigest * uint64_t{0xffffffff}) {
    return InvalidArgumentError("PBKDF2 output length is too large");
  }
  auto st = std::make_unique<Pbkdf2State>();
  std::memset(st->key, 0, kShaBlock);
  if (password.size() > kShaBlock) {
    SHA256(reinterpret_cast<const uint8_t*>(password.data()), password.size(), st->key);
  } else if (!password.empty()) {
    std::memcpy(st->key, password.data(), password.size());
  }
  for (size_t i = 0; i < kShaBlock; ++i) st->block[i] = st->key[i] ^ 0x36;
  SHA256_Init(&st->inner);
  SHA256_Update(&st->inner, st->block, kShaBlock);
  for (size_t i = 0; i < kShaBlock; ++i) st->block[i] = st->key[i] ^ 0x5c;
  SHA256_Init(&st->outer);
  SHA256_Update(&st->outer, st->block, kShaBlock);
  // The padded last block of a 32-byte message after a 64-byte key pad: 0x80, zeros, and the
  // message length of 96 bytes in bits (768), big-endian.
  std::memset(st->block, 0, kShaBlock);
  st->block[kShaDigest] = 0x80;
  st->block[kShaBlock - 2] = 0x03;

  SecretBytes out(length);
  uint8_t* dst = out.mutable_data();
  for (uint32_t index = 1; length > 0; ++index) {
    // U_1 = HMAC(password, salt || INT(index)).
    const uint8_t be_index[4] = {static_cast<uint8_t>(index >> 24),
                                 static_cast<uint8_t>(index >> 16),
                                 static_cast<uint8_t>(index >> 8), static_cast<uint8_t>(index)};
    st->work = st->inner;
    SHA256_Update(&st->work, salt.data(), salt.size());
    SHA256_Update(&st->work, be_index, 4);
    SHA256_Final(st->u, &st->work);
    st->work = st->outer;
    SHA256_Update(&st->work, st->u, kShaDigest);
    SHA256_Final(st->u, &st->work);
    std::memcpy(st->t, st->u, kShaDigest);
    // U_j = HMAC(password, U_{j-1}): each hash is one block from a saved state.
    for (uint32_t j = 1; j < iterations; ++j) {
      std::memcpy(st->block, st->u, kShaDigest);
      st->work = st->inner;
      SHA256_Transform(&st->work, st->block);
      StoreDigest(st->work, st->block);
      st->work = st->outer;
      SHA256_Transform(&st->work, st->block);
      StoreDigest(st->work, st->u);
      for (size_t k = 0; k < kShaDigest; ++k) st->t[k] ^= st->u[k];
    }
    const size_t n = std::min(length, kShaDigest);
    std::memcpy(dst, st->t, n);
    dst += n;
    length -= n;
  }
  return out;
}

#pragma GCC diagnostic pop

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
