// RandomAccessDecryptor: reads byte ranges of the plaintext of an encrypted file
// (streaming_aead_format.h) without reading the rest: each range's chunks are fetched with one
// ranged read and each is authenticated before any of its bytes is returned. The file's stored
// size, taken from an authenticated manifest, fixes the number of chunks and which is the last,
// so truncation and extension still fail authentication (the last chunk's nonce flag) and a
// chunk moved to another index or file fails too.
// Errors: DataLoss for a header or chunk that does not authenticate, a size the format cannot
// have or a range past the plaintext's end; the source's own errors.
// Thread-safety: one thread at a time.
#ifndef COFRE_CRYPTO_RANDOM_ACCESS_DECRYPTOR_H_
#define COFRE_CRYPTO_RANDOM_ACCESS_DECRYPTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/aes_gcm.h"
#include "crypto/secret_bytes.h"
#include "crypto/streaming_aead_header.h"
#include "storage/external_storage.h"

namespace cofre::streaming_aead {

class RandomAccessDecryptor {
 public:
  // Reads `src`'s header and derives the file key. `src` must outlive the decryptor and hold
  // `stored_size` bytes.
  static StatusOr<std::unique_ptr<RandomAccessDecryptor>> New(RandomAccessSource* src,
                                                              uint64_t stored_size,
                                                              const SecretBytes& data_key,
                                                              std::string_view file_context);
  ~RandomAccessDecryptor();

  uint64_t plaintext_size() const { return plaintext_size_; }
  // Replaces *out with plaintext bytes [offset, offset + n).
  Status Read(uint64_t offset, size_t n, std::string* out);

 private:
  RandomAccessDecryptor(RandomAccessSource* src, AesGcm gcm, StreamHeader header,
                        std::string header_bytes, uint64_t chunks, uint64_t plaintext_size);

  RandomAccessSource* src_;
  AesGcm gcm_;
  StreamHeader header_;
  std::string header_bytes_;
  uint64_t chunks_;
  uint64_t plaintext_size_;
  std::string sealed_;  // scratch: the sealed chunks of one read
  std::string plain_;   // scratch: the plaintext of a chunk a read cuts (wiped at the end)
};

}  // namespace cofre::streaming_aead

#endif  // COFRE_CRYPTO_RANDOM_ACCESS_DECRYPTOR_H_
