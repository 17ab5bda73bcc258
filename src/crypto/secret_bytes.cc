#include "crypto/secret_bytes.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <ostream>

namespace kura::crypto {

SecretBytes::SecretBytes(size_t size) {
  if (size == 0) return;
  data_ = new uint8_t[size]();
  size_ = size;
}

SecretBytes::SecretBytes(std::span<const uint8_t> bytes) : SecretBytes(bytes.size()) {
  if (!bytes.empty()) std::copy(bytes.begin(), bytes.end(), data_);
}

SecretBytes::~SecretBytes() { Wipe(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

bool SecretBytes::Equals(const SecretBytes& other) const {
  if (size_ != other.size_) return false;
  if (size_ == 0) return true;
  return CRYPTO_memcmp(data_, other.data_, size_) == 0;
}

void SecretBytes::Wipe() {
  if (data_ != nullptr) {
    OPENSSL_cleanse(data_, size_);
    delete[] data_;
  }
  data_ = nullptr;
  size_ = 0;
}

std::ostream& operator<<(std::ostream& os, const SecretBytes& s) {
  return os << "SecretBytes(" << s.size() << " bytes)";
}

}  // namespace kura::crypto
