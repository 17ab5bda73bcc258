#include "crypto/xts.h"
#include "crypto/openssl_error.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <cstring>
#include <string>

#include "base/bytes.h"

namespace kura::crypto {
namespace {

constexpr size_t kBlockSize = 16;
constexpr size_t kHalfKeySize = kXtsKeySize / 2;
// IEEE 1619 caps a data unit at 2^20 blocks; OpenSSL enforces the same.
constexpr size_t kMaxUnitSize = kBlockSize << 20;

base::Status LibraryError(const char* what) {
  return base::InternalError(std::string("AES-256-XTS: ") + what + ": " + OpenSslErrors());
}

bool PartiallyOverlap(std::span<const uint8_t> in, std::span<uint8_t> out) {
  if (in.empty() || in.data() == out.data()) return false;
  auto a = reinterpret_cast<uintptr_t>(in.data());
  auto b = reinterpret_cast<uintptr_t>(out.data());
  return a < b + out.size() && b < a + in.size();
}

base::Status CheckBuffers(std::span<const uint8_t> in, std::span<uint8_t> out) {
  if (in.size() != out.size()) {
    return base::InvalidArgumentError("AES-256-XTS: input is " + std::to_string(in.size()) +
                                      " bytes but output is " + std::to_string(out.size()));
  }
  if (PartiallyOverlap(in, out)) {
    return base::InvalidArgumentError("AES-256-XTS: input and output overlap without being equal");
  }
  return base::Status::Ok();
}

// Processes one data unit: only the IV is reset, the key schedule stays.
base::Status CryptUnit(EVP_CIPHER_CTX* ctx, const uint8_t* iv, const uint8_t* in, uint8_t* out,
                       size_t len) {
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, iv, -1) != 1) {
    return LibraryError("setting tweak");
  }
  int out_len = 0;
  if (EVP_CipherUpdate(ctx, out, &out_len, in, static_cast<int>(len)) != 1 ||
      static_cast<size_t>(out_len) != len) {
    return LibraryError("EVP_CipherUpdate");
  }
  return base::Status::Ok();
}

}  // namespace

struct XtsCipher::Impl {
  EVP_CIPHER_CTX* encrypt = nullptr;
  EVP_CIPHER_CTX* decrypt = nullptr;

  ~Impl() {
    EVP_CIPHER_CTX_free(encrypt);
    EVP_CIPHER_CTX_free(decrypt);
  }

  base::Status Sectors(EVP_CIPHER_CTX* ctx, uint64_t first_sector, size_t sector_size,
                       std::span<const uint8_t> in, std::span<uint8_t> out) {
    if (sector_size < kBlockSize || sector_size > kMaxUnitSize) {
      return base::InvalidArgumentError("AES-256-XTS: sector size must be " +
                                        std::to_string(kBlockSize) + ".." +
                                        std::to_string(kMaxUnitSize) + ", got " +
                                        std::to_string(sector_size));
    }
    KURA_RETURN_IF_ERROR(CheckBuffers(in, out));
    if (in.size() % sector_size != 0) {
      return base::InvalidArgumentError("AES-256-XTS: buffer of " + std::to_string(in.size()) +
                                        " bytes is not a multiple of the sector size " +
                                        std::to_string(sector_size));
    }
    uint8_t iv[kBlockSize] = {};
    const size_t sectors = in.size() / sector_size;
    for (size_t k = 0; k < sectors; ++k) {
      base::StoreLe64(first_sector + k, iv);  // plain64; bytes 8..15 stay zero
      const size_t offset = k * sector_size;
      KURA_RETURN_IF_ERROR(CryptUnit(ctx, iv, in.data() + offset, out.data() + offset, sector_size));
    }
    return base::Status::Ok();
  }

  base::Status Unit(EVP_CIPHER_CTX* ctx, std::span<const uint8_t, 16> tweak,
                    std::span<const uint8_t> in, std::span<uint8_t> out) {
    KURA_RETURN_IF_ERROR(CheckBuffers(in, out));
    if (in.size() < kBlockSize || in.size() > kMaxUnitSize) {
      return base::InvalidArgumentError("AES-256-XTS: data unit must be " +
                                        std::to_string(kBlockSize) + ".." +
                                        std::to_string(kMaxUnitSize) + " bytes, got " +
                                        std::to_string(in.size()));
    }
    return CryptUnit(ctx, tweak.data(), in.data(), out.data(), in.size());
  }
};

XtsCipher::XtsCipher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
XtsCipher::~XtsCipher() = default;

base::Result<std::unique_ptr<XtsCipher>> XtsCipher::Create(const SecretBytes& key) {
  if (key.size() != kXtsKeySize) {
    return base::InvalidArgumentError("AES-256-XTS: key must be " + std::to_string(kXtsKeySize) +
                                      " bytes, got " + std::to_string(key.size()));
  }
  if (CRYPTO_memcmp(key.data(), key.data() + kHalfKeySize, kHalfKeySize) == 0) {
    return base::InvalidArgumentError("AES-256-XTS: the two key halves must differ");
  }
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-XTS", nullptr);
  if (cipher == nullptr) return LibraryError("fetching cipher");

  auto impl = std::make_unique<Impl>();
  impl->encrypt = EVP_CIPHER_CTX_new();
  impl->decrypt = EVP_CIPHER_CTX_new();
  bool ok = impl->encrypt != nullptr && impl->decrypt != nullptr &&
            EVP_CipherInit_ex(impl->encrypt, cipher, nullptr, key.data(), nullptr, 1) == 1 &&
            EVP_CipherInit_ex(impl->decrypt, cipher, nullptr, key.data(), nullptr, 0) == 1;
  EVP_CIPHER_free(cipher);  // the contexts hold their own references
  if (!ok) return LibraryError("initialising key");
  return std::unique_ptr<XtsCipher>(new XtsCipher(std::move(impl)));
}

base::Status XtsCipher::Encrypt(uint64_t first_sector, size_t sector_size,
                                std::span<const uint8_t> in, std::span<uint8_t> out) {
  return impl_->Sectors(impl_->encrypt, first_sector, sector_size, in, out);
}

base::Status XtsCipher::Decrypt(uint64_t first_sector, size_t sector_size,
                                std::span<const uint8_t> in, std::span<uint8_t> out) {
  return impl_->Sectors(impl_->decrypt, first_sector, sector_size, in, out);
}

base::Status XtsCipher::EncryptUnit(std::span<const uint8_t, 16> tweak,
                                    std::span<const uint8_t> in, std::span<uint8_t> out) {
  return impl_->Unit(impl_->encrypt, tweak, in, out);
}

base::Status XtsCipher::DecryptUnit(std::span<const uint8_t, 16> tweak,
                                    std::span<const uint8_t> in, std::span<uint8_t> out) {
  return impl_->Unit(impl_->decrypt, tweak, in, out);
}

}  // namespace kura::crypto
