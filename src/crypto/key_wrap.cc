#include "crypto/key_wrap.h"

#include "crypto/aes_gcm.h"
#include "crypto/openssl_bytes.h"
#include "crypto/random.h"

namespace cofre {
namespace {

uint8_t* MutableBytes(std::string& s) { return reinterpret_cast<uint8_t*>(s.data()); }

}  // namespace

StatusOr<std::string> WrapKey(const SecretBytes& kek, const SecretBytes& key,
                              std::string_view aad) {
  if (key.empty()) return InvalidArgumentError("cannot wrap an empty key");
  ASSIGN_OR_RETURN(AesGcm gcm, AesGcm::New(kek.view()));
  std::string out(AesGcm::kNonceSize + key.size() + AesGcm::kTagSize, '\0');
  uint8_t* nonce = MutableBytes(out);
  RETURN_IF_ERROR(FillRandom(nonce, AesGcm::kNonceSize));
  uint8_t* ciphertext = nonce + AesGcm::kNonceSize;
  RETURN_IF_ERROR(
      gcm.Seal(nonce, aad, key.data(), key.size(), ciphertext, ciphertext + key.size()));
  return out;
}

StatusOr<SecretBytes> UnwrapKey(const SecretBytes& kek, std::string_view wrapped,
                                std::string_view aad) {
  ASSIGN_OR_RETURN(AesGcm gcm, AesGcm::New(kek.view()));
  if (wrapped.size() <= kKeyWrapOverhead) {
    return DataLossError("the wrapped key is truncated (" + std::to_string(wrapped.size()) +
                         " bytes)");
  }
  size_t key_size = wrapped.size() - kKeyWrapOverhead;
  const uint8_t* nonce = OpensslBytes(wrapped);
  const uint8_t* ciphertext = nonce + AesGcm::kNonceSize;
  SecretBytes key(key_size);
  Status s = gcm.Open(nonce, aad, ciphertext, key_size, ciphertext + key_size, key.mutable_data());
  if (!s.ok()) {
    if (IsDataLoss(s)) {
      return DataLossError(
          "the wrapped key does not authenticate: wrong key-encryption key or damaged blob");
    }
    return s;
  }
  return key;
}

}  // namespace cofre
