#include "blocks/volume_cipher.h"

#include <cstring>

#include "blocks/sector_runs.h"
#include "crypto/hash.h"

namespace kura::blocks {

base::Result<std::unique_ptr<VolumeCipher>> VolumeCipher::Create(const crypto::SecretBytes& key) {
  // Create one context now so a bad key is reported here, not on first I/O.
  KURA_ASSIGN_OR_RETURN(auto first, crypto::XtsCipher::Create(key));
  std::unique_ptr<VolumeCipher> cipher(new VolumeCipher(key.Clone()));
  cipher->idle_.push_back(std::move(first));
  return cipher;
}

base::Result<std::unique_ptr<crypto::XtsCipher>> VolumeCipher::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto cipher = std::move(idle_.back());
      idle_.pop_back();
      return cipher;
    }
  }
  return crypto::XtsCipher::Create(key_);
}

void VolumeCipher::Release(std::unique_ptr<crypto::XtsCipher> cipher) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(cipher));
}

base::Status VolumeCipher::Encrypt(uint64_t chunk_index, uint64_t offset_in_chunk, base::ByteSpan in,
                                   base::MutableByteSpan out) {
  KURA_ASSIGN_OR_RETURN(auto cipher, Acquire());
  uint64_t first_sector = (chunk_index * kChunkSize + offset_in_chunk) / kSectorSize;
  base::Status status = cipher->Encrypt(first_sector, kSectorSize, in, out);
  Release(std::move(cipher));
  return status;
}

base::Status VolumeCipher::Decrypt(uint64_t chunk_index, uint64_t offset_in_chunk, base::MutableByteSpan data) {
  KURA_ASSIGN_OR_RETURN(auto cipher, Acquire());
  uint64_t first_sector = (chunk_index * kChunkSize + offset_in_chunk) / kSectorSize;
  base::Status status = ForEachDataRun(data, [&](size_t at, size_t length) {
    auto run = data.subspan(at, length);
    return cipher->Decrypt(first_sector + at / kSectorSize, kSectorSize, run, run);
  });
  Release(std::move(cipher));
  return status;
}

base::Result<std::vector<uint8_t>> KeyCheckFor(const crypto::SecretBytes& key) {
  static constexpr std::string_view kInfo = "kura key check v1";
  KURA_ASSIGN_OR_RETURN(auto derived, crypto::HkdfSha256(key.span(), {}, base::AsBytes(kInfo), 32));
  auto mac = crypto::HmacSha256(derived.span(), base::AsBytes("kura-volume-key"));
  return std::vector<uint8_t>(mac.begin(), mac.end());
}

}  // namespace kura::blocks
