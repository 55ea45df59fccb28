// Sizing a string buffer for bytes that are about to be written over it.
// Thread-safety: a pure function of its argument.
#ifndef COFRE_UTIL_RESIZE_FOR_OVERWRITE_H_
#define COFRE_UTIL_RESIZE_FOR_OVERWRITE_H_

#include <cstddef>
#include <string>

namespace cofre {

// Makes *s `n` bytes long for bytes about to be written over all of it: a buffer too small is
// replaced rather than grown, since growing would copy contents that are about to be
// overwritten. A buffer big enough keeps its memory (no allocation, no page faults).
inline void ResizeForOverwrite(std::string* s, size_t n) {
  if (s->capacity() < n) {
    s->clear();
    s->reserve(n);
  }
  s->resize(n);
}

}  // namespace cofre

#endif  // COFRE_UTIL_RESIZE_FOR_OVERWRITE_H_
