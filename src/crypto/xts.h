// AES-256-XTS over whole sectors, the data cipher of encrypted volumes.
// The key is 64 bytes (two AES-256 keys; OpenSSL rejects equal halves). The
// tweak of each sector is its 64-bit sector number, little-endian, zero-padded
// to 16 bytes (dm-crypt's "plain64" IV), so a run of sectors is processed in
// one call with sector numbers first, first+1, ...
// Thread-safety: an XtsCipher holds OpenSSL contexts and is used by one thread
// at a time; create one per thread (creation runs the key schedule once).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "base/status.h"
#include "crypto/secret_bytes.h"

namespace kura::crypto {

inline constexpr size_t kXtsKeySize = 64;

class XtsCipher {
 public:
  // InvalidArgument when the key is not 64 bytes or its halves are equal.
  static base::Result<std::unique_ptr<XtsCipher>> Create(const SecretBytes& key);
  ~XtsCipher();

  // `in` and `out` have the same length, a multiple of `sector_size`
  // (16 <= sector_size; out may alias in). Sector k of the buffer uses
  // tweak first_sector + k.
  base::Status Encrypt(uint64_t first_sector, size_t sector_size, std::span<const uint8_t> in,
                       std::span<uint8_t> out);
  base::Status Decrypt(uint64_t first_sector, size_t sector_size, std::span<const uint8_t> in,
                       std::span<uint8_t> out);

  // Any-length XTS with an explicit 16-byte tweak (for known-answer tests of
  // IEEE 1619 vectors, which use a data-unit sequence number as tweak).
  base::Status EncryptUnit(std::span<const uint8_t, 16> tweak, std::span<const uint8_t> in,
                           std::span<uint8_t> out);
  base::Status DecryptUnit(std::span<const uint8_t, 16> tweak, std::span<const uint8_t> in,
                           std::span<uint8_t> out);

 private:
  struct Impl;
  explicit XtsCipher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kura::crypto
