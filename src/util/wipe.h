// Wiping text that may have held a secret (a passphrase in SQL text, a KMS URI's credentials)
// before its memory is freed or reused, so that it does not linger in the heap (or a core dump).
// Thread-safety: free functions on the caller's buffers.
#ifndef COFRE_UTIL_WIPE_H_
#define COFRE_UTIL_WIPE_H_

#include <cstddef>
#include <string>

namespace cofre {

// Overwrites `size` bytes at `data` with zeros, in a way the compiler cannot drop.
void WipeBytes(char* data, size_t size);

// Wipes all of `text`'s buffer (its capacity, not just its size) and empties it.
void WipeString(std::string* text);

}  // namespace cofre

#endif  // COFRE_UTIL_WIPE_H_
