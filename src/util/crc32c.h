// Crc32c: CRC-32C (Castagnoli, the iSCSI polynomial 0x1EDC6F41, reflected), a checksum against
// accidental corruption, not against forgery: data-file frames carry it in their index so that a
// frame read back only in part is still checked (docs/format.md §5). It uses the CPU's crc32
// instruction where there is one (SSE 4.2), a table otherwise; the same value either way.
// Thread-safety: pure functions.
#ifndef COFRE_UTIL_CRC32C_H_
#define COFRE_UTIL_CRC32C_H_

#include <cstdint>
#include <string_view>

namespace cofre {

// The CRC-32C of `data`, continuing a `crc` of the bytes before it (0: none).
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace cofre

#endif  // COFRE_UTIL_CRC32C_H_
