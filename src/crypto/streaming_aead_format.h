// Constants of cofre's encrypted file format (streaming AEAD, version 1). docs/format.md §2.
//
// File = header || chunk_0 || chunk_1 || ... || chunk_{n-1}   (n >= 1)
//
// Header (kHeaderSize = 48 bytes, authenticated as the AAD of every chunk):
//   offset  size  field
//        0     4  magic "CFAE"
//        4     1  version (1)
//        5     4  chunk size: plaintext bytes per chunk, u32 big-endian (writers: 65536)
//        9    32  salt: random per file, the HKDF salt of the file key
//       41     7  nonce prefix: random per file
//
// Chunk i = AES-256-GCM ciphertext of plaintext chunk i || 16-byte tag. Every chunk but the
// last holds exactly `chunk size` plaintext bytes; the last holds 0..chunk size (an empty file
// is one empty last chunk: just a tag).
// Chunk nonce (12 bytes) = nonce prefix (7) || i as u32 big-endian (4) || last flag (1: 0x01 for
// the last chunk, 0x00 otherwise).
// File key = HKDF-SHA256(ikm = data key, salt = header salt,
//                        info = "cofre-file-v1" || u32 big-endian len(file context) || file
//                        context)
// where file context = u32 big-endian len(chain id) || chain id || path relative to the
// collection (FileContext() in streaming_aead.h builds it).
// Enum-like values written here (version, flags) are never renumbered.
#ifndef COFRE_CRYPTO_STREAMING_AEAD_FORMAT_H_
#define COFRE_CRYPTO_STREAMING_AEAD_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cofre::streaming_aead {

inline constexpr std::string_view kMagic = "CFAE";
inline constexpr uint8_t kVersion1 = 1;

// Plaintext bytes per chunk written by cofre.
inline constexpr uint32_t kChunkSize = 64 * 1024;
// Chunk sizes a reader accepts from a header; anything else is a corrupt file. Bounds the
// memory a reader allocates before any byte is authenticated.
inline constexpr uint32_t kMinChunkSize = 256;
inline constexpr uint32_t kMaxChunkSize = 1024 * 1024;

inline constexpr size_t kMagicSize = 4;
inline constexpr size_t kVersionSize = 1;
inline constexpr size_t kChunkSizeFieldSize = 4;
inline constexpr size_t kSaltSize = 32;
inline constexpr size_t kNoncePrefixSize = 7;

inline constexpr size_t kMagicOffset = 0;
inline constexpr size_t kVersionOffset = kMagicOffset + kMagicSize;            // 4
inline constexpr size_t kChunkSizeOffset = kVersionOffset + kVersionSize;      // 5
inline constexpr size_t kSaltOffset = kChunkSizeOffset + kChunkSizeFieldSize;  // 9
inline constexpr size_t kNoncePrefixOffset = kSaltOffset + kSaltSize;          // 41
inline constexpr size_t kHeaderSize = kNoncePrefixOffset + kNoncePrefixSize;   // 48

inline constexpr size_t kTagSize = 16;
inline constexpr size_t kNonceSize = 12;
inline constexpr size_t kChunkIndexSize = 4;
inline constexpr size_t kChunkIndexOffsetInNonce = kNoncePrefixSize;                  // 7
inline constexpr size_t kLastFlagOffsetInNonce = kNoncePrefixSize + kChunkIndexSize;  // 11
static_assert(kLastFlagOffsetInNonce + 1 == kNonceSize);
inline constexpr uint8_t kNotLastChunkFlag = 0x00;
inline constexpr uint8_t kLastChunkFlag = 0x01;
// A file has at most 2^32 chunks (the index is 32 bits): 256 TiB at 64 KiB chunks.
inline constexpr uint64_t kMaxChunks = uint64_t{1} << 32;

// Size of the data key the file key is derived from, and of the file key.
inline constexpr size_t kDataKeySize = 32;
inline constexpr size_t kFileKeySize = 32;
// HKDF info label of file keys.
inline constexpr std::string_view kFileKeyInfoLabel = "cofre-file-v1";

}  // namespace cofre::streaming_aead

#endif  // COFRE_CRYPTO_STREAMING_AEAD_FORMAT_H_
