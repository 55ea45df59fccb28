// Parsing of byte counts given on the command line: "1048576", "256M", "1G"
// (K, M, G, T are binary multiples; an optional trailing "iB" or "B" is
// accepted). Shared by the benchmark tools. Thread-safe: pure function.
#ifndef COFRE_BENCH_SIZE_ARG_H_
#define COFRE_BENCH_SIZE_ARG_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace cofre::bench {

// Returns the byte count `text` denotes, or nullopt when it is malformed,
// zero or overflows.
std::optional<int64_t> ParseByteCount(std::string_view text);

}  // namespace cofre::bench

#endif  // COFRE_BENCH_SIZE_ARG_H_
