#include "crypto/leaf_mac.h"

#include <openssl/evp.h>

#include <utility>

#include "crypto/kdf.h"
#include "crypto/openssl_bytes.h"

namespace cofre {
namespace {

constexpr char kGmacInfo[] = "cofre leaf digest gmac key";
constexpr char kBlockInfo[] = "cofre leaf digest block key";
constexpr char kCheckInfo[] = "cofre leaf digest key check";
// The fixed GCM nonce: GMAC here is a hash keyed by K1, not a one-time MAC; uniqueness comes
// from the AES block on top (see the header).
constexpr unsigned char kNonce[12] = {0};

const EVP_CIPHER* Gcm() {
  static const EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}
const EVP_CIPHER* Ecb() {
  static const EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
  return cipher;
}

// Frees the contexts a failed NewMac made.
struct CtxGuard {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~CtxGuard() { EVP_CIPHER_CTX_free(ctx); }
  EVP_CIPHER_CTX* release() { return std::exchange(ctx, nullptr); }
};

}  // namespace

StatusOr<LeafMacKey> LeafMacKey::Derive(std::string_view secret) {
  if (secret.size() < 16) return InvalidArgumentError("a leaf digest secret has at least 16 bytes");
  ASSIGN_OR_RETURN(SecretBytes gmac, Hkdf(secret, "", kGmacInfo, 32));
  ASSIGN_OR_RETURN(SecretBytes block, Hkdf(secret, "", kBlockInfo, 32));
  ASSIGN_OR_RETURN(SecretBytes check, Hkdf(secret, "", kCheckInfo, kCheckSize));
  return LeafMacKey(std::move(gmac), std::move(block), std::string(check.view()));
}

StatusOr<std::unique_ptr<LeafMac>> LeafMacKey::NewMac() const {
  if (Gcm() == nullptr || Ecb() == nullptr) {
    return InternalError("OpenSSL does not provide AES-256-GCM and AES-256-ECB");
  }
  CtxGuard gmac, block;
  if (gmac.ctx == nullptr || block.ctx == nullptr) {
    return InternalError("cannot allocate an AES context for leaf digests");
  }
  if (EVP_EncryptInit_ex2(gmac.ctx, Gcm(), OpensslBytes(gmac_.view()), kNonce, nullptr) != 1 ||
      EVP_EncryptInit_ex2(block.ctx, Ecb(), OpensslBytes(block_.view()), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(block.ctx, 0) != 1) {
    return InternalError("OpenSSL refused the leaf digest keys");
  }
  return std::unique_ptr<LeafMac>(new LeafMac(gmac.release(), block.release()));
}

LeafMac::~LeafMac() {
  EVP_CIPHER_CTX_free(gmac_);
  EVP_CIPHER_CTX_free(block_);
}

void LeafMac::Add(std::string_view bytes) {
  int n = 0;
  if (!bytes.empty() && EVP_EncryptUpdate(gmac_, nullptr, &n, OpensslBytes(bytes),
                                          static_cast<int>(bytes.size())) != 1) {
    failed_ = true;
  }
}

StatusOr<std::string> LeafMac::Finish() {
  unsigned char tag[LeafMacKey::kDigestSize];
  unsigned char out[LeafMacKey::kDigestSize];
  int n = 0;
  bool ok = !failed_ && EVP_EncryptFinal_ex(gmac_, tag, &n) == 1 &&
            EVP_CIPHER_CTX_ctrl(gmac_, EVP_CTRL_GCM_GET_TAG, sizeof(tag), tag) == 1 &&
            EVP_EncryptUpdate(block_, out, &n, tag, sizeof(tag)) == 1 && n == sizeof(out);
  // The next digest starts from the same key and nonce.
  ok = EVP_EncryptInit_ex2(gmac_, nullptr, nullptr, kNonce, nullptr) == 1 && ok;
  failed_ = false;
  if (!ok) return InternalError("OpenSSL failed to make a leaf digest");
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

}  // namespace cofre
