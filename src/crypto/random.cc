#include "crypto/random.h"

#include <openssl/rand.h>

#include <climits>

namespace cofre {

Status FillRandom(uint8_t* out, size_t n) {
  while (n > 0) {
    int step = n > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n);
    if (RAND_bytes(out, step) != 1) {
      return InternalError(
          "the system random number generator failed (OpenSSL RAND_bytes); check that the "
          "operating system's entropy source is available");
    }
    out += step;
    n -= static_cast<size_t>(step);
  }
  return Status::OK();
}

StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  RETURN_IF_ERROR(FillRandom(reinterpret_cast<uint8_t*>(out.data()), n));
  return out;
}

StatusOr<SecretBytes> RandomSecret(size_t n) {
  SecretBytes out(n);
  RETURN_IF_ERROR(FillRandom(out.mutable_data(), n));
  return out;
}

}  // namespace cofre
