// Key resolution: which KMS key a new volume, snapshot copy or launched
// volume gets (ebs-kms-flows.md §2.1), as a pure function of the request's
// Encrypted/KmsKeyId, the caller's EBS settings (encryption by default, the
// default key) and the source's encryption. It names the key as the request
// or the settings give it (id, alias or ARN); turning that into an ARN is a
// KMS call and the caller's job (DataKeys::Describe, then SettleResolvedKey).
// Thread-safety: functions only.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "ec2/types.h"

namespace kura::ec2 {

// The AWS managed default key, as EC2 names it to KMS when no other key is set.
inline constexpr char kAwsEbsAlias[] = "alias/aws/ebs";

enum class KeyOperation { kCreateVolume, kCopySnapshot, kLaunch };

// What the new resource is made from.
struct KeySourceInfo {
  bool exists = false;     // false: an empty volume
  bool encrypted = false;
  std::string key_arn;     // when encrypted
  bool owned = true;       // the source belongs to the caller's account
  bool same_region = true; // false only for cross-region copies
};

struct KeyRequest {
  KeyOperation operation = KeyOperation::kCreateVolume;
  std::optional<bool> encrypted;  // the Encrypted parameter, when given
  std::string kms_key_id;         // KmsKeyId as given; "" when absent
  KeySourceInfo source;
};

enum class KeyOrigin { kNone, kRequested, kDefault, kSource };

struct KeyChoice {
  bool encrypted = false;
  // The key to use as KMS is to be asked for it: K as given, the default key
  // (settings ARN or "alias/aws/ebs"), or the source's key ARN. "" when unencrypted.
  std::string key_id;
  KeyOrigin origin = KeyOrigin::kNone;
  // A new data key and a full copy of the source's data under it; false when
  // the source's data key is reused (same key) or there is nothing to copy.
  bool reencrypt = false;

  bool operator==(const KeyChoice&) const = default;
};

// The default key D of `settings`: its ARN once changed, else "alias/aws/ebs".
std::string DefaultKeyOf(const EbsSettings& settings);

// §2.1. Errors: InvalidParameterDependency when KmsKeyId comes without Encrypted=true.
base::Result<KeyChoice> ResolveKey(const KeyRequest& request, const EbsSettings& settings);

// Once the chosen key is known as an ARN: a requested or default key that is
// in fact the key of an owned same-region source reuses the source's data key
// (no re-encryption), as AWS does when K names the snapshot's own key.
void SettleResolvedKey(KeyChoice& choice, const std::string& resolved_arn, const KeySourceInfo& source);

}  // namespace kura::ec2
