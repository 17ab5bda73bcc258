// CSPRNG backed by OpenSSL's RAND_bytes (DRBG seeded from the OS).
// Thread-safety: safe from any thread.
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"
#include "crypto/secret_bytes.h"

namespace kura::crypto {

base::Status RandomBytes(std::span<uint8_t> out);
base::Result<SecretBytes> RandomSecret(size_t size);

}  // namespace kura::crypto
