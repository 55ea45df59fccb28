// Big-endian 16- and 32-bit integers, the byte order of SQLite's file format (headers, page
// headers, cell pointers, child and overflow page numbers).
// Thread-safety: pure functions.
#ifndef COFRE_ENGINE_BIG_ENDIAN_H_
#define COFRE_ENGINE_BIG_ENDIAN_H_

#include <cstdint>
#include <string>

namespace cofre::big_endian {

inline void Put16(void* out, uint32_t v) {
  auto* p = static_cast<uint8_t*>(out);
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

inline void Put32(void* out, uint32_t v) {
  auto* p = static_cast<uint8_t*>(out);
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

inline uint32_t Get16(const void* in) {
  const auto* p = static_cast<const uint8_t*>(in);
  return (uint32_t{p[0]} << 8) | p[1];
}

inline uint32_t Get32(const void* in) {
  const auto* p = static_cast<const uint8_t*>(in);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

inline void Append32(std::string* out, uint32_t v) {
  char b[4];
  Put32(b, v);
  out->append(b, 4);
}

}  // namespace cofre::big_endian

#endif  // COFRE_ENGINE_BIG_ENDIAN_H_
