#include "crypto/random.h"
#include "crypto/openssl_error.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <string>

namespace kura::crypto {
base::Status RandomBytes(std::span<uint8_t> out) {
  // RAND_bytes takes an int length; fill large buffers in chunks.
  constexpr size_t kMaxChunk = INT_MAX;
  while (!out.empty()) {
    size_t n = std::min(out.size(), kMaxChunk);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      return base::InternalError("RAND_bytes failed: " + OpenSslErrors());
    }
    out = out.subspan(n);
  }
  return base::Status::Ok();
}

base::Result<SecretBytes> RandomSecret(size_t size) {
  SecretBytes secret(size);
  KURA_RETURN_IF_ERROR(RandomBytes(secret.span()));
  return secret;
}

}  // namespace kura::crypto
