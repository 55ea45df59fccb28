#include "crypto/random_access_decryptor.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#include "util/resize_for_overwrite.h"

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
  if (n == 0) {
    out->clear();
    return Status::OK();
  }
  const uint64_t chunk = header_.chunk_size;
  const uint64_t sealed_chunk = chunk + kTagSize;
  const uint64_t first = offset / chunk;
  const uint64_t end = (offset + n - 1) / chunk + 1;  // chunks [first, end)
  const uint64_t sealed_begin = kHeaderSize + first * sealed_chunk;
  const uint64_t sealed_end = std::min<uint64_t>(
      kHeaderSize + end * sealed_chunk, kHeaderSize + plaintext_size_ + chunks_ * kTagSize);
  ResizeForOverwrite(&sealed_, sealed_end - sealed_begin);
  RETURN_IF_ERROR(ReadExactly(*src_, sealed_begin, sealed_.data(), sealed_.size()));
  // Chunks wholly inside the range open straight into *out; a chunk the range cuts opens into
  // plain_, and its part in the range is copied.
  ResizeForOverwrite(out, n);
  for (uint64_t i = first; i < end; ++i) {
    const size_t at = (i - first) * sealed_chunk;
    const size_t len = std::min<size_t>(sealed_chunk, sealed_.size() - at) - kTagSize;
    const uint64_t start = i * chunk;  // the chunk's plaintext offset
    const bool whole = start >= offset && start + len <= offset + n;
    if (!whole && plain_.size() < chunk) plain_.resize(chunk);
    uint8_t* dest =
        reinterpret_cast<uint8_t*>(whole ? out->data() + (start - offset) : plain_.data());
    Status st = OpenChunk(gcm_, header_, header_bytes_, i, i + 1 == chunks_,
                          reinterpret_cast<const uint8_t*>(sealed_.data() + at), len, dest);
    if (!st.ok()) {
      out->clear();
      return st;
    }
    if (!whole) {
      const uint64_t from = std::max(offset, start);
      const uint64_t to = std::min<uint64_t>(offset + n, start + len);
      std::memcpy(out->data() + (from - offset), plain_.data() + (from - start), to - from);
    }
  }
  return Status::OK();
}

}  // namespace cofre::streaming_aead
