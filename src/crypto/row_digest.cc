#include "crypto/row_digest.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "crypto/kdf.h"

namespace cofre {
namespace {

const EVP_MD* Sha256() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}
const EVP_MAC* Hmac() {
  static const EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  return mac;
}

[[noreturn]] void DigestFailed() {
  std::fputs("cofre: row digest failed inside OpenSSL (out of memory)\n", stderr);
  std::abort();
}

}  // namespace

StatusOr<RowDigester> RowDigester::NewKeyed(const SecretBytes& data_key) {
  if (data_key.size() != 32) {
    return InvalidArgumentError("row digests need the chain's 32-byte data key, got " +
                                std::to_string(data_key.size()) + " bytes");
  }
  if (Hmac() == nullptr || Sha256() == nullptr) {
    return InternalError("OpenSSL does not provide HMAC-SHA256; check the OpenSSL 3 installation");
  }
  ASSIGN_OR_RETURN(SecretBytes key, Hkdf(data_key.view(), "", kRowDigestKeyInfo, 32));
  EVP_MAC_CTX* mac = EVP_MAC_CTX_new(const_cast<EVP_MAC*>(Hmac()));
  if (mac == nullptr) return InternalError("cannot allocate an HMAC context");
  RowDigester digester(mac, nullptr);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(mac, key.data(), key.size(), params) != 1) {
    return InternalError("OpenSSL refused the HMAC-SHA256 key setup");
  }
  return digester;
}

StatusOr<RowDigester> RowDigester::NewUnkeyed() {
  if (Sha256() == nullptr) {
    return InternalError("OpenSSL does not provide SHA-256; check the OpenSSL 3 installation");
  }
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (md == nullptr) return InternalError("cannot allocate a SHA-256 context");
  return RowDigester(nullptr, md);
}

RowDigester::RowDigester(RowDigester&& other) noexcept
    : mac_(std::exchange(other.mac_, nullptr)), md_(std::exchange(other.md_, nullptr)) {}

RowDigester& RowDigester::operator=(RowDigester&& other) noexcept {
  if (this != &other) {
    EVP_MAC_CTX_free(mac_);
    EVP_MD_CTX_free(md_);
    mac_ = std::exchange(other.mac_, nullptr);
    md_ = std::exchange(other.md_, nullptr);
  }
  return *this;
}

RowDigester::~RowDigester() {
  EVP_MAC_CTX_free(mac_);
  EVP_MD_CTX_free(md_);
}

RowDigest RowDigester::Digest(std::string_view bytes) {
  unsigned char full[EVP_MAX_MD_SIZE];
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  if (mac_ != nullptr) {
    size_t n = 0;
    // A null key re-initialises HMAC with the key given at construction.
    if (EVP_MAC_init(mac_, nullptr, 0, nullptr) != 1 || EVP_MAC_update(mac_, in, bytes.size()) != 1 ||
        EVP_MAC_final(mac_, full, &n, sizeof(full)) != 1) {
      DigestFailed();
    }
  } else {
    unsigned int n = 0;
    if (EVP_DigestInit_ex2(md_, Sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(md_, in, bytes.size()) != 1 || EVP_DigestFinal_ex(md_, full, &n) != 1) {
      DigestFailed();
    }
  }
  RowDigest out;
  std::memcpy(out.data(), full, out.size());
  return out;
}

StatusOr<RowDigester> RowDigester::Clone() const {
  if (mac_ != nullptr) {
    EVP_MAC_CTX* mac = EVP_MAC_CTX_dup(mac_);
    if (mac == nullptr) return InternalError("cannot copy an HMAC context");
    return RowDigester(mac, nullptr);
  }
  return NewUnkeyed();
}

}  // namespace cofre
