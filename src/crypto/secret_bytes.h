// SecretBytes: a move-only, heap-held byte buffer for key material.
//
// The bytes live in one heap allocation that is wiped with OPENSSL_cleanse when the buffer is
// destroyed or assigned over, so moving a SecretBytes never leaves copies behind (unlike
// std::string, whose small-string buffer is copied on move). There is deliberately no
// operator<< and no implicit conversion to a string: reading the bytes takes an explicit call to
// data() or view(), which makes every place that touches key material easy to find.
// Copies are explicit (Clone()). Comparison is constant-time (Equals()).
// The buffer is its own anonymous memory mapping marked MADV_DONTDUMP (left out of core dumps)
// and MADV_WIPEONFORK (a forked child sees zeros); should mmap fail, it falls back to the heap.
// Thread-safety: a plain value; const methods may be called from several threads at once.
#ifndef COFRE_CRYPTO_SECRET_BYTES_H_
#define COFRE_CRYPTO_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace cofre {

namespace secret_bytes_internal {
// Frees a SecretBytes buffer (its size is needed to unmap it).
struct Release {
  size_t size = 0;
  bool mapped = false;
  void operator()(uint8_t* p) const;
};
}  // namespace secret_bytes_internal

class SecretBytes {
 public:
  // An empty buffer.
  SecretBytes() = default;
  // `size` zero bytes, to be filled through mutable_data().
  explicit SecretBytes(size_t size);
  // A copy of `bytes`. The caller remains responsible for wiping its own copy.
  explicit SecretBytes(std::string_view bytes);
  ~SecretBytes();

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  const uint8_t* data() const { return data_.get(); }
  uint8_t* mutable_data() { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The bytes as a string_view; valid while this object lives and is not moved from.
  std::string_view view() const {
    return std::string_view(reinterpret_cast<const char*>(data_.get()), size_);
  }

  // An independent copy of the bytes.
  SecretBytes Clone() const;
  // True when both hold the same bytes; runs in time independent of the contents.
  bool Equals(const SecretBytes& other) const;
  // Whether the buffer is the dump-excluded mapping (false for an empty buffer or the fallback).
  bool excluded_from_core_dumps() const { return data_ != nullptr && data_.get_deleter().mapped; }

 private:
  // Wipes and frees the buffer, leaving this object empty.
  void Wipe();

  using Release = secret_bytes_internal::Release;
  // `size` zero bytes in a buffer excluded from core dumps (see above).
  static std::unique_ptr<uint8_t[], Release> Allocate(size_t size);

  std::unique_ptr<uint8_t[], Release> data_;
  size_t size_ = 0;
};

}  // namespace cofre

#endif  // COFRE_CRYPTO_SECRET_BYTES_H_
