#include "crypto/decrypting_source.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

namespace cofre::streaming_aead {

StatusOr<std::unique_ptr<DecryptingSource>> DecryptingSource::New(std::unique_ptr<ByteSource> src,
                                                                  const SecretBytes& data_key,
                                                                  std::string_view file_context) {
  if (src == nullptr) return InvalidArgumentError("decrypting source needs a source");
  std::string header_bytes(kHeaderSize, '\0');
  ASSIGN_OR_RETURN(size_t got, ReadFully(*src, header_bytes.data(), kHeaderSize));
  header_bytes.resize(got);
  ASSIGN_OR_RETURN(StreamHeader header, ParseStreamHeader(header_bytes));
  ASSIGN_OR_RETURN(SecretBytes file_key, DeriveFileKey(data_key, header.salt, file_context));
  ASSIGN_OR_RETURN(AesGcm gcm, AesGcm::New(file_key.view()));
  return std::unique_ptr<DecryptingSource>(
      new DecryptingSource(std::move(src), std::move(gcm), header, std::move(header_bytes)));
}

DecryptingSource::DecryptingSource(std::unique_ptr<ByteSource> src, AesGcm gcm, StreamHeader header,
                                   std::string header_bytes)
    : src_(std::move(src)),
      gcm_(std::move(gcm)),
      header_(header),
      header_bytes_(std::move(header_bytes)),
      chunk_size_(header.chunk_size),
      sealed_chunk_size_(header.chunk_size + kTagSize),
      sealed_(new uint8_t[sealed_chunk_size_ + 1]),
      plaintext_(new uint8_t[chunk_size_]) {}

DecryptingSource::~DecryptingSource() { OPENSSL_cleanse(plaintext_.get(), chunk_size_); }

Status DecryptingSource::Fail(Status s) {
  if (!s.ok() && status_.ok()) status_ = s;
  return s;
}

StatusOr<size_t> DecryptingSource::NextChunk(uint8_t* out) {
  // Fill the sealed chunk plus one read-ahead byte; a short fill means end of stream.
  size_t want = sealed_chunk_size_ + 1 - carried_;
  StatusOr<size_t> got = ReadFully(*src_, reinterpret_cast<char*>(sealed_.get() + carried_), want);
  if (!got.ok()) return Fail(got.status());
  size_t have = carried_ + *got;
  bool last = have <= sealed_chunk_size_;
  size_t sealed_len = last ? have : sealed_chunk_size_;
  if (sealed_len < kTagSize) {
    return Fail(DataLossError("encrypted file is truncated: chunk " + std::to_string(next_index_) +
                              " is shorter than its tag"));
  }
  if (next_index_ >= kMaxChunks) {
    return Fail(DataLossError("encrypted file has more chunks than the format allows"));
  }
  size_t len = sealed_len - kTagSize;
  Status s = OpenChunk(gcm_, header_, header_bytes_, next_index_, last, sealed_.get(), len, out);
  if (!s.ok()) return Fail(s);
  ++next_index_;
  if (last) {
    done_ = true;
    carried_ = 0;
  } else {
    sealed_[0] = sealed_[sealed_chunk_size_];
    carried_ = 1;
  }
  return len;
}

StatusOr<size_t> DecryptingSource::Read(char* buf, size_t n) {
  RETURN_IF_ERROR(status_);
  if (n == 0) return size_t{0};
  while (true) {
    if (plaintext_pos_ < plaintext_len_) {
      size_t k = std::min(n, plaintext_len_ - plaintext_pos_);
      std::memcpy(buf, plaintext_.get() + plaintext_pos_, k);
      plaintext_pos_ += k;
      return k;
    }
    if (done_) return size_t{0};
    if (n >= chunk_size_) {
      // Large reads skip the plaintext buffer. Only the last chunk may be empty, and then
      // the loop ends at `done_`.
      ASSIGN_OR_RETURN(size_t len, NextChunk(reinterpret_cast<uint8_t*>(buf)));
      if (len > 0) return len;
      continue;
    }
    ASSIGN_OR_RETURN(size_t len, NextChunk(plaintext_.get()));
    plaintext_pos_ = 0;
    plaintext_len_ = len;
  }
}

}  // namespace cofre::streaming_aead
