#include "crypto/encrypting_sink.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#include "crypto/random.h"

namespace cofre::streaming_aead {
namespace {

template <size_t N>
Status FillField(const std::optional<std::string>& given, const char* name,
                 std::array<uint8_t, N>* out) {
  if (!given.has_value()) return FillRandom(out->data(), N);
  if (given->size() != N) {
    return InvalidArgumentError(std::string("encrypted file ") + name + " must be " +
                                std::to_string(N) + " bytes");
  }
  std::memcpy(out->data(), given->data(), N);
  return Status::OK();
}

}  // namespace

StatusOr<std::unique_ptr<EncryptingSink>> EncryptingSink::New(std::unique_ptr<ByteSink> dest,
                                                              const SecretBytes& data_key,
                                                              std::string_view file_context,
                                                              const EncryptionParams& params) {
  if (dest == nullptr) return InvalidArgumentError("encrypting sink needs a destination");
  if (params.chunk_size < kMinChunkSize || params.chunk_size > kMaxChunkSize) {
    return InvalidArgumentError("encrypted file chunk size " + std::to_string(params.chunk_size) +
                                " is outside [" + std::to_string(kMinChunkSize) + ", " +
                                std::to_string(kMaxChunkSize) + "]");
  }
  StreamHeader header;
  header.chunk_size = params.chunk_size;
  RETURN_IF_ERROR(FillField(params.salt, "salt", &header.salt));
  RETURN_IF_ERROR(FillField(params.nonce_prefix, "nonce prefix", &header.nonce_prefix));
  ASSIGN_OR_RETURN(SecretBytes file_key, DeriveFileKey(data_key, header.salt, file_context));
  ASSIGN_OR_RETURN(AesGcm gcm, AesGcm::New(file_key.view()));
  std::unique_ptr<EncryptingSink> sink(new EncryptingSink(std::move(dest), std::move(gcm), header));
  RETURN_IF_ERROR(sink->dest_->Append(sink->header_bytes_));
  return sink;
}

EncryptingSink::EncryptingSink(std::unique_ptr<ByteSink> dest, AesGcm gcm, StreamHeader header)
    : dest_(std::move(dest)),
      gcm_(std::move(gcm)),
      header_(header),
      header_bytes_(header.Encode()),
      chunk_size_(header.chunk_size),
      pending_(new uint8_t[header.chunk_size]),
      sealed_(new uint8_t[header.chunk_size + kTagSize]) {}

EncryptingSink::~EncryptingSink() { OPENSSL_cleanse(pending_.get(), chunk_size_); }

Status EncryptingSink::Fail(Status s) {
  if (!s.ok() && status_.ok()) status_ = s;
  return s;
}

Status EncryptingSink::EmitChunk(const uint8_t* in, size_t len, bool last) {
  if (next_index_ >= kMaxChunks) {
    return Fail(Status(StatusCode::kOutOfRange,
                       "encrypted file exceeds the format's limit of 2^32 chunks; write smaller "
                       "files"));
  }
  uint8_t nonce[kNonceSize];
  ChunkNonce(header_.nonce_prefix, static_cast<uint32_t>(next_index_), last, nonce);
  RETURN_IF_ERROR(
      Fail(gcm_.Seal(nonce, header_bytes_, in, len, sealed_.get(), sealed_.get() + len)));
  ++next_index_;
  return Fail(dest_->Append(
      std::string_view(reinterpret_cast<const char*>(sealed_.get()), len + kTagSize)));
}

Status EncryptingSink::Append(std::string_view data) {
  RETURN_IF_ERROR(status_);
  if (closed_) return FailedPreconditionError("encrypting sink: Append after Close");
  appended_ += data.size();
  const auto* in = reinterpret_cast<const uint8_t*>(data.data());
  size_t left = data.size();
  while (left > 0) {
    // A full pending chunk is not the last one: more bytes follow.
    if (pending_len_ == chunk_size_) {
      RETURN_IF_ERROR(EmitChunk(pending_.get(), chunk_size_, /*last=*/false));
      pending_len_ = 0;
    }
    // Seal whole chunks straight from the caller's buffer while more bytes follow them.
    if (pending_len_ == 0) {
      while (left > chunk_size_) {
        RETURN_IF_ERROR(EmitChunk(in, chunk_size_, /*last=*/false));
        in += chunk_size_;
        left -= chunk_size_;
      }
    }
    size_t take = std::min(chunk_size_ - pending_len_, left);
    std::memcpy(pending_.get() + pending_len_, in, take);
    pending_len_ += take;
    in += take;
    left -= take;
  }
  return Status::OK();
}

Status EncryptingSink::Close() {
  RETURN_IF_ERROR(status_);
  if (closed_) return FailedPreconditionError("encrypting sink: Close called twice");
  closed_ = true;
  RETURN_IF_ERROR(EmitChunk(pending_.get(), pending_len_, /*last=*/true));
  OPENSSL_cleanse(pending_.get(), chunk_size_);
  pending_len_ = 0;
  return Fail(dest_->Close());
}

}  // namespace cofre::streaming_aead
