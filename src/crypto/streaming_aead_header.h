// StreamHeader: the parsed header of an encrypted file, plus the per-file derivations that
// both the writer and the reader of the format need (file key, chunk nonces).
// See streaming_aead_format.h for the byte layout.
// Thread-safety: plain values and pure functions.
#ifndef COFRE_CRYPTO_STREAMING_AEAD_HEADER_H_
#define COFRE_CRYPTO_STREAMING_AEAD_HEADER_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/aes_gcm.h"
#include "crypto/secret_bytes.h"
#include "crypto/streaming_aead_format.h"
#include "util/status.h"

namespace cofre::streaming_aead {

struct StreamHeader {
  uint32_t chunk_size = kChunkSize;
  std::array<uint8_t, kSaltSize> salt{};
  std::array<uint8_t, kNoncePrefixSize> nonce_prefix{};

  // The kHeaderSize header bytes.
  std::string Encode() const;
};

// Parses kHeaderSize bytes. DataLoss for a wrong size, bad magic, unknown version or a chunk
// size outside [kMinChunkSize, kMaxChunkSize].
StatusOr<StreamHeader> ParseStreamHeader(std::string_view bytes);

// The HKDF info of a file key: kFileKeyInfoLabel || u32be len(file_context) || file_context.
std::string FileKeyInfo(std::string_view file_context);

// The file key: HKDF-SHA256(data_key, salt, FileKeyInfo(file_context)), 32 bytes.
// InvalidArgument unless data_key is kDataKeySize bytes.
StatusOr<SecretBytes> DeriveFileKey(const SecretBytes& data_key,
                                    const std::array<uint8_t, kSaltSize>& salt,
                                    std::string_view file_context);

// Writes chunk `index`'s nonce into nonce[0, kNonceSize).
void ChunkNonce(const std::array<uint8_t, kNoncePrefixSize>& prefix, uint32_t index, bool last,
                uint8_t* nonce);

// Opens sealed chunk `index` of a file (`len` ciphertext bytes at `sealed`, then its tag) into
// `out` (len bytes). DataLoss, saying what can cause it, when it does not authenticate; other
// errors of `gcm` pass through.
Status OpenChunk(AesGcm& gcm, const StreamHeader& header, std::string_view header_bytes,
                 uint64_t index, bool last, const uint8_t* sealed, size_t len, uint8_t* out);

}  // namespace cofre::streaming_aead

#endif  // COFRE_CRYPTO_STREAMING_AEAD_HEADER_H_
