#include "crypto/ghash.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define COFRE_GHASH_X86 1
#include <immintrin.h>
#else
#define COFRE_GHASH_X86 0
#endif

namespace cofre::ghash {

Key::~Key() { OPENSSL_cleanse(powers, sizeof(powers)); }

#if COFRE_GHASH_X86

// Every function that uses the wide instructions carries this target, so the rest of the build
// keeps its baseline; Supported() guards every call.
#define COFRE_GHASH_TARGET \
  __attribute__((target("avx512f,avx512bw,vpclmulqdq,pclmul,ssse3,sse4.1")))

namespace {

COFRE_GHASH_TARGET inline __m128i ReverseMask() {
  return _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

COFRE_GHASH_TARGET inline __m128i LoadReversed(const uint8_t* p) {
  return _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), ReverseMask());
}

// The field element of the 256-bit carry-less product [hi:lo] of two byte-reversed elements:
// the product shifted left one bit (the reversed order's offset), then reduced modulo
// x^128 + x^7 + x^2 + x + 1.
COFRE_GHASH_TARGET inline __m128i ShiftAndReduce(__m128i lo, __m128i hi) {
  // [hi:lo] <<= 1, across the four 32-bit words and the two halves.
  __m128i carry_lo = _mm_srli_epi32(lo, 31);
  __m128i carry_hi = _mm_srli_epi32(hi, 31);
  lo = _mm_slli_epi32(lo, 1);
  hi = _mm_slli_epi32(hi, 1);
  const __m128i lo_into_hi = _mm_srli_si128(carry_lo, 12);
  lo = _mm_or_si128(lo, _mm_slli_si128(carry_lo, 4));
  hi = _mm_or_si128(hi, _mm_slli_si128(carry_hi, 4));
  hi = _mm_or_si128(hi, lo_into_hi);
  // Reduction, first phase: the low half times x^63 + x^62 + x^57.
  __m128i t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)),
                            _mm_slli_epi32(lo, 25));
  const __m128i t_rest = _mm_srli_si128(t, 4);
  lo = _mm_xor_si128(lo, _mm_slli_si128(t, 12));
  // Second phase: shifted right by 1, 2 and 7, folded into the high half.
  __m128i u = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)),
                            _mm_srli_epi32(lo, 7));
  u = _mm_xor_si128(u, t_rest);
  lo = _mm_xor_si128(lo, u);
  return _mm_xor_si128(hi, lo);
}

// a·b for byte-reversed elements.
COFRE_GHASH_TARGET inline __m128i Multiply(__m128i a, __m128i b) {
  __m128i lo = _mm_clmulepi64_si128(a, b, 0x00);
  __m128i hi = _mm_clmulepi64_si128(a, b, 0x11);
  const __m128i mid =
      _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10), _mm_clmulepi64_si128(a, b, 0x01));
  lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
  hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
  return ShiftAndReduce(lo, hi);
}

// The XOR of the four 128-bit lanes of `z`. (The zero-masked forms of the lane moves: GCC 12's
// unmasked ones start from an undefined register and warn.)
COFRE_GHASH_TARGET inline __m128i FoldLanes(__m512i z) {
  z = _mm512_xor_si512(z, _mm512_maskz_shuffle_i64x2(0xff, z, z, 0x4e));  // lanes 2 3 0 1
  z = _mm512_xor_si512(z, _mm512_maskz_shuffle_i64x2(0xff, z, z, 0xb1));  // lanes 1 0 3 2
  return _mm512_maskz_extracti32x4_epi32(0xf, z, 0);
}

COFRE_GHASH_TARGET void ExpandKeyWide(const uint8_t h[16], Key* key) {
  const __m128i hr = LoadReversed(h);
  __m128i power = hr;
  for (int k = 1; k <= kGroupBlocks; ++k) {
    _mm_store_si128(reinterpret_cast<__m128i*>(key->powers[kGroupBlocks - k]), power);
    power = Multiply(power, hr);
  }
}

COFRE_GHASH_TARGET void UpdateWide(const Key& key, State* state, const uint8_t* p, size_t n) {
  __m128i y = _mm_load_si128(reinterpret_cast<const __m128i*>(state->y));
  constexpr int kLoads = kGroupBlocks / 4;  // 512-bit registers of blocks per group
  if (n >= kGroupBlocks) {
    const __m512i reverse = _mm512_maskz_broadcast_i32x4(0xffff, ReverseMask());
    // Lanes of powers[4j..4j+3]: the multipliers of blocks 4j+1..4j+4 of a group.
    __m512i powers[kLoads];
    for (int j = 0; j < kLoads; ++j) powers[j] = _mm512_load_si512(key.powers[4 * j]);
    while (n >= kGroupBlocks) {
      __m512i lo = _mm512_setzero_si512();
      __m512i hi = _mm512_setzero_si512();
      __m512i mid = _mm512_setzero_si512();
      for (int j = 0; j < kLoads; ++j) {
        __m512i x = _mm512_shuffle_epi8(_mm512_loadu_si512(p + 64 * j), reverse);
        // Y enters with the group's first block: (Y xor X_1)·H^32 xor X_2·H^31 ...
        if (j == 0) x = _mm512_xor_si512(x, _mm512_zextsi128_si512(y));
        lo = _mm512_xor_si512(lo, _mm512_clmulepi64_epi128(x, powers[j], 0x00));
        hi = _mm512_xor_si512(hi, _mm512_clmulepi64_epi128(x, powers[j], 0x11));
        mid = _mm512_xor_si512(mid, _mm512_clmulepi64_epi128(x, powers[j], 0x10));
        mid = _mm512_xor_si512(mid, _mm512_clmulepi64_epi128(x, powers[j], 0x01));
      }
      const __m128i m = FoldLanes(mid);
      y = ShiftAndReduce(_mm_xor_si128(FoldLanes(lo), _mm_slli_si128(m, 8)),
                         _mm_xor_si128(FoldLanes(hi), _mm_srli_si128(m, 8)));
      p += 16 * kGroupBlocks;
      n -= kGroupBlocks;
    }
  }
  if (n > 0) {
    // The last n < 32 blocks as one shorter group: block j's multiplier is H^(n - j), which are
    // powers[32 - n + j], consecutive; lanes past the end are masked off (never read).
    const __m512i reverse = _mm512_maskz_broadcast_i32x4(0xffff, ReverseMask());
    const size_t first_power = kGroupBlocks - n;
    __m512i lo = _mm512_setzero_si512();
    __m512i hi = _mm512_setzero_si512();
    __m512i mid = _mm512_setzero_si512();
    for (size_t j = 0; 4 * j < n; ++j) {
      const size_t blocks = std::min<size_t>(4, n - 4 * j);
      const auto mask = static_cast<__mmask8>((1u << (2 * blocks)) - 1);
      __m512i x = _mm512_shuffle_epi8(_mm512_maskz_loadu_epi64(mask, p + 64 * j), reverse);
      if (j == 0) x = _mm512_xor_si512(x, _mm512_zextsi128_si512(y));
      const __m512i power = _mm512_maskz_loadu_epi64(mask, key.powers[first_power + 4 * j]);
      lo = _mm512_xor_si512(lo, _mm512_clmulepi64_epi128(x, power, 0x00));
      hi = _mm512_xor_si512(hi, _mm512_clmulepi64_epi128(x, power, 0x11));
      mid = _mm512_xor_si512(mid, _mm512_clmulepi64_epi128(x, power, 0x10));
      mid = _mm512_xor_si512(mid, _mm512_clmulepi64_epi128(x, power, 0x01));
    }
    const __m128i m = FoldLanes(mid);
    y = ShiftAndReduce(_mm_xor_si128(FoldLanes(lo), _mm_slli_si128(m, 8)),
                       _mm_xor_si128(FoldLanes(hi), _mm_srli_si128(m, 8)));
  }
  _mm_store_si128(reinterpret_cast<__m128i*>(state->y), y);
}

bool DetectSupport() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("pclmul") &&
         __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("sse4.1");
}

}  // namespace

bool Supported() {
  static const bool supported = DetectSupport();
  return supported;
}

void ExpandKey(const uint8_t h[16], Key* key) { ExpandKeyWide(h, key); }

void Update(const Key& key, State* state, const uint8_t* blocks, size_t n) {
  UpdateWide(key, state, blocks, n);
}

#else  // !COFRE_GHASH_X86

bool Supported() { return false; }
void ExpandKey(const uint8_t*, Key*) {}
void Update(const Key&, State*, const uint8_t*, size_t) {}

#endif

void Value(const State& state, uint8_t out[16]) {
  for (int i = 0; i < 16; ++i) out[i] = state.y[15 - i];
}

}  // namespace cofre::ghash
