// DecryptingSource: the reader of cofre's encrypted file format (streaming_aead_format.h).
//
// Reads the header at creation, then yields plaintext chunk by chunk, each authenticated before
// any of its bytes is returned. It reads one byte ahead of every chunk: a chunk is the last one
// iff end of stream follows it, and must then carry the last-chunk flag. So truncation (in the
// header, inside a chunk or exactly at a chunk boundary), trailing bytes, reordered, duplicated
// or altered chunks, a wrong data key and a wrong file context (a file moved to another path or
// backup) all fail authentication and surface as DataLoss. Errors of the underlying source are
// passed through unchanged (e.g. Unavailable from the network).
// Memory: two chunk-sized buffers (chunk size is bounded by kMaxChunkSize before allocation).
// Reads of at least one chunk are decrypted straight into the caller's buffer.
// Errors are sticky. Thread-safety: one thread at a time.
#ifndef COFRE_CRYPTO_DECRYPTING_SOURCE_H_
#define COFRE_CRYPTO_DECRYPTING_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/aes_gcm.h"
#include "crypto/secret_bytes.h"
#include "crypto/streaming_aead_header.h"
#include "util/status.h"
#include "util/stream.h"

namespace cofre::streaming_aead {

class DecryptingSource : public ByteSource {
 public:
  // Reads and checks the header of `src` and derives the file key.
  // DataLoss for a truncated header, bad magic, unknown version or invalid chunk size;
  // InvalidArgument for a data key that is not 32 bytes; the source's own read errors.
  static StatusOr<std::unique_ptr<DecryptingSource>> New(std::unique_ptr<ByteSource> src,
                                                         const SecretBytes& data_key,
                                                         std::string_view file_context);
  ~DecryptingSource() override;

  // Returns up to n authenticated plaintext bytes; 0 only after the last chunk authenticated.
  StatusOr<size_t> Read(char* buf, size_t n) override;

 private:
  DecryptingSource(std::unique_ptr<ByteSource> src, AesGcm gcm, StreamHeader header,
                   std::string header_bytes);

  // Reads and authenticates the next chunk into out (capacity >= chunk size); returns its
  // plaintext length and sets done_ when it was the last chunk.
  StatusOr<size_t> NextChunk(uint8_t* out);
  Status Fail(Status s);

  std::unique_ptr<ByteSource> src_;
  AesGcm gcm_;
  StreamHeader header_;
  std::string header_bytes_;
  const size_t chunk_size_;
  const size_t sealed_chunk_size_;        // chunk_size_ + kTagSize
  std::unique_ptr<uint8_t[]> sealed_;     // sealed_chunk_size_ + 1 (one byte of read-ahead)
  size_t carried_ = 0;                    // read-ahead bytes already at sealed_[0]
  std::unique_ptr<uint8_t[]> plaintext_;  // a decrypted chunk not yet handed out
  size_t plaintext_pos_ = 0;
  size_t plaintext_len_ = 0;
  uint64_t next_index_ = 0;
  bool done_ = false;
  Status status_;
};

}  // namespace cofre::streaming_aead

#endif  // COFRE_CRYPTO_DECRYPTING_SOURCE_H_
