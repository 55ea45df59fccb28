#include "crypto/streaming_aead.h"

#include "crypto/decrypting_source.h"
#include "crypto/encrypting_sink.h"
#include "crypto/streaming_aead_format.h"

namespace cofre {

std::string FileContext(std::string_view chain_id, std::string_view relative_path) {
  std::string out;
  out.reserve(4 + chain_id.size() + relative_path.size());
  uint32_t n = static_cast<uint32_t>(chain_id.size());
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.append(chain_id);
  out.append(relative_path);
  return out;
}

StatusOr<std::unique_ptr<ByteSink>> NewEncryptingSink(std::unique_ptr<ByteSink> dest,
                                                      const SecretBytes& data_key,
                                                      std::string_view file_context) {
  ASSIGN_OR_RETURN(auto sink,
                   streaming_aead::EncryptingSink::New(std::move(dest), data_key, file_context,
                                                       streaming_aead::EncryptionParams{}));
  return std::unique_ptr<ByteSink>(std::move(sink));
}

StatusOr<std::unique_ptr<ByteSource>> NewDecryptingSource(std::unique_ptr<ByteSource> src,
                                                          const SecretBytes& data_key,
                                                          std::string_view file_context) {
  ASSIGN_OR_RETURN(auto source,
                   streaming_aead::DecryptingSource::New(std::move(src), data_key, file_context));
  return std::unique_ptr<ByteSource>(std::move(source));
}

StatusOr<std::string> EncryptSmall(const SecretBytes& data_key, std::string_view file_context,
                                   std::string_view plaintext) {
  std::string out;
  out.reserve(EncryptedSize(plaintext.size()));
  ASSIGN_OR_RETURN(auto sink,
                   NewEncryptingSink(std::make_unique<StringSink>(&out), data_key, file_context));
  RETURN_IF_ERROR(sink->Append(plaintext));
  RETURN_IF_ERROR(sink->Close());
  return out;
}

StatusOr<std::string> DecryptSmall(const SecretBytes& data_key, std::string_view file_context,
                                   std::string_view ciphertext) {
  ASSIGN_OR_RETURN(auto source,
                   NewDecryptingSource(std::make_unique<StringSource>(std::string(ciphertext)),
                                       data_key, file_context));
  // The plaintext is never longer than the ciphertext; reading into the final buffer lets
  // whole chunks decrypt in place.
  std::string out(ciphertext.size(), '\0');
  size_t pos = 0;
  while (true) {
    ASSIGN_OR_RETURN(size_t n, source->Read(out.data() + pos, out.size() - pos));
    if (n == 0) break;
    pos += n;
  }
  out.resize(pos);
  return out;
}

uint64_t EncryptedSize(uint64_t plaintext_size) {
  using namespace streaming_aead;
  // Full chunks, plus one last chunk that holds the remainder (a whole chunk when the size is a
  // positive multiple of the chunk size, nothing for an empty file).
  uint64_t chunks = plaintext_size == 0 ? 1 : (plaintext_size + kChunkSize - 1) / kChunkSize;
  return kHeaderSize + plaintext_size + chunks * kTagSize;
}

}  // namespace cofre
