// VolumeCipher: AES-256-XTS for one volume's data key, applied to sectors
// at their logical position (tweak = logical sector index in the volume).
// A stored sector whose 4096 bytes are all zero is a hole and reads as zeros
// (the chunk store hands back zeros for never-written ranges); any real
// ciphertext sector being all zero has probability 2^-32768.
// Thread-safety: safe from any thread; it keeps a pool of OpenSSL contexts
// so concurrent callers never share one and never re-run the key schedule.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "blocks/layout.h"
#include "crypto/secret_bytes.h"
#include "crypto/xts.h"

namespace kura::blocks {

class VolumeCipher {
 public:
  static base::Result<std::unique_ptr<VolumeCipher>> Create(const crypto::SecretBytes& key);

  // `in` starts at sector-aligned byte `offset_in_chunk` of chunk
  // `chunk_index` and is a whole number of sectors; `out` has the same size
  // and may be `in` itself.
  base::Status Encrypt(uint64_t chunk_index, uint64_t offset_in_chunk, base::ByteSpan in, base::MutableByteSpan out);
  base::Status Encrypt(uint64_t chunk_index, uint64_t offset_in_chunk, base::MutableByteSpan data) {
    return Encrypt(chunk_index, offset_in_chunk, data, data);
  }
  // Like Encrypt; all-zero stored sectors are left as zeros (holes).
  base::Status Decrypt(uint64_t chunk_index, uint64_t offset_in_chunk, base::MutableByteSpan data);

 private:
  explicit VolumeCipher(crypto::SecretBytes key) : key_(std::move(key)) {}
  base::Result<std::unique_ptr<crypto::XtsCipher>> Acquire();
  void Release(std::unique_ptr<crypto::XtsCipher> cipher);

  crypto::SecretBytes key_;
  std::mutex mu_;
  std::vector<std::unique_ptr<crypto::XtsCipher>> idle_;
};

// A 32-byte value that proves a data key without revealing it:
// HMAC-SHA256(HKDF-SHA256(key, info "kura key check v1"), "kura-volume-key").
base::Result<std::vector<uint8_t>> KeyCheckFor(const crypto::SecretBytes& key);

}  // namespace kura::blocks
