// Deriving a 32-byte key from a passphrase (scrypt, through OpenSSL's
// EVP_PBE_scrypt), for a root key given as a passphrase instead of a key file.
// Thread-safety: pure function.
#pragma once

#include <span>
#include <string_view>

#include "base/status.h"
#include "crypto/secret_bytes.h"

namespace kura::crypto {

// scrypt N=2^15, r=8, p=1 (about 32 MiB and 0.1 s): slow enough to make
// guessing costly, fast enough for a server start.
base::Result<SecretBytes> DeriveKeyFromPassphrase(std::string_view passphrase, std::span<const uint8_t> salt);

}  // namespace kura::crypto
