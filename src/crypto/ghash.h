// Ghash: GCM's universal hash (NIST SP 800-38D §6.4) over whole 16-byte blocks, computed with the
// CPU's 512-bit carry-less multiply (VPCLMULQDQ with AVX-512), 32 blocks per reduction. It exists
// for LeafMac (leaf_mac.h), which hashes every table leaf of a database at each backup: there
// OpenSSL's GHASH (128-bit multiplies, plus a GCM context set up again per leaf) was the largest
// single cost of an incremental's leaf mapping (docs/performance.md). The values are GCM's, bit for
// bit: leaf_mac_test.cc checks them against OpenSSL's GMAC on random inputs.
//
// Blocks are kept internally in GCM's bit-reflected order turned around byte-wise (each block
// byte-reversed), where a carry-less product of two such values is the field product shifted one
// bit left; the shift and the reduction modulo x^128 + x^7 + x^2 + x + 1 are done once per group
// of products, which is valid because both are linear.
// Thread-safety: a GhashKey is immutable and may be shared; a GhashState is used by one thread.
#ifndef COFRE_CRYPTO_GHASH_H_
#define COFRE_CRYPTO_GHASH_H_

#include <cstddef>
#include <cstdint>

namespace cofre::ghash {

// Whether this CPU (and this build, x86-64 only) can run the functions below. When it cannot,
// callers use OpenSSL's GCM instead.
bool Supported();

// Blocks hashed per reduction: the products of a group's blocks with H^32..H^1 are summed first.
inline constexpr int kGroupBlocks = 32;

// The hash key H and its powers H^1..H^32, byte-reversed. Holds secret material: the destructor
// wipes it.
struct Key {
  alignas(64) uint8_t powers[kGroupBlocks][16];  // powers[i] = H^(32 - i): a group's order
  ~Key();
};

// The running value Y of one hash, byte-reversed.
struct State {
  alignas(16) uint8_t y[16] = {};
};

// REQUIRES: Supported(). Fills `key` from H = AES_K(0^128), as GCM derives it.
void ExpandKey(const uint8_t h[16], Key* key);

// Y := (...((Y xor X_1)·H xor X_2)·H ... xor X_n)·H for the `n` 16-byte blocks at `blocks`.
// REQUIRES: Supported().
void Update(const Key& key, State* state, const uint8_t* blocks, size_t n);

// The hash value Y in GCM's byte order.
void Value(const State& state, uint8_t out[16]);

}  // namespace cofre::ghash

#endif  // COFRE_CRYPTO_GHASH_H_
