// RowDigestKey: an 8-byte keyed digest of one stored row, for the row digest cache of
// incremental backups (backup/row_cache.h). The digest is the first 8 bytes of GHASH (GCM's
// universal hash, crypto/ghash.h) under a secret hash key H, over the row's bytes zero-padded to
// whole blocks and then a block holding their length. GHASH is almost-universal: two different
// rows of at most L blocks have the same 128-bit value for at most L of the 2^128 keys, and the
// same first 64 bits for at most L * 2^64 of them, so a change is missed with probability at
// most L / 2^64 (L is a few dozen for a typical row), as long as nothing about H reaches whoever
// chooses the rows. A GHASH value gives H away to someone who also knows the row, so digests are
// kept only where the secret H derives from is kept too: in the local data directory, beside the
// databases themselves (docs/architecture.md §3 item 13); they are never written to a backup.
// H is derived from a chain's leaf digest secret (backup/leaf_maps.h) with HKDF under a label of
// its own; the key check names the key without revealing it.
// Only on CPUs with crypto/ghash.h's wide carry-less multiplies: elsewhere there is no key, and
// incrementals read the previous rows back from the backup as they did before the cache.
// Thread-safety: a RowDigestKey is immutable and may be shared between threads.
#ifndef COFRE_CRYPTO_ROW_DIGEST_H_
#define COFRE_CRYPTO_ROW_DIGEST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/ghash.h"
#include "util/status.h"

namespace cofre {

class RowDigestKey {
 public:
  static constexpr size_t kCheckSize = 16;
  // The key of `secret` (at least 16 bytes); Unimplemented when this CPU cannot run
  // crypto/ghash.h.
  static StatusOr<std::shared_ptr<const RowDigestKey>> Derive(std::string_view secret);

  // The digest of `row`.
  uint64_t Digest(std::string_view row) const;
  // HKDF of the secret under a label of its own: equal checks, equal keys.
  const std::string& check() const { return check_; }

 private:
  RowDigestKey() = default;
  ghash::Key key_;
  std::string check_;
};

}  // namespace cofre

#endif  // COFRE_CRYPTO_ROW_DIGEST_H_
