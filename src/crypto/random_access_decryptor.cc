#include "crypto/random_access_decryptor.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace cofre::streaming_aead {

namespace {

Status ReadExactly(RandomAccessSource& src, uint64_t offset, char* buf, size_t n) {
  ASSIGN_OR_RETURN(size_t got, ReadFullyAt(src, offset, buf, n));
  if (got != n) return DataLossError("encrypted file is shorter than its recorded size");
  return Status::OK();
}

}  // namespace

StatusOr<std::unique_ptr<RandomAccessDecryptor>> RandomAccessDecryptor::New(
    RandomAccessSource* src, uint64_t stored_size, const SecretBytes& data_key,
    std::string_view file_context) {
  if (stored_size < kHeaderSize + kTagSize) {
    return DataLossError("encrypted file is too short to hold its header and a chunk");
  }
  std::string header_bytes(kHeaderSize, '\0');
  RETURN_IF_ERROR(ReadExactly(*src, 0, header_bytes.data(), kHeaderSize));
  ASSIGN_OR_RETURN(StreamHeader header, ParseStreamHeader(header_bytes));
  // Every chunk but the last is chunk_size + tag bytes; the last is 0..chunk_size + tag.
  const uint64_t sealed_chunk = uint64_t{header.chunk_size} + kTagSize;
  const uint64_t body = stored_size - kHeaderSize;
  const uint64_t chunks = (body + sealed_chunk - 1) / sealed_chunk;
  const uint64_t last = body - (chunks - 1) * sealed_chunk;
  if (chunks > kMaxChunks || last < kTagSize) {
    return DataLossError("encrypted file has a size its format cannot have");
  }
  ASSIGN_OR_RETURN(SecretBytes file_key, DeriveFileKey(data_key, header.salt, file_context));
  ASSIGN_OR_RETURN(AesGcm gcm, AesGcm::New(file_key.view()));
  return std::unique_ptr<RandomAccessDecryptor>(new RandomAccessDecryptor(
      src, std::move(gcm), header, std::move(header_bytes), chunks, body - chunks * kTagSize));
}

RandomAccessDecryptor::RandomAccessDecryptor(RandomAccessSource* src, AesGcm gcm,
                                             StreamHeader header, std::string header_bytes,
                                             uint64_t chunks, uint64_t plaintext_size)
    : src_(src),
      gcm_(std::move(gcm)),
      header_(header),
      header_bytes_(std::move(header_bytes)),
      chunks_(chunks),
      plaintext_size_(plaintext_size) {}

RandomAccessDecryptor::~RandomAccessDecryptor() { OPENSSL_cleanse(plain_.data(), plain_.size()); }

Status RandomAccessDecryptor::Read(uint64_t offset, size_t n, std::string* out) {
  if (offset > plaintext_size_ || n > plaintext_size_ - offset) {
    return DataLossError("a read past the end of an encrypted file");
  }
  out->clear();
  if (n == 0) return Status::OK();
  const uint64_t chunk = header_.chunk_size;
  const uint64_t sealed_chunk = chunk + kTagSize;
  const uint64_t first = offset / chunk;
  const uint64_t end = (offset + n - 1) / chunk + 1;  // chunks [first, end)
  const uint64_t sealed_begin = kHeaderSize + first * sealed_chunk;
  const uint64_t sealed_end = std::min<uint64_t>(
      kHeaderSize + end * sealed_chunk, kHeaderSize + plaintext_size_ + chunks_ * kTagSize);
  sealed_.resize(sealed_end - sealed_begin);
  RETURN_IF_ERROR(ReadExactly(*src_, sealed_begin, sealed_.data(), sealed_.size()));
  plain_.resize((end - first) * chunk);
  size_t plain_len = 0;
  for (uint64_t i = first; i < end; ++i) {
    const size_t at = (i - first) * sealed_chunk;
    const size_t len = std::min<size_t>(sealed_chunk, sealed_.size() - at) - kTagSize;
    RETURN_IF_ERROR(OpenChunk(gcm_, header_, header_bytes_, i, i + 1 == chunks_,
                              reinterpret_cast<const uint8_t*>(sealed_.data() + at), len,
                              reinterpret_cast<uint8_t*>(plain_.data() + plain_len)));
    plain_len += len;
  }
  out->assign(plain_.data() + (offset - first * chunk), n);
  return Status::OK();
}

}  // namespace cofre::streaming_aead
