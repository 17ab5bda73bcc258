// AES-256-GCM for key wrapping (KMS key material under the root key, data
// keys under KMS keys).
// Wrapped blob layout (docs/formats/key-wrap.md): 12-byte random nonce ||
// ciphertext || 16-byte tag. The associated data binds the blob to its
// context (key id, version, encryption context) so it cannot be opened elsewhere.
// Thread-safety: free functions, safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "crypto/secret_bytes.h"

namespace kura::crypto {

inline constexpr size_t kGcmKeySize = 32;
inline constexpr size_t kGcmNonceSize = 12;
inline constexpr size_t kGcmTagSize = 16;

// Raw AES-256-GCM with a caller-chosen IV (any length >= 1); used by the
// NIST known-answer tests. Appends the tag to `ciphertext_and_tag`.
base::Result<std::vector<uint8_t>> AesGcmEncrypt(const SecretBytes& key, std::span<const uint8_t> iv,
                                                 std::span<const uint8_t> aad,
                                                 std::span<const uint8_t> plaintext);
// PermissionDenied ("authentication failed") when the tag does not verify.
base::Result<SecretBytes> AesGcmDecrypt(const SecretBytes& key, std::span<const uint8_t> iv,
                                        std::span<const uint8_t> aad,
                                        std::span<const uint8_t> ciphertext_and_tag);

// Seals `plaintext` with a fresh random nonce: nonce || ciphertext || tag.
base::Result<std::vector<uint8_t>> WrapKey(const SecretBytes& kek, const SecretBytes& plaintext,
                                           std::span<const uint8_t> aad);
// Opens a WrapKey blob; PermissionDenied when kek or aad differ or the blob was altered,
// InvalidArgument when the blob is too short.
base::Result<SecretBytes> UnwrapKey(const SecretBytes& kek, std::span<const uint8_t> blob,
                                    std::span<const uint8_t> aad);

}  // namespace kura::crypto
