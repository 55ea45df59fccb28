#include "crypto/row_digest.h"

#include <cstring>

#include "crypto/kdf.h"

namespace cofre {
namespace {

constexpr char kRowHashInfo[] = "cofre row digest ghash key";
constexpr char kRowCheckInfo[] = "cofre row digest key check";

}  // namespace

StatusOr<std::shared_ptr<const RowDigestKey>> RowDigestKey::Derive(std::string_view secret) {
  if (secret.size() < 16) return InvalidArgumentError("a row digest secret has at least 16 bytes");
  if (!ghash::Supported()) {
    return UnimplementedError("row digests need a CPU with 512-bit carry-less multiplies");
  }
  ASSIGN_OR_RETURN(SecretBytes h, Hkdf(secret, "", kRowHashInfo, 16));
  ASSIGN_OR_RETURN(SecretBytes check, Hkdf(secret, "", kRowCheckInfo, kCheckSize));
  std::shared_ptr<RowDigestKey> key(new RowDigestKey());
  ghash::ExpandKey(reinterpret_cast<const uint8_t*>(h.view().data()), &key->key_);
  key->check_.assign(check.view());
  return std::shared_ptr<const RowDigestKey>(std::move(key));
}

uint64_t RowDigestKey::Digest(std::string_view row) const {
  ghash::State state;
  const size_t whole = row.size() / 16;
  const auto* p = reinterpret_cast<const uint8_t*>(row.data());
  if (whole > 0) ghash::Update(key_, &state, p, whole);
  // The tail, zero-padded, then the length: rows that differ only by trailing zeros differ here.
  uint8_t tail[32] = {0};
  size_t blocks = 1;
  const size_t rest = row.size() - whole * 16;
  if (rest > 0) {
    std::memcpy(tail, p + whole * 16, rest);
    blocks = 2;
  }
  const uint64_t length = row.size();
  for (int i = 0; i < 8; ++i)
    tail[(blocks - 1) * 16 + 8 + i] = static_cast<uint8_t>(length >> (56 - 8 * i));
  ghash::Update(key_, &state, tail, blocks);
  uint8_t value[16];
  ghash::Value(state, value);
  uint64_t out = 0;
  std::memcpy(&out, value, sizeof(out));
  return out;
}

}  // namespace cofre
