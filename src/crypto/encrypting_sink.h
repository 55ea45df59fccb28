// EncryptingSink: the writer of cofre's encrypted file format (streaming_aead_format.h).
//
// Plaintext appended to it is cut into chunks, each sealed with AES-256-GCM under the file key
// and written to the destination sink as soon as the next byte shows it is not the last one;
// Close() seals the final chunk (possibly empty) with the last-chunk flag and closes the
// destination. The header goes to the destination when the sink is created.
// Memory: two chunk-sized buffers, whatever the file size. No per-chunk allocation; appends of
// whole chunks are encrypted straight from the caller's buffer.
// Errors are sticky: after a failure every call returns the same Status. Destroying the sink
// without Close() abandons the destination (nothing is published). Buffered plaintext is wiped.
// Most callers use NewEncryptingSink() (streaming_aead.h); this class is public to the crypto
// layer so tests can fix the salt, nonce prefix and chunk size (known-answer vectors).
// Thread-safety: one thread at a time.
#ifndef COFRE_CRYPTO_ENCRYPTING_SINK_H_
#define COFRE_CRYPTO_ENCRYPTING_SINK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/aes_gcm.h"
#include "crypto/secret_bytes.h"
#include "crypto/streaming_aead_header.h"
#include "util/status.h"
#include "util/stream.h"

namespace cofre::streaming_aead {

// Header choices of one file. Production code leaves salt and nonce prefix unset (random).
struct EncryptionParams {
  uint32_t chunk_size = kChunkSize;
  // When set: exactly kSaltSize / kNoncePrefixSize bytes. FOR TESTS ONLY: reusing them with the
  // same data key and context reuses GCM nonces.
  std::optional<std::string> salt;
  std::optional<std::string> nonce_prefix;
};

class EncryptingSink : public ByteSink {
 public:
  // Derives the file key, writes the header to `dest` and returns the sink.
  // InvalidArgument for a data key that is not 32 bytes, a chunk size outside
  // [kMinChunkSize, kMaxChunkSize] or a wrongly sized salt/nonce prefix; the destination's
  // error if writing the header fails.
  static StatusOr<std::unique_ptr<EncryptingSink>> New(std::unique_ptr<ByteSink> dest,
                                                       const SecretBytes& data_key,
                                                       std::string_view file_context,
                                                       const EncryptionParams& params);
  ~EncryptingSink() override;

  // Encrypts and forwards every full chunk that is known not to be the last.
  // OutOfRange past kMaxChunks chunks; FailedPrecondition after Close().
  Status Append(std::string_view data) override;
  // Seals the last chunk, then closes the destination.
  Status Close() override;
  // Plaintext bytes accepted so far.
  uint64_t BytesAppended() const override { return appended_; }

 private:
  EncryptingSink(std::unique_ptr<ByteSink> dest, AesGcm gcm, StreamHeader header);

  // Seals plaintext in[0, len) as the next chunk and appends it to the destination.
  Status EmitChunk(const uint8_t* in, size_t len, bool last);
  // Records `s` as the sticky error when it is not OK; returns it.
  Status Fail(Status s);

  std::unique_ptr<ByteSink> dest_;
  AesGcm gcm_;
  StreamHeader header_;
  std::string header_bytes_;  // the AAD of every chunk
  const size_t chunk_size_;
  std::unique_ptr<uint8_t[]> pending_;  // plaintext of the chunk not yet known to be non-last
  size_t pending_len_ = 0;
  std::unique_ptr<uint8_t[]> sealed_;  // one sealed chunk: ciphertext || tag
  uint64_t next_index_ = 0;
  uint64_t appended_ = 0;
  bool closed_ = false;
  Status status_;
};

}  // namespace cofre::streaming_aead

#endif  // COFRE_CRYPTO_ENCRYPTING_SINK_H_
