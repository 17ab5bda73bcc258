// SecretBytes: a fixed-size buffer for key material that wipes itself on
// destruction and on move-from, and cannot be printed or logged (operator<<
// prints only the length). Copying is explicit (Clone) so that secrets are
// never duplicated by accident.
// Thread-safety: like a std::vector; const access from several threads is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>

namespace kura::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size);                     // zero-filled
  explicit SecretBytes(std::span<const uint8_t> bytes);  // copies bytes in
  ~SecretBytes();

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  SecretBytes Clone() const { return SecretBytes(span()); }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<uint8_t> span() { return {data_, size_}; }
  std::span<const uint8_t> span() const { return {data_, size_}; }

  // Constant-time comparison.
  bool Equals(const SecretBytes& other) const;

 private:
  void Wipe();

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Prints "SecretBytes(N bytes)" and never the content.
std::ostream& operator<<(std::ostream& os, const SecretBytes& s);

}  // namespace kura::crypto
