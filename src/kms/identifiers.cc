#include "kms/identifiers.h"

#include <array>
#include <cctype>

#include "base/bytes.h"
#include "crypto/random.h"
#include "kms/kms_error.h"

namespace kura::kms {

namespace {

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int B64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

base::Status InvalidArn() { return KmsStatus(KmsError::kNotFound, "Invalid arn"); }
base::Status InvalidKeyId(std::string_view value) {
  return KmsStatus(KmsError::kNotFound, "Invalid keyId " + std::string(value));
}

}  // namespace

std::string KeyArn(std::string_view region, std::string_view account_id, std::string_view key_id) {
  std::string out = "arn:aws:kms:";
  out.append(region).append(":").append(account_id).append(":key/").append(key_id);
  return out;
}

std::string AliasArn(std::string_view region, std::string_view account_id, std::string_view alias_name) {
  std::string out = "arn:aws:kms:";
  out.append(region).append(":").append(account_id).append(":").append(alias_name);
  return out;
}

base::Result<std::string> NewKeyId() {
  std::array<uint8_t, 16> b{};
  KURA_RETURN_IF_ERROR(crypto::RandomBytes(b));
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  const std::string hex = base::HexEncode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

base::Result<std::string> NewHexId() {
  std::array<uint8_t, 32> b{};
  KURA_RETURN_IF_ERROR(crypto::RandomBytes(b));
  return base::HexEncode(b);
}

bool IsKeyIdSyntax(std::string_view s) {
  if (s.size() == 4 + 32 && s.substr(0, 4) == "mrk-") {
    for (char c : s.substr(4)) {
      if (!IsHex(c)) return false;
    }
    return true;
  }
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsHex(s[i])) return false;
  }
  return true;
}

bool IsGrantIdSyntax(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool SplitArn(std::string_view arn, ParsedArn* out) {
  std::array<std::string_view, 5> parts{};
  std::string_view rest = arn;
  for (auto& part : parts) {
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return false;
    part = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  if (parts[0] != "arn") return false;
  out->partition = std::string(parts[1]);
  out->service = std::string(parts[2]);
  out->region = std::string(parts[3]);
  out->account = std::string(parts[4]);
  out->resource = std::string(rest);
  return true;
}

base::Result<KeyRef> ParseKeyRef(std::string_view value, const std::string& caller_account,
                                 const std::string& caller_region, bool allow_alias) {
  KeyRef ref;
  ref.account_id = caller_account;
  ref.region = caller_region;
  if (value.substr(0, 4) == "arn:") {
    ParsedArn arn;
    if (!SplitArn(value, &arn) || arn.service != "kms" || arn.partition.empty() || !AllDigits(arn.account) ||
        arn.account.size() != 12) {
      return InvalidArn();
    }
    if (arn.region != caller_region) return InvalidArn();
    ref.account_id = arn.account;
    if (arn.resource.substr(0, 4) == "key/") {
      ref.kind = KeyRef::Kind::kKeyArn;
      ref.key_id = arn.resource.substr(4);
      if (!IsKeyIdSyntax(ref.key_id)) return InvalidArn();
      return ref;
    }
    if (arn.resource.substr(0, 6) == "alias/" && arn.resource.size() > 6) {
      if (!allow_alias) return InvalidKeyId(value);
      ref.kind = KeyRef::Kind::kAliasArn;
      ref.alias_name = arn.resource;
      return ref;
    }
    return InvalidArn();
  }
  if (value.substr(0, 6) == "alias/") {
    if (!allow_alias || value.size() == 6) return InvalidKeyId(value);
    ref.kind = KeyRef::Kind::kAliasName;
    ref.alias_name = std::string(value);
    return ref;
  }
  if (!IsKeyIdSyntax(value)) return InvalidKeyId(value);
  ref.kind = KeyRef::Kind::kKeyId;
  ref.key_id = std::string(value);
  return ref;
}

std::string Base64UrlEncode(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back(kB64[v & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{bytes[i]} << 16;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
  }
  return out;
}

base::Result<std::vector<uint8_t>> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return base::InvalidArgumentError("bad base64url length");
  std::vector<uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = B64Value(c);
    if (v < 0) return base::InvalidArgumentError("bad base64url character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero (canonical encoding).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return base::InvalidArgumentError("non-canonical base64url");
  return out;
}

std::string EncodeMarker(std::string_view kind, std::string_view position) {
  std::string plain = "kura1:";
  plain.append(kind).append(":").append(position);
  return Base64UrlEncode(base::AsBytes(plain));
}

base::Result<std::string> DecodeMarker(std::string_view kind, std::string_view marker) {
  auto bytes = Base64UrlDecode(marker);
  const std::string prefix = "kura1:" + std::string(kind) + ":";
  if (bytes.ok()) {
    std::string plain(bytes->begin(), bytes->end());
    if (plain.size() > prefix.size() && plain.compare(0, prefix.size(), prefix) == 0) {
      return plain.substr(prefix.size());
    }
  }
  return KmsStatus(KmsError::kInvalidMarker, "Invalid marker " + std::string(marker));
}

}  // namespace kura::kms
