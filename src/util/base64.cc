#include "util/base64.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace cofre {
namespace {

int AlphabetIndex(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  if (!bytes.empty()) {
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                    reinterpret_cast<const unsigned char*>(bytes.data()),
                    static_cast<int>(bytes.size()));
  }
  return out;
}

StatusOr<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return InvalidArgumentError("malformed base64: length " + std::to_string(text.size()) +
                                " is not a multiple of 4");
  }
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    if (AlphabetIndex(text[i]) < 0) {
      return InvalidArgumentError("malformed base64: bad character at offset " + std::to_string(i));
    }
  }
  if (padding > 0) {
    // The bits below the padding must be zero (a canonical encoding).
    int last = AlphabetIndex(text[text.size() - padding - 1]);
    if ((padding == 1 && (last & 0x3) != 0) || (padding == 2 && (last & 0xF) != 0)) {
      return InvalidArgumentError("malformed base64: non-zero bits before the padding");
    }
  }
  std::string out(text.size() / 4 * 3, '\0');
  if (!text.empty()) {
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0 || static_cast<size_t>(n) != out.size()) {
      OPENSSL_cleanse(out.data(), out.size());
      return InvalidArgumentError("malformed base64");
    }
  }
  // EVP_DecodeBlock decodes padding as zero bytes: drop them (no reallocation on shrink).
  out.resize(out.size() - padding);
  return out;
}

}  // namespace cofre
