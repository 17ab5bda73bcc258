#include "crypto/gcm.h"
#include "crypto/openssl_error.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <string>

#include "crypto/random.h"

namespace kura::crypto {
namespace {

// EVP_*Update take an int length; longer inputs are fed in chunks.
constexpr size_t kMaxChunk = size_t{1} << 30;

base::Status LibraryError(const char* what) {
  return base::InternalError(std::string("AES-256-GCM: ") + what + ": " + OpenSslErrors());
}

const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

base::Status CheckKeyAndIv(const SecretBytes& key, std::span<const uint8_t> iv) {
  if (key.size() != kGcmKeySize) {
    return base::InvalidArgumentError("AES-256-GCM: key must be " + std::to_string(kGcmKeySize) +
                                      " bytes, got " + std::to_string(key.size()));
  }
  if (iv.empty() || iv.size() > INT_MAX) {
    return base::InvalidArgumentError("AES-256-GCM: IV must be 1.." + std::to_string(INT_MAX) +
                                      " bytes, got " + std::to_string(iv.size()));
  }
  return base::Status::Ok();
}

// Creates a context keyed for one message. The IV length is set before the IV
// itself because OpenSSL reads the IV with the length configured at that time.
base::Result<CtxPtr> NewContext(const SecretBytes& key, std::span<const uint8_t> iv, int enc) {
  const EVP_CIPHER* cipher = Aes256Gcm();
  if (cipher == nullptr) return LibraryError("fetching cipher");
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return LibraryError("EVP_CIPHER_CTX_new");
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data(), -1) != 1) {
    return LibraryError("initialising key and IV");
  }
  return ctx;
}

base::Status AddAad(EVP_CIPHER_CTX* ctx, std::span<const uint8_t> aad) {
  while (!aad.empty()) {
    size_t n = std::min(aad.size(), kMaxChunk);
    int out_len = 0;
    if (EVP_CipherUpdate(ctx, nullptr, &out_len, aad.data(), static_cast<int>(n)) != 1) {
      return LibraryError("adding associated data");
    }
    aad = aad.subspan(n);
  }
  return base::Status::Ok();
}

base::Status Crypt(EVP_CIPHER_CTX* ctx, std::span<const uint8_t> in, uint8_t* out) {
  while (!in.empty()) {
    size_t n = std::min(in.size(), kMaxChunk);
    int out_len = 0;
    if (EVP_CipherUpdate(ctx, out, &out_len, in.data(), static_cast<int>(n)) != 1 ||
        static_cast<size_t>(out_len) != n) {
      return LibraryError("EVP_CipherUpdate");
    }
    in = in.subspan(n);
    out += n;
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<std::vector<uint8_t>> AesGcmEncrypt(const SecretBytes& key, std::span<const uint8_t> iv,
                                                 std::span<const uint8_t> aad,
                                                 std::span<const uint8_t> plaintext) {
  KURA_RETURN_IF_ERROR(CheckKeyAndIv(key, iv));
  KURA_ASSIGN_OR_RETURN(CtxPtr ctx, NewContext(key, iv, 1));
  KURA_RETURN_IF_ERROR(AddAad(ctx.get(), aad));
  std::vector<uint8_t> out(plaintext.size() + kGcmTagSize);
  KURA_RETURN_IF_ERROR(Crypt(ctx.get(), plaintext, out.data()));
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + plaintext.size(), &final_len) != 1 ||
      final_len != 0) {
    return LibraryError("EVP_EncryptFinal_ex");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagSize),
                          out.data() + plaintext.size()) != 1) {
    return LibraryError("reading tag");
  }
  return out;
}

base::Result<SecretBytes> AesGcmDecrypt(const SecretBytes& key, std::span<const uint8_t> iv,
                                        std::span<const uint8_t> aad,
                                        std::span<const uint8_t> ciphertext_and_tag) {
  KURA_RETURN_IF_ERROR(CheckKeyAndIv(key, iv));
  if (ciphertext_and_tag.size() < kGcmTagSize) {
    return base::InvalidArgumentError("AES-256-GCM: input of " +
                                      std::to_string(ciphertext_and_tag.size()) +
                                      " bytes is shorter than the tag");
  }
  const size_t ct_size = ciphertext_and_tag.size() - kGcmTagSize;
  std::span<const uint8_t> ciphertext = ciphertext_and_tag.first(ct_size);
  std::span<const uint8_t> tag = ciphertext_and_tag.subspan(ct_size);

  KURA_ASSIGN_OR_RETURN(CtxPtr ctx, NewContext(key, iv, 0));
  KURA_RETURN_IF_ERROR(AddAad(ctx.get(), aad));
  // Plaintext lands in a SecretBytes so it is wiped if the tag does not verify.
  SecretBytes plaintext(ct_size);
  KURA_RETURN_IF_ERROR(Crypt(ctx.get(), ciphertext, plaintext.data()));
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagSize),
                          const_cast<uint8_t*>(tag.data())) != 1) {
    return LibraryError("setting tag");
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), nullptr, &final_len) != 1) {
    ERR_clear_error();
    return base::PermissionDeniedError("AES-256-GCM: authentication failed");
  }
  return plaintext;
}

base::Result<std::vector<uint8_t>> WrapKey(const SecretBytes& kek, const SecretBytes& plaintext,
                                           std::span<const uint8_t> aad) {
  uint8_t nonce[kGcmNonceSize];
  KURA_RETURN_IF_ERROR(RandomBytes(nonce));
  KURA_ASSIGN_OR_RETURN(std::vector<uint8_t> sealed, AesGcmEncrypt(kek, nonce, aad, plaintext.span()));
  std::vector<uint8_t> blob;
  blob.reserve(kGcmNonceSize + sealed.size());
  blob.insert(blob.end(), nonce, nonce + kGcmNonceSize);
  blob.insert(blob.end(), sealed.begin(), sealed.end());
  return blob;
}

base::Result<SecretBytes> UnwrapKey(const SecretBytes& kek, std::span<const uint8_t> blob,
                                    std::span<const uint8_t> aad) {
  if (blob.size() < kGcmNonceSize + kGcmTagSize) {
    return base::InvalidArgumentError("wrapped key blob of " + std::to_string(blob.size()) +
                                      " bytes is shorter than nonce and tag (" +
                                      std::to_string(kGcmNonceSize + kGcmTagSize) + ")");
  }
  return AesGcmDecrypt(kek, blob.first(kGcmNonceSize), aad, blob.subspan(kGcmNonceSize));
}

}  // namespace kura::crypto
