#include "util/wipe.h"

#include <openssl/crypto.h>

namespace cofre {

void WipeBytes(char* data, size_t size) {
  if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

void WipeString(std::string* text) {
  // data() of a std::string has capacity() + 1 bytes (the terminator).
  WipeBytes(text->data(), text->capacity());
  text->clear();
}

}  // namespace cofre
