// Sha256: incremental SHA-256 (OpenSSL EVP), for file integrity checks and key ids, and
// HMAC-SHA256 for request signatures (AWS SigV4, Azure Shared Key).
// Thread-safety: one thread at a time per object.
#ifndef COFRE_UTIL_SHA256_H_
#define COFRE_UTIL_SHA256_H_

#include <string>
#include <string_view>

namespace cofre {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view data);
  // The 32-byte digest; the object must not be updated afterwards.
  std::string Finish();

  // One-shot digest (32 raw bytes) and its lower-case hex form.
  static std::string Digest(std::string_view data);
  static std::string HexDigest(std::string_view data);

 private:
  void* ctx_;  // EVP_MD_CTX
};

// HMAC-SHA256 (RFC 2104) of `data` under `key` into out[32] (a buffer the caller can wipe).
void HmacSha256(std::string_view key, std::string_view data, unsigned char out[32]);

// Lower-case hexadecimal of `bytes`.
std::string ToHex(std::string_view bytes);

}  // namespace cofre

#endif  // COFRE_UTIL_SHA256_H_
