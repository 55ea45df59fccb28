#include "crypto/secret_bytes.h"

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <utility>

namespace cofre {

std::unique_ptr<uint8_t[], SecretBytes::Release> SecretBytes::Allocate(size_t size) {
  if (size == 0) return std::unique_ptr<uint8_t[], Release>(nullptr, Release{});
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return std::unique_ptr<uint8_t[], Release>(new uint8_t[size](), Release{size, false});
  }
  ::madvise(p, size, MADV_DONTDUMP);
#ifdef MADV_WIPEONFORK
  ::madvise(p, size, MADV_WIPEONFORK);
#endif
  return std::unique_ptr<uint8_t[], Release>(static_cast<uint8_t*>(p), Release{size, true});
}

void secret_bytes_internal::Release::operator()(uint8_t* p) const {
  if (p == nullptr) return;
  if (mapped) {
    ::munmap(p, size);
  } else {
    delete[] p;
  }
}

SecretBytes::SecretBytes(size_t size) : data_(Allocate(size)), size_(size) {}

SecretBytes::SecretBytes(std::string_view bytes) : SecretBytes(bytes.size()) {
  if (size_ > 0) std::memcpy(data_.get(), bytes.data(), size_);
}

SecretBytes::~SecretBytes() { Wipe(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes SecretBytes::Clone() const { return SecretBytes(view()); }

bool SecretBytes::Equals(const SecretBytes& other) const {
  if (size_ != other.size_) return false;
  if (size_ == 0) return true;
  return CRYPTO_memcmp(data_.get(), other.data_.get(), size_) == 0;
}

void SecretBytes::Wipe() {
  if (data_ != nullptr) OPENSSL_cleanse(data_.get(), size_);
  data_.reset();
  size_ = 0;
}

}  // namespace cofre
