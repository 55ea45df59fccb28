// AesGcm: AES-256-GCM with one key, set up once and reused for many messages.
//
// The key schedule is computed once at New(); each Seal/Open only installs a fresh 96-bit nonce,
// so per-message cost is the cipher itself (AES-NI/VAES through OpenSSL's EVP). Seal and Open
// neither allocate nor copy: they write into caller-provided buffers, which may be the input
// buffer itself (in-place). Tags are always 16 bytes.
// Callers own nonce uniqueness: a (key, nonce) pair must never seal two different messages.
// Thread-safety: not thread-safe (one EVP context); use one AesGcm per thread.
#ifndef COFRE_CRYPTO_AES_GCM_H_
#define COFRE_CRYPTO_AES_GCM_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "util/status.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace cofre {

class AesGcm {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;
  // Largest message one call accepts (OpenSSL's int length limit, with room to spare).
  static constexpr size_t kMaxMessageSize = size_t{1} << 30;

  // A cipher keyed with `key`. InvalidArgument unless the key is 32 bytes; Internal when OpenSSL
  // cannot provide AES-256-GCM.
  static StatusOr<AesGcm> New(std::string_view key);

  AesGcm(AesGcm&& other) noexcept;
  AesGcm& operator=(AesGcm&& other) noexcept;
  AesGcm(const AesGcm&) = delete;
  AesGcm& operator=(const AesGcm&) = delete;
  // Frees the context; OpenSSL wipes the key schedule.
  ~AesGcm();

  // Encrypts in[0, len) into out[0, len) and writes the tag to tag[0, 16).
  // REQUIRES: len <= kMaxMessageSize; out is `in` or does not overlap it.
  // Fails (Internal) only when OpenSSL fails.
  Status Seal(const uint8_t* nonce, std::string_view aad, const uint8_t* in, size_t len,
              uint8_t* out, uint8_t* tag);

  // Decrypts in[0, len) into out[0, len) and verifies `tag` over the aad and ciphertext.
  // DataLoss when the tag does not verify (wrong key, wrong nonce or aad, altered bytes); then
  // out[0, len) holds no plaintext (it is wiped). REQUIRES as for Seal.
  Status Open(const uint8_t* nonce, std::string_view aad, const uint8_t* in, size_t len,
              const uint8_t* tag, uint8_t* out);

 private:
  explicit AesGcm(EVP_CIPHER_CTX* ctx) : ctx_(ctx) {}

  EVP_CIPHER_CTX* ctx_;
};

}  // namespace cofre

#endif  // COFRE_CRYPTO_AES_GCM_H_
