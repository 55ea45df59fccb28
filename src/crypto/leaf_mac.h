// LeafMac: a keyed 16-byte digest of a table leaf page and its overflow pages, for the change
// detector of incremental backups (engine/leaf_map.h). It does SHA-256's job there (two leaves
// with the same digest hold the same bytes) at about a quarter of its cost, because the bytes of
// every table leaf of a database are hashed at each incremental (docs/performance.md).
//
// Construction (docs/architecture.md §3 item 11): from a 32-byte secret, HKDF-SHA256 derives a
// GMAC key K1, an AES key K2 and a key check C (distinct `info` strings). A digest is
//   AES-256_K2( GMAC_K1(pages) )   where GMAC is AES-256-GCM under a fixed nonce with the pages
//                                  as additional data and no plaintext,
// that is GHASH over the pages (and their total length) under H = AES_K1(0), plus a constant,
// then one AES block. GHASH is almost-universal: for two different inputs of at most L 16-byte
// blocks, a key drawn at random makes them collide with probability at most L / 2^128, whoever
// chose the inputs, as long as nothing about H reaches them. A GHASH value alone would give H
// away (two known inputs and their values are an equation in H); the AES block on top hides it,
// so digests may be stored where others read them (unencrypted chains) and tell nothing but
// which leaves are equal. C names the secret without revealing it: maps made under another
// secret are not compared.
// GHASH runs on crypto/ghash.h's wide carry-less multiplies when the CPU has them, else inside
// OpenSSL's GCM; both give the same digests.
// Thread-safety: a LeafMacKey is immutable and may be shared; a LeafMac is used by one thread.
#ifndef COFRE_CRYPTO_LEAF_MAC_H_
#define COFRE_CRYPTO_LEAF_MAC_H_

#include <memory>
#include <string>
#include <string_view>

#include "crypto/ghash.h"
#include "crypto/secret_bytes.h"
#include "util/status.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace cofre {

class LeafMac;

class LeafMacKey {
 public:
  static constexpr size_t kDigestSize = 16;
  static constexpr size_t kCheckSize = 16;

  // The keys derived from `secret` (at least 16 bytes: InvalidArgument otherwise).
  static StatusOr<LeafMacKey> Derive(std::string_view secret);

  // kCheckSize bytes that differ, but for chance, between secrets, and tell nothing of the keys.
  const std::string& check() const { return check_; }

  // How a LeafMac computes GHASH: kFastest takes crypto/ghash.h when Supported(), else OpenSSL;
  // kOpenSsl always OpenSSL (tests compare the two).
  enum class Ghash { kFastest, kOpenSsl };

  // A digest maker under these keys. Internal when OpenSSL cannot provide AES-256-GCM/ECB.
  StatusOr<std::unique_ptr<LeafMac>> NewMac(Ghash ghash = Ghash::kFastest) const;

 private:
  LeafMacKey(SecretBytes gmac, SecretBytes block, std::string check)
      : gmac_(std::move(gmac)), block_(std::move(block)), check_(std::move(check)) {}
  SecretBytes gmac_;   // K1
  SecretBytes block_;  // K2
  std::string check_;  // C
};

// One digest at a time: Add the pages of a leaf in order, then Finish, which starts the next.
class LeafMac {
 public:
  ~LeafMac();
  LeafMac(const LeafMac&) = delete;
  LeafMac& operator=(const LeafMac&) = delete;

  // REQUIRES: bytes.size() < 2^30 per call.
  void Add(std::string_view bytes);
  // The digest (LeafMacKey::kDigestSize bytes) of everything added since the last Finish.
  // Internal when OpenSSL refused a step (then no digest is made of what was added).
  StatusOr<std::string> Finish();

 private:
  friend class LeafMacKey;
  LeafMac(EVP_CIPHER_CTX* gmac, EVP_CIPHER_CTX* block) : gmac_(gmac), block_(block) {}
  // The tag GMAC_K1 of what was added (wide path), in GCM's byte order.
  void WideTag(unsigned char tag[16]);

  EVP_CIPHER_CTX* gmac_;   // AES-256-GCM under K1 (OpenSSL path); null on the wide path
  EVP_CIPHER_CTX* block_;  // AES-256-ECB under K2
  bool failed_ = false;    // OpenSSL refused a step since the last Finish
  // Wide path: H's powers, the running hash, AES_K1(nonce || 1) which GCM adds to the hash, the
  // bytes of a block not complete yet, and the bytes added.
  std::unique_ptr<ghash::Key> ghash_key_;
  ghash::State ghash_;
  unsigned char mask_[16] = {};
  unsigned char partial_[16] = {};
  size_t partial_size_ = 0;
  uint64_t added_ = 0;
};

}  // namespace cofre

#endif  // COFRE_CRYPTO_LEAF_MAC_H_
