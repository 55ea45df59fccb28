// libFuzzer target: every frontend message decoder of the wire protocol on arbitrary bodies.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/pg_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 7) {
    case 0:
      (void)cofre::server::DecodeStartup(body);
      break;
    case 1:
      (void)cofre::server::DecodeParse(body);
      break;
    case 2:
      (void)cofre::server::DecodeBind(body);
      break;
    case 3:
      (void)cofre::server::DecodeDescribe(body);
      break;
    case 4:
      (void)cofre::server::DecodeExecute(body);
      break;
    case 5:
      (void)cofre::server::DecodeQuery(body);
      break;
    case 6:
      (void)cofre::server::DecodeSaslInitial(body);
      break;
  }
  return 0;
}
