// SQLite's variable-length integers (the database file format, section "Varint"): big-endian,
// 7 bits per byte with the high bit set on every byte but the last, except that a ninth byte,
// when present, carries 8 bits. 1 to 9 bytes encode any 64-bit value.
// Thread-safety: pure functions.
#ifndef COFRE_ENGINE_SQLITE_VARINT_H_
#define COFRE_ENGINE_SQLITE_VARINT_H_

#include <cstddef>
#include <cstdint>

namespace cofre::sqlite_varint {

constexpr size_t kMaxBytes = 9;

// Bytes PutVarint writes for `v` (1..9).
inline size_t Length(uint64_t v) {
  if (v <= 0x7f) return 1;
  if (v > (uint64_t{1} << 56) - 1) return 9;
  size_t n = 1;
  while (v >>= 7) ++n;
  return n;
}

// Writes `v` at `out` (room for kMaxBytes) and returns the bytes written.
inline size_t Put(uint64_t v, uint8_t* out) {
  if (v <= 0x7f) {
    out[0] = static_cast<uint8_t>(v);
    return 1;
  }
  if (v > (uint64_t{1} << 56) - 1) {
    out[8] = static_cast<uint8_t>(v);
    v >>= 8;
    for (int i = 7; i >= 0; --i) {
      out[i] = static_cast<uint8_t>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    return 9;
  }
  const size_t n = Length(v);
  for (size_t i = n; i-- > 0;) {
    out[i] = static_cast<uint8_t>((v & 0x7f) | (i + 1 == n ? 0 : 0x80));
    v >>= 7;
  }
  return n;
}

// Reads a varint from the `size` bytes at `p` into `*v`; returns the bytes read, or 0 when the
// varint runs past `size`.
inline size_t Get(const uint8_t* p, size_t size, uint64_t* v) {
  uint64_t x = 0;
  for (size_t i = 0; i < 8; ++i) {
    if (i >= size) return 0;
    x = (x << 7) | (p[i] & 0x7f);
    if (!(p[i] & 0x80)) {
      *v = x;
      return i + 1;
    }
  }
  if (size < 9) return 0;
  *v = (x << 8) | p[8];
  return 9;
}

}  // namespace cofre::sqlite_varint

#endif  // COFRE_ENGINE_SQLITE_VARINT_H_
