// KMS identifiers (kms.md §2): key ids, key and alias ARNs, how a KeyId
// parameter is classified, and the small encodings (base64url, markers)
// that opaque strings use.
// Thread-safety: pure functions (NewKeyId/NewGrantId use the CSPRNG).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kura::kms {

std::string KeyArn(std::string_view region, std::string_view account_id, std::string_view key_id);
// `alias_name` includes the "alias/" prefix.
std::string AliasArn(std::string_view region, std::string_view account_id, std::string_view alias_name);

// A lower-case UUID v4 (8-4-4-4-12 hex).
base::Result<std::string> NewKeyId();
// 64 lower-case hex characters from the CSPRNG.
base::Result<std::string> NewHexId();
bool IsKeyIdSyntax(std::string_view s);    // UUID (lower or upper hex) or mrk- + 32 hex
bool IsGrantIdSyntax(std::string_view s);  // 1..128 of [0-9a-zA-Z]

// How a KeyId-type parameter names a key.
struct KeyRef {
  enum class Kind { kKeyId, kKeyArn, kAliasName, kAliasArn };
  Kind kind = Kind::kKeyId;
  std::string account_id;  // owner named by the ARN, else the caller's account
  std::string region;
  std::string key_id;      // kKeyId, kKeyArn
  std::string alias_name;  // kAliasName, kAliasArn: "alias/..."
  bool is_alias() const { return kind == Kind::kAliasName || kind == Kind::kAliasArn; }
  bool is_arn() const { return kind == Kind::kKeyArn || kind == Kind::kAliasArn; }
};

// Classifies `value`. NotFound errors use the AWS messages: an ARN of another
// region or a malformed ARN -> "Invalid arn"; a malformed id -> "Invalid keyId <value>";
// an alias where only key id/ARN are accepted -> "Invalid keyId <value>".
base::Result<KeyRef> ParseKeyRef(std::string_view value, const std::string& caller_account,
                                 const std::string& caller_region, bool allow_alias);

struct ParsedArn {
  std::string partition, service, region, account, resource;
};
// Splits "arn:partition:service:region:account:resource"; false when not of that shape.
bool SplitArn(std::string_view arn, ParsedArn* out);

std::string Base64UrlEncode(std::span<const uint8_t> bytes);  // no padding
base::Result<std::vector<uint8_t>> Base64UrlDecode(std::string_view text);

// Pagination markers: opaque, tied to one listing kind ("keys", "aliases", ...).
std::string EncodeMarker(std::string_view kind, std::string_view position);
// InvalidMarkerException when `marker` was not made by EncodeMarker for `kind`.
base::Result<std::string> DecodeMarker(std::string_view kind, std::string_view marker);

}  // namespace kura::kms
