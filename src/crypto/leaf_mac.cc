#include "crypto/leaf_mac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
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

StatusOr<std::unique_ptr<LeafMac>> LeafMacKey::NewMac(Ghash ghash) const {
  if (Gcm() == nullptr || Ecb() == nullptr) {
    return InternalError("OpenSSL does not provide AES-256-GCM and AES-256-ECB");
  }
  CtxGuard gmac, block;
  if (gmac.ctx == nullptr || block.ctx == nullptr) {
    return InternalError("cannot allocate an AES context for leaf digests");
  }
  if (EVP_EncryptInit_ex2(block.ctx, Ecb(), OpensslBytes(block_.view()), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(block.ctx, 0) != 1) {
    return InternalError("OpenSSL refused the leaf digest keys");
  }
  if (ghash == Ghash::kFastest && ghash::Supported()) {
    // GCM's H = AES_K1(0^128) and the mask AES_K1(nonce || 0^31 || 1) of a 12-byte nonce.
    unsigned char in[32] = {0}, out[32];
    std::memcpy(in + 16, kNonce, sizeof(kNonce));
    in[31] = 1;
    int n = 0;
    if (EVP_EncryptInit_ex2(gmac.ctx, Ecb(), OpensslBytes(gmac_.view()), nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(gmac.ctx, 0) != 1 ||
        EVP_EncryptUpdate(gmac.ctx, out, &n, in, sizeof(in)) != 1 || n != sizeof(out)) {
      OPENSSL_cleanse(out, sizeof(out));
      return InternalError("OpenSSL refused the leaf digest keys");
    }
    std::unique_ptr<LeafMac> mac(new LeafMac(nullptr, block.release()));
    mac->ghash_key_ = std::make_unique<ghash::Key>();
    ghash::ExpandKey(out, mac->ghash_key_.get());
    std::memcpy(mac->mask_, out + 16, 16);
    OPENSSL_cleanse(out, sizeof(out));
    return mac;
  }
  if (EVP_EncryptInit_ex2(gmac.ctx, Gcm(), OpensslBytes(gmac_.view()), kNonce, nullptr) != 1) {
    return InternalError("OpenSSL refused the leaf digest keys");
  }
  return std::unique_ptr<LeafMac>(new LeafMac(gmac.release(), block.release()));
}

LeafMac::~LeafMac() {
  EVP_CIPHER_CTX_free(gmac_);
  EVP_CIPHER_CTX_free(block_);
  OPENSSL_cleanse(mask_, sizeof(mask_));
  OPENSSL_cleanse(&ghash_, sizeof(ghash_));
  OPENSSL_cleanse(partial_, sizeof(partial_));
}

void LeafMac::Add(std::string_view bytes) {
  if (bytes.empty()) return;
  if (ghash_key_ == nullptr) {
    int n = 0;
    if (EVP_EncryptUpdate(gmac_, nullptr, &n, OpensslBytes(bytes),
                          static_cast<int>(bytes.size())) != 1) {
      failed_ = true;
    }
    return;
  }
  added_ += bytes.size();
  auto p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  if (partial_size_ > 0) {
    const size_t take = std::min(n, sizeof(partial_) - partial_size_);
    std::memcpy(partial_ + partial_size_, p, take);
    partial_size_ += take;
    p += take;
    n -= take;
    if (partial_size_ < sizeof(partial_)) return;
    ghash::Update(*ghash_key_, &ghash_, partial_, 1);
    partial_size_ = 0;
  }
  ghash::Update(*ghash_key_, &ghash_, p, n / 16);
  partial_size_ = n % 16;
  std::memcpy(partial_, p + (n - partial_size_), partial_size_);
}

void LeafMac::WideTag(unsigned char tag[16]) {
  if (partial_size_ > 0) {  // the last block of additional data, zero-padded
    std::memset(partial_ + partial_size_, 0, sizeof(partial_) - partial_size_);
    ghash::Update(*ghash_key_, &ghash_, partial_, 1);
  }
  // The lengths block: additional data and ciphertext (none) in bits, 64-bit big-endian each.
  uint8_t lengths[16] = {0};
  const uint64_t bits = added_ * 8;
  for (int i = 0; i < 8; ++i) lengths[7 - i] = static_cast<uint8_t>(bits >> (8 * i));
  ghash::Update(*ghash_key_, &ghash_, lengths, 1);
  ghash::Value(ghash_, tag);
  for (int i = 0; i < 16; ++i) tag[i] ^= mask_[i];
  ghash_ = ghash::State();
  partial_size_ = 0;
  added_ = 0;
}

StatusOr<std::string> LeafMac::Finish() {
  unsigned char tag[LeafMacKey::kDigestSize];
  unsigned char out[LeafMacKey::kDigestSize];
  int n = 0;
  bool ok = true;
  if (ghash_key_ != nullptr) {
    WideTag(tag);
  } else {
    ok = !failed_ && EVP_EncryptFinal_ex(gmac_, tag, &n) == 1 &&
         EVP_CIPHER_CTX_ctrl(gmac_, EVP_CTRL_GCM_GET_TAG, sizeof(tag), tag) == 1;
    // The next digest starts from the same key and nonce.
    ok = EVP_EncryptInit_ex2(gmac_, nullptr, nullptr, kNonce, nullptr) == 1 && ok;
  }
  ok = ok && EVP_EncryptUpdate(block_, out, &n, tag, sizeof(tag)) == 1 && n == sizeof(out);
  OPENSSL_cleanse(tag, sizeof(tag));  // a GHASH value tells of H (see the header)
  failed_ = false;
  if (!ok) return InternalError("OpenSSL failed to make a leaf digest");
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

}  // namespace cofre
