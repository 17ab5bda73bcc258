// The root of trust: a 32-byte key that seals every KMS key's material and
// every IAM secret. It comes from a key file (mode 0600, created on first
// start) or from a passphrase (scrypt with a salt kept beside the data).
// Purpose keys are derived from it with HKDF so no two uses share a key.
// Thread-safety: functions only.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "crypto/secret_bytes.h"
#include "env/filesystem.h"

namespace kura::cmd {

// Reads the key file, creating it (0600, 32 random bytes) when absent.
// FailedPrecondition when the file is readable or writable by group or others,
// or does not hold exactly 32 bytes.
base::Result<crypto::SecretBytes> LoadOrCreateRootKeyFile(env::Filesystem& fs, const std::string& path);

// scrypt(passphrase, salt) where the 32-byte salt lives in `salt_path` (created when absent).
base::Result<crypto::SecretBytes> RootKeyFromPassphrase(env::Filesystem& fs, std::string_view passphrase,
                                                        const std::string& salt_path);

// HKDF-SHA256(root, info = purpose), 32 bytes: "kura iam secrets v1", "kura kms key material v1".
base::Result<crypto::SecretBytes> DerivePurposeKey(const crypto::SecretBytes& root, std::string_view purpose);

}  // namespace kura::cmd
