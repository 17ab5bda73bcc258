// SHA-256, HMAC-SHA256, HKDF-SHA256 (RFC 5869) and constant-time comparison,
// all through OpenSSL 3 EVP.
// Thread-safety: free functions are safe from any thread; a Sha256Hasher is
// used by one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "base/status.h"
#include "crypto/secret_bytes.h"

namespace kura::crypto {

using Digest = std::array<uint8_t, 32>;

Digest Sha256(std::span<const uint8_t> data);

// Incremental SHA-256 for data that arrives in pieces (request bodies).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  void Update(std::span<const uint8_t> data);
  Digest Finish();  // the hasher may not be used after Finish

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Digest HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data);

// HKDF-SHA256 extract-and-expand; `length` up to 255*32 bytes.
base::Result<SecretBytes> HkdfSha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                                     std::span<const uint8_t> info, size_t length);

// Compares in time independent of where the inputs differ (lengths may leak).
bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace kura::crypto
