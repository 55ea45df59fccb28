// Rng: a small, fast, portable pseudo-random generator for the benchmark
// dataset (xoshiro256** seeded through splitmix64).
//
// The standard library's distributions are implementation-defined, so every
// derived draw (ranges, coin flips, tokens) is computed here: the same seed
// gives the same dataset on every platform and compiler.
// Thread-safety: none; use one Rng per thread.
#ifndef COFRE_BENCH_RNG_H_
#define COFRE_BENCH_RNG_H_

#include <cstdint>
#include <iterator>
#include <string>

namespace cofre::bench {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& word : state_) word = SplitMix(seed);
  }

  // Returns 64 uniformly distributed bits.
  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Returns a value in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

  // Returns a value in [lo, hi]. REQUIRES: lo <= hi.
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // Returns true with probability percent / 100.
  bool Percent(int percent) { return Below(100) < static_cast<uint64_t>(percent); }

  // Returns a uniformly chosen element of an array or span.
  template <typename Items>
  const auto& Pick(const Items& items) {
    return items[Below(std::size(items))];
  }

  // Returns an element chosen with a skew toward the front (rank r is drawn
  // with probability ~ 2(n-r)/n^2), like real popularity distributions.
  template <typename Items>
  const auto& PickSkewed(const Items& items) {
    const uint64_t a = Below(std::size(items));
    const uint64_t b = Below(std::size(items));
    return items[a < b ? a : b];
  }

  // Appends `n` characters drawn uniformly from the 32-symbol alphabet
  // [a-z2-7]: five random bits per character, like a base32 token.
  void AppendToken(std::string* out, int n) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    while (n > 0) {
      uint64_t bits = Next();
      for (int i = 0; i < 12 && n > 0; ++i, --n, bits >>= 5) {
        out->push_back(kAlphabet[bits & 31]);
      }
    }
  }

  // Appends `n` lowercase hexadecimal digits.
  void AppendHex(std::string* out, int n) {
    static constexpr char kHex[] = "0123456789abcdef";
    while (n > 0) {
      uint64_t bits = Next();
      for (int i = 0; i < 16 && n > 0; ++i, --n, bits >>= 4) {
        out->push_back(kHex[bits & 15]);
      }
    }
  }

  // Appends `n` uniformly random bytes.
  void AppendBytes(std::string* out, size_t n) {
    while (n > 0) {
      uint64_t bits = Next();
      for (int i = 0; i < 8 && n > 0; ++i, --n, bits >>= 8) {
        out->push_back(static_cast<char>(bits & 0xff));
      }
    }
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
};

}  // namespace cofre::bench

#endif  // COFRE_BENCH_RNG_H_
