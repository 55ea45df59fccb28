// Streaming AEAD: encrypting and decrypting whole files with bounded memory (docs/architecture.md
// §4).
//
// Each file gets its own key, HKDF-derived from the chain's data key, a random per-file salt and
// the file's context (chain id and path relative to the collection), so a file only decrypts
// where it was written. The plaintext is sealed in 64 KiB AES-256-GCM chunks whose nonces carry
// the chunk index and a last-chunk flag, with the header authenticated in every chunk. Any
// tampering, truncation, extension, reordering, a wrong key or a wrong context is DataLoss.
// Byte layout: streaming_aead_format.h and docs/format.md §2.
// Thread-safety: the functions may be called from any thread; the returned streams are
// single-threaded objects.
#ifndef COFRE_CRYPTO_STREAMING_AEAD_H_
#define COFRE_CRYPTO_STREAMING_AEAD_H_

#include <memory>
#include <string>
#include <string_view>

#include "crypto/secret_bytes.h"
#include "util/status.h"
#include "util/stream.h"

namespace cofre {

// The file context that binds a file to its place: u32 big-endian len(chain_id) || chain_id ||
// relative_path (the path relative to the collection root, e.g.
// "2026/11/28-145137.12/data/1.cfd"). Writers and readers must build it the same way.
std::string FileContext(std::string_view chain_id, std::string_view relative_path);

// Wraps `dest` so bytes appended are written encrypted. The header is written to `dest` now;
// Close() seals the final chunk, then closes `dest`. `data_key` must be 32 bytes and is not
// referenced after the call. Errors: InvalidArgument for a bad key size; dest's write errors.
StatusOr<std::unique_ptr<ByteSink>> NewEncryptingSink(std::unique_ptr<ByteSink> dest,
                                                      const SecretBytes& data_key,
                                                      std::string_view file_context);

// Wraps `src` so reads yield the authenticated plaintext. Reads the header now (DataLoss if it
// is truncated or not cofre's format). Later reads return DataLoss on any authentication
// failure; src's own errors pass through. `data_key` is not referenced after the call.
StatusOr<std::unique_ptr<ByteSource>> NewDecryptingSource(std::unique_ptr<ByteSource> src,
                                                          const SecretBytes& data_key,
                                                          std::string_view file_context);

// One-call forms for small files held in memory (manifests); same format as the streams.
StatusOr<std::string> EncryptSmall(const SecretBytes& data_key, std::string_view file_context,
                                   std::string_view plaintext);
// DataLoss when `ciphertext` does not authenticate under (data_key, file_context).
StatusOr<std::string> DecryptSmall(const SecretBytes& data_key, std::string_view file_context,
                                   std::string_view ciphertext);

// Size of the encrypted form of `plaintext_size` bytes written by NewEncryptingSink.
uint64_t EncryptedSize(uint64_t plaintext_size);

}  // namespace cofre

#endif  // COFRE_CRYPTO_STREAMING_AEAD_H_
