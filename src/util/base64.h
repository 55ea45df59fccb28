// Base64 (RFC 4648 §4, standard alphabet, '=' padding), as AWS KMS encodes binary fields
// (Plaintext, CiphertextBlob) in its JSON protocol and Azure Storage encodes its account keys,
// Shared Key signatures and block ids.
//
// Both functions size their output exactly before writing it, so a result that holds key
// material exists in one buffer that the caller can wipe (OPENSSL_cleanse).
// Thread-safety: pure functions.
#ifndef COFRE_UTIL_BASE64_H_
#define COFRE_UTIL_BASE64_H_

#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre {

std::string Base64Encode(std::string_view bytes);

// Strict decoding: length a multiple of 4, only alphabet characters, padding only at the end
// and with zero bits below it. InvalidArgument otherwise (never quoting the input).
StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace cofre

#endif  // COFRE_UTIL_BASE64_H_
