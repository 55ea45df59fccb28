#include "crypto/streaming_aead_header.h"

#include <cstring>

#include "crypto/kdf.h"

namespace cofre::streaming_aead {
namespace {

void PutU32BigEndian(uint32_t v, uint8_t* out) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

uint32_t GetU32BigEndian(const uint8_t* in) {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) |
         uint32_t{in[3]};
}

void AppendU32BigEndian(uint32_t v, std::string* out) {
  uint8_t b[4];
  PutU32BigEndian(v, b);
  out->append(reinterpret_cast<const char*>(b), sizeof(b));
}

}  // namespace

std::string StreamHeader::Encode() const {
  std::string out;
  out.reserve(kHeaderSize);
  out.append(kMagic);
  out.push_back(static_cast<char>(kVersion1));
  AppendU32BigEndian(chunk_size, &out);
  out.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  out.append(reinterpret_cast<const char*>(nonce_prefix.data()), nonce_prefix.size());
  return out;
}

StatusOr<StreamHeader> ParseStreamHeader(std::string_view bytes) {
  if (bytes.size() != kHeaderSize) {
    return DataLossError("encrypted file header is truncated (" + std::to_string(bytes.size()) +
                         " of " + std::to_string(kHeaderSize) + " bytes)");
  }
  if (bytes.substr(kMagicOffset, kMagicSize) != kMagic) {
    return DataLossError(
        "not a cofre encrypted file (bad magic); the file is corrupt or is not encrypted");
  }
  const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
  uint8_t version = b[kVersionOffset];
  if (version != kVersion1) {
    return DataLossError("encrypted file has unknown format version " + std::to_string(version) +
                         "; it is corrupt or was written by a newer cofre");
  }
  StreamHeader h;
  h.chunk_size = GetU32BigEndian(b + kChunkSizeOffset);
  if (h.chunk_size < kMinChunkSize || h.chunk_size > kMaxChunkSize) {
    return DataLossError("encrypted file header has an invalid chunk size " +
                         std::to_string(h.chunk_size) + "; the file is corrupt");
  }
  std::memcpy(h.salt.data(), b + kSaltOffset, kSaltSize);
  std::memcpy(h.nonce_prefix.data(), b + kNoncePrefixOffset, kNoncePrefixSize);
  return h;
}

std::string FileKeyInfo(std::string_view file_context) {
  std::string info;
  info.reserve(kFileKeyInfoLabel.size() + 4 + file_context.size());
  info.append(kFileKeyInfoLabel);
  AppendU32BigEndian(static_cast<uint32_t>(file_context.size()), &info);
  info.append(file_context);
  return info;
}

StatusOr<SecretBytes> DeriveFileKey(const SecretBytes& data_key,
                                    const std::array<uint8_t, kSaltSize>& salt,
                                    std::string_view file_context) {
  if (data_key.size() != kDataKeySize) {
    return InvalidArgumentError("the data key must be " + std::to_string(kDataKeySize) +
                                " bytes, got " + std::to_string(data_key.size()));
  }
  if (file_context.size() > UINT32_MAX) {
    return InvalidArgumentError("the file context is too long");
  }
  return Hkdf(data_key.view(),
              std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size()),
              FileKeyInfo(file_context), kFileKeySize);
}

void ChunkNonce(const std::array<uint8_t, kNoncePrefixSize>& prefix, uint32_t index, bool last,
                uint8_t* nonce) {
  std::memcpy(nonce, prefix.data(), kNoncePrefixSize);
  PutU32BigEndian(index, nonce + kChunkIndexOffsetInNonce);
  nonce[kLastFlagOffsetInNonce] = last ? kLastChunkFlag : kNotLastChunkFlag;
}

Status OpenChunk(AesGcm& gcm, const StreamHeader& header, std::string_view header_bytes,
                 uint64_t index, bool last, const uint8_t* sealed, size_t len, uint8_t* out) {
  uint8_t nonce[kNonceSize];
  ChunkNonce(header.nonce_prefix, static_cast<uint32_t>(index), last, nonce);
  Status s = gcm.Open(nonce, header_bytes, sealed, len, sealed + len, out);
  if (s.ok() || !IsDataLoss(s)) return s;
  return DataLossError("encrypted file failed authentication at chunk " + std::to_string(index) +
                       ": it is corrupt, truncated or extended, was moved from another path or "
                       "backup, or the key is wrong");
}

}  // namespace cofre::streaming_aead
