#include "crypto/hash.h"
#include "crypto/openssl_error.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>

namespace kura::crypto {
namespace {

constexpr size_t kSha256Size = 32;
constexpr size_t kMaxHkdfLength = 255 * kSha256Size;

// The digest and MAC functions return values, not Status: they fail only when
// OpenSSL cannot allocate or is broken, which the caller could not handle.
[[noreturn]] void Fatal(const char* what) {
  std::fprintf(stderr, "kura::crypto fatal: %s: %s\n", what, OpenSslErrors().c_str());
  std::abort();
}

// Fetched once: an explicit fetch avoids OpenSSL's per-call implicit lookup.
const EVP_MD* Sha256Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md;
}

EVP_MAC* HmacMac() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

// OpenSSL treats a null key as "no key"; an empty key needs a valid pointer.
void* NonNull(std::span<const uint8_t> s) {
  static uint8_t empty = 0;
  return s.empty() ? &empty : const_cast<uint8_t*>(s.data());
}

}  // namespace

Digest Sha256(std::span<const uint8_t> data) {
  // One context per thread: EVP_Digest allocates and frees a context and the
  // provider's state on every call, more than hashing a SigV4 canonical
  // request costs; EVP_DigestInit_ex2 with the same digest reuses both.
  struct ThreadMdCtx {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~ThreadMdCtx() { EVP_MD_CTX_free(ctx); }
  };
  thread_local ThreadMdCtx thread_ctx;
  const EVP_MD* md = Sha256Md();
  if (md == nullptr || thread_ctx.ctx == nullptr) Fatal("initialising SHA2-256");
  Digest out;
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(thread_ctx.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(thread_ctx.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(thread_ctx.ctx, out.data(), &len) != 1 || len != out.size()) {
    Fatal("SHA2-256");
  }
  return out;
}

struct Sha256Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
  bool finished = false;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {
  const EVP_MD* md = Sha256Md();
  impl_->ctx = EVP_MD_CTX_new();
  if (md == nullptr || impl_->ctx == nullptr || EVP_DigestInit_ex2(impl_->ctx, md, nullptr) != 1) {
    Fatal("initialising SHA2-256");
  }
}

Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;

void Sha256Hasher::Update(std::span<const uint8_t> data) {
  assert(impl_ != nullptr && !impl_->finished);
  if (data.empty()) return;
  if (EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) != 1) Fatal("EVP_DigestUpdate");
}

Digest Sha256Hasher::Finish() {
  assert(impl_ != nullptr && !impl_->finished);
  impl_->finished = true;
  Digest out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) != 1 || len != out.size()) {
    Fatal("EVP_DigestFinal_ex");
  }
  return out;
}

namespace {

// One HMAC context per thread, its digest set once. Creating a context and
// naming its digest on every call costs OpenSSL 3 a provider lookup and
// several allocations (about 4x the MAC itself on a SigV4 request); EVP_MAC_init
// with a new key fully re-keys a used context. The pads of the last key stay
// in this thread's context until the next call or thread exit, when
// EVP_MAC_CTX_free cleanses them: in memory only, like the key itself.
class ThreadHmac {
 public:
  ThreadHmac() {
    EVP_MAC* mac = HmacMac();
    if (mac == nullptr) Fatal("fetching HMAC");
    ctx_ = EVP_MAC_CTX_new(mac);
    if (ctx_ == nullptr) Fatal("EVP_MAC_CTX_new");
    char digest_name[] = "SHA2-256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_CTX_set_params(ctx_, params) != 1) Fatal("HMAC: setting SHA2-256");
  }
  ~ThreadHmac() { EVP_MAC_CTX_free(ctx_); }
  ThreadHmac(const ThreadHmac&) = delete;
  ThreadHmac& operator=(const ThreadHmac&) = delete;
  EVP_MAC_CTX* get() { return ctx_; }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
};

// HMAC-SHA256 of the concatenation of `parts` on this thread's context, into
// `out` (32 bytes). Taking the message in parts lets HKDF feed T(i-1) | info |
// i without assembling a buffer of key-derived bytes.
void ThreadHmacSha256(std::span<const uint8_t> key, std::initializer_list<std::span<const uint8_t>> parts,
                      uint8_t* out) {
  thread_local ThreadHmac hmac;
  EVP_MAC_CTX* ctx = hmac.get();
  size_t len = 0;
  bool ok = EVP_MAC_init(ctx, static_cast<const uint8_t*>(NonNull(key)), key.size(), nullptr) == 1;
  for (auto part : parts) {
    if (ok && !part.empty()) ok = EVP_MAC_update(ctx, part.data(), part.size()) == 1;
  }
  ok = ok && EVP_MAC_final(ctx, out, &len, kSha256Size) == 1 && len == kSha256Size;
  if (!ok) Fatal("HMAC-SHA256");
}

}  // namespace

Digest HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  Digest out;
  ThreadHmacSha256(key, {data}, out.data());
  return out;
}

// RFC 5869 on the per-thread HMAC context. OpenSSL's EVP_KDF "HKDF" costs a
// KDF context and a fresh HMAC context per call (callgrind: ~43,000
// instructions for a 32-byte key, against ~26,000 here, mostly SHA-256
// compressions), and KMS derives one key per ciphertext. Intermediate PRK and
// T(i) are wiped before returning.
base::Result<SecretBytes> HkdfSha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                                     std::span<const uint8_t> info, size_t length) {
  if (length == 0 || length > kMaxHkdfLength) {
    return base::InvalidArgumentError("HKDF-SHA256: output length must be 1.." +
                                      std::to_string(kMaxHkdfLength) + ", got " +
                                      std::to_string(length));
  }
  // Extract: PRK = HMAC(salt, IKM); an absent salt is HashLen zeros, which
  // HMAC's zero-padding of the key makes the same as an empty one.
  uint8_t prk[kSha256Size];
  ThreadHmacSha256(salt, {ikm}, prk);
  // Expand: T(i) = HMAC(PRK, T(i-1) | info | i), OKM = T(1) | T(2) | ...
  SecretBytes out(length);
  uint8_t t[kSha256Size];
  size_t t_len = 0;
  for (size_t done = 0, i = 1; done < length; ++i) {
    const uint8_t counter = static_cast<uint8_t>(i);
    ThreadHmacSha256({prk, kSha256Size}, {{t, t_len}, info, {&counter, 1}}, t);
    t_len = kSha256Size;
    const size_t n = std::min(kSha256Size, length - done);
    std::memcpy(out.data() + done, t, n);
    done += n;
  }
  OPENSSL_cleanse(prk, sizeof prk);
  OPENSSL_cleanse(t, sizeof t);
  return out;
}

bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace kura::crypto
