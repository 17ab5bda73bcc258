#include "crypto/passphrase.h"

#include <openssl/evp.h>

#include "crypto/openssl_error.h"

namespace kura::crypto {

base::Result<SecretBytes> DeriveKeyFromPassphrase(std::string_view passphrase, std::span<const uint8_t> salt) {
  if (passphrase.empty()) return base::InvalidArgumentError("the root key passphrase is empty");
  if (salt.size() < 16) return base::InvalidArgumentError("the passphrase salt must be at least 16 bytes");
  SecretBytes key(32);
  constexpr uint64_t kN = 1 << 15, kR = 8, kP = 1;
  constexpr uint64_t kMaxMemory = 64ull << 20;
  if (EVP_PBE_scrypt(passphrase.data(), passphrase.size(), salt.data(), salt.size(), kN, kR, kP, kMaxMemory,
                     key.data(), key.size()) != 1) {
    return base::InternalError("scrypt: " + OpenSslErrors());
  }
  return key;
}

}  // namespace kura::crypto
