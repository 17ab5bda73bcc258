// The ciphertext blob of Encrypt/GenerateDataKey* (docs/formats/kms-ciphertext.md)
// and the sealing of key material under the material-sealing key.
//
// Blob: a versioned header naming the key (ARN) and key version, a header
// tag (HMAC under a service-wide header key, so a damaged header is told
// apart from a deleted key before any lookup), a random salt and nonce, then
// AES-256-GCM under a per-blob key derived with HKDF from the key version's
// material; the associated data is the header followed by the canonical
// encryption context, so a different context or any altered byte fails.
// Thread-safety: pure functions (sealing draws from the CSPRNG).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "crypto/secret_bytes.h"
#include "kms/types.h"

namespace kura::kms {

inline constexpr uint8_t kCiphertextFormatV1 = 0x01;
inline constexpr size_t kKeyMaterialSize = 32;
inline constexpr size_t kMaxCiphertextSize = 6144;

struct CiphertextHeader {
  std::string key_arn;
  uint32_t key_version = 0;
};

// u32 count, then for each pair in byte order of the key: u32 key length,
// key, u32 value length, value (all lengths big-endian).
std::vector<uint8_t> CanonicalEncryptionContext(const EncryptionContext& context);

// `header_key`: 32 bytes derived from the material-sealing key (one per deployment).
base::Result<std::vector<uint8_t>> SealCiphertext(const crypto::SecretBytes& header_key,
                                                  const crypto::SecretBytes& material, const CiphertextHeader& header,
                                                  const EncryptionContext& context,
                                                  std::span<const uint8_t> plaintext);

// Reads and authenticates the header; InvalidArgument when the blob is not of
// this format or its header tag does not verify.
base::Result<CiphertextHeader> ParseCiphertextHeader(const crypto::SecretBytes& header_key,
                                                     std::span<const uint8_t> blob);
// Reads the header without authenticating it (diagnostics and tests).
base::Result<CiphertextHeader> PeekCiphertextHeader(std::span<const uint8_t> blob);

// PermissionDenied when the material, context or any byte differs; InvalidArgument when malformed.
base::Result<crypto::SecretBytes> OpenCiphertext(const crypto::SecretBytes& header_key,
                                                 const crypto::SecretBytes& material, std::span<const uint8_t> blob,
                                                 const EncryptionContext& context);

// Associated data binding sealed key material to its key and version:
// "kura kms key material v1\n<key ARN>\n<version>".
std::vector<uint8_t> MaterialAad(const std::string& key_arn, uint32_t version);

}  // namespace kura::kms
