#include "kms/ciphertext.h"

#include <array>
#include <string_view>

#include "crypto/gcm.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace kura::kms {

namespace {

constexpr size_t kHeaderTagSize = 16;
constexpr size_t kSaltSize = 16;
constexpr std::string_view kHkdfInfo = "kura kms ciphertext v1";

void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

uint32_t GetU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void PutBytes(std::vector<uint8_t>& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

// Offsets (L = length of the key ARN):
//   0 version | 1 reserved | 2..3 L | 4 ARN | 4+L key version | 8+L header tag |
//   24+L salt | 40+L nonce | 52+L ciphertext || GCM tag
struct Layout {
  CiphertextHeader header;
  size_t tag_offset = 0;
  size_t salt_offset = 0;
  size_t nonce_offset = 0;
  size_t header_size = 0;  // bytes up to and including the nonce
};

base::Result<Layout> ParseLayout(std::span<const uint8_t> blob) {
  if (blob.size() < 4 || blob[0] != kCiphertextFormatV1 || blob[1] != 0) {
    return base::InvalidArgumentError("not a kura KMS ciphertext");
  }
  const size_t arn_len = (size_t{blob[2]} << 8) | blob[3];
  Layout l;
  l.tag_offset = 4 + arn_len + 4;
  l.salt_offset = l.tag_offset + kHeaderTagSize;
  l.nonce_offset = l.salt_offset + kSaltSize;
  l.header_size = l.nonce_offset + crypto::kGcmNonceSize;
  if (arn_len == 0 || blob.size() < l.header_size + crypto::kGcmTagSize) {
    return base::InvalidArgumentError("truncated KMS ciphertext");
  }
  l.header.key_arn.assign(reinterpret_cast<const char*>(blob.data() + 4), arn_len);
  l.header.key_version = GetU32(blob.data() + 4 + arn_len);
  return l;
}

std::array<uint8_t, kHeaderTagSize> HeaderTag(const crypto::SecretBytes& header_key, std::span<const uint8_t> prefix) {
  const auto mac = crypto::HmacSha256(header_key.span(), prefix);
  std::array<uint8_t, kHeaderTagSize> out{};
  std::copy(mac.begin(), mac.begin() + kHeaderTagSize, out.begin());
  return out;
}

base::Result<Layout> VerifiedLayout(const crypto::SecretBytes& header_key, std::span<const uint8_t> blob) {
  KURA_ASSIGN_OR_RETURN(auto l, ParseLayout(blob));
  const auto tag = HeaderTag(header_key, blob.first(l.tag_offset));
  if (!crypto::ConstantTimeEqual(tag, blob.subspan(l.tag_offset, kHeaderTagSize))) {
    return base::InvalidArgumentError("KMS ciphertext header does not verify");
  }
  if (l.header.key_version == 0) return base::InvalidArgumentError("bad key version in KMS ciphertext");
  return l;
}

base::Result<crypto::SecretBytes> BlobKey(const crypto::SecretBytes& material, std::span<const uint8_t> salt) {
  return crypto::HkdfSha256(material.span(), salt,
                            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kHkdfInfo.data()),
                                                     kHkdfInfo.size()),
                            crypto::kGcmKeySize);
}

std::vector<uint8_t> Aad(std::span<const uint8_t> header, const EncryptionContext& context) {
  std::vector<uint8_t> aad(header.begin(), header.end());
  const auto canonical = CanonicalEncryptionContext(context);
  aad.insert(aad.end(), canonical.begin(), canonical.end());
  return aad;
}

}  // namespace

std::vector<uint8_t> CanonicalEncryptionContext(const EncryptionContext& context) {
  std::vector<uint8_t> out;
  PutU32(out, static_cast<uint32_t>(context.size()));
  for (const auto& [k, v] : context) {  // std::map orders keys bytewise
    PutU32(out, static_cast<uint32_t>(k.size()));
    PutBytes(out, k);
    PutU32(out, static_cast<uint32_t>(v.size()));
    PutBytes(out, v);
  }
  return out;
}

base::Result<std::vector<uint8_t>> SealCiphertext(const crypto::SecretBytes& header_key,
                                                  const crypto::SecretBytes& material, const CiphertextHeader& header,
                                                  const EncryptionContext& context,
                                                  std::span<const uint8_t> plaintext) {
  if (material.size() != kKeyMaterialSize) return base::InternalError("key material must be 32 bytes");
  if (header.key_arn.empty() || header.key_arn.size() > 0xffff || header.key_version == 0) {
    return base::InvalidArgumentError("bad ciphertext header");
  }
  std::vector<uint8_t> blob;
  blob.push_back(kCiphertextFormatV1);
  blob.push_back(0);
  blob.push_back(static_cast<uint8_t>(header.key_arn.size() >> 8));
  blob.push_back(static_cast<uint8_t>(header.key_arn.size()));
  PutBytes(blob, header.key_arn);
  PutU32(blob, header.key_version);
  const auto tag = HeaderTag(header_key, blob);
  blob.insert(blob.end(), tag.begin(), tag.end());
  const size_t salt_offset = blob.size();
  blob.resize(blob.size() + kSaltSize + crypto::kGcmNonceSize);
  KURA_RETURN_IF_ERROR(crypto::RandomBytes(std::span<uint8_t>(blob.data() + salt_offset,
                                                               kSaltSize + crypto::kGcmNonceSize)));
  const std::vector<uint8_t> salt(blob.begin() + static_cast<std::ptrdiff_t>(salt_offset),
                                  blob.begin() + static_cast<std::ptrdiff_t>(salt_offset + kSaltSize));
  const std::vector<uint8_t> nonce(blob.begin() + static_cast<std::ptrdiff_t>(salt_offset + kSaltSize), blob.end());
  KURA_ASSIGN_OR_RETURN(auto key, BlobKey(material, salt));
  const auto aad = Aad(blob, context);
  KURA_ASSIGN_OR_RETURN(auto sealed, crypto::AesGcmEncrypt(key, nonce, aad, plaintext));
  blob.insert(blob.end(), sealed.begin(), sealed.end());
  return blob;
}

base::Result<CiphertextHeader> ParseCiphertextHeader(const crypto::SecretBytes& header_key,
                                                     std::span<const uint8_t> blob) {
  KURA_ASSIGN_OR_RETURN(auto layout, VerifiedLayout(header_key, blob));
  return layout.header;
}

base::Result<CiphertextHeader> PeekCiphertextHeader(std::span<const uint8_t> blob) {
  KURA_ASSIGN_OR_RETURN(auto layout, ParseLayout(blob));
  return layout.header;
}

base::Result<crypto::SecretBytes> OpenCiphertext(const crypto::SecretBytes& header_key,
                                                 const crypto::SecretBytes& material, std::span<const uint8_t> blob,
                                                 const EncryptionContext& context) {
  KURA_ASSIGN_OR_RETURN(auto layout, VerifiedLayout(header_key, blob));
  KURA_ASSIGN_OR_RETURN(auto key, BlobKey(material, blob.subspan(layout.salt_offset, kSaltSize)));
  const auto aad = Aad(blob.first(layout.header_size), context);
  return crypto::AesGcmDecrypt(key, blob.subspan(layout.nonce_offset, crypto::kGcmNonceSize), aad,
                               blob.subspan(layout.header_size));
}

std::vector<uint8_t> MaterialAad(const std::string& key_arn, uint32_t version) {
  std::vector<uint8_t> out;
  PutBytes(out, "kura kms key material v1\n");
  PutBytes(out, key_arn);
  PutBytes(out, "\n");
  PutBytes(out, std::to_string(version));
  return out;
}

}  // namespace kura::kms
