#include "crypto/aes_gcm.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <utility>

#include "crypto/openssl_bytes.h"

namespace cofre {
namespace {

// Fetched once per process: an implicit fetch on every init would cost a lock and a lookup.
const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

}  // namespace

StatusOr<AesGcm> AesGcm::New(std::string_view key) {
  if (key.size() != kKeySize) {
    return InvalidArgumentError("AES-256-GCM needs a 32-byte key, got " +
                                std::to_string(key.size()) + " bytes");
  }
  const EVP_CIPHER* cipher = Aes256Gcm();
  if (cipher == nullptr) {
    return InternalError("OpenSSL does not provide AES-256-GCM; check the OpenSSL 3 installation");
  }
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return InternalError("cannot allocate an AES-256-GCM context");
  AesGcm gcm(ctx);
  // The IV is installed per message; enc=1 here only selects the key schedule direction, which
  // GCM (a counter mode) shares between encryption and decryption.
  if (EVP_CipherInit_ex2(ctx, cipher, OpensslBytes(key), nullptr, 1, nullptr) != 1) {
    return InternalError("OpenSSL refused the AES-256-GCM key setup");
  }
  return gcm;
}

AesGcm::AesGcm(AesGcm&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

AesGcm& AesGcm::operator=(AesGcm&& other) noexcept {
  if (this != &other) {
    EVP_CIPHER_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

AesGcm::~AesGcm() { EVP_CIPHER_CTX_free(ctx_); }

Status AesGcm::Seal(const uint8_t* nonce, std::string_view aad, const uint8_t* in, size_t len,
                    uint8_t* out, uint8_t* tag) {
  int n = 0;
  if (len > kMaxMessageSize || aad.size() > kMaxMessageSize) {
    return InvalidArgumentError("AES-256-GCM message too large for one call");
  }
  if (EVP_CipherInit_ex2(ctx_, nullptr, nullptr, nonce, 1, nullptr) != 1 ||
      (!aad.empty() &&
       EVP_CipherUpdate(ctx_, nullptr, &n, OpensslBytes(aad), static_cast<int>(aad.size())) != 1) ||
      (len > 0 && EVP_CipherUpdate(ctx_, out, &n, in, static_cast<int>(len)) != 1) ||
      EVP_CipherFinal_ex(ctx_, out + len, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), tag) != 1) {
    return InternalError("AES-256-GCM encryption failed in OpenSSL");
  }
  return Status::OK();
}

Status AesGcm::Open(const uint8_t* nonce, std::string_view aad, const uint8_t* in, size_t len,
                    const uint8_t* tag, uint8_t* out) {
  int n = 0;
  if (len > kMaxMessageSize || aad.size() > kMaxMessageSize) {
    return InvalidArgumentError("AES-256-GCM message too large for one call");
  }
  if (EVP_CipherInit_ex2(ctx_, nullptr, nullptr, nonce, 0, nullptr) != 1 ||
      (!aad.empty() &&
       EVP_CipherUpdate(ctx_, nullptr, &n, OpensslBytes(aad), static_cast<int>(aad.size())) != 1) ||
      (len > 0 && EVP_CipherUpdate(ctx_, out, &n, in, static_cast<int>(len)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                          const_cast<uint8_t*>(tag)) != 1) {
    if (len > 0) OPENSSL_cleanse(out, len);
    return InternalError("AES-256-GCM decryption failed in OpenSSL");
  }
  if (EVP_CipherFinal_ex(ctx_, out + len, &n) != 1) {
    if (len > 0) OPENSSL_cleanse(out, len);
    return DataLossError("AES-256-GCM authentication failed");
  }
  return Status::OK();
}

}  // namespace cofre
