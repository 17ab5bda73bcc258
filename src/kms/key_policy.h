// Key policies (kms.md §4): the default policy, the fixed policy of the AWS
// managed EBS key (auto-ebs-2), validation of a caller's policy (size,
// characters, structure) and the lockout safety check.
// Thread-safety: pure functions.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "iam/policy.h"

namespace kura::kms {

inline constexpr size_t kMaxKeyPolicyBytes = 32768;
inline constexpr std::string_view kDefaultPolicyName = "default";
inline constexpr std::string_view kAwsEbsAlias = "alias/aws/ebs";
inline constexpr std::string_view kAwsEbsDescription =
    "Default key that protects my EBS volumes when no other key is defined";

// {"Version" : "2012-10-17", "Id" : "key-default-1", "Statement" : [ {"Sid" : "Enable IAM User Permissions", ...} ]}
std::string DefaultKeyPolicy(const std::string& account_id);
// The AWS managed EBS key's policy, Id auto-ebs-2 (kms.md §4.2).
std::string AwsEbsKeyPolicy(const std::string& account_id, const std::string& region);

// Checks a caller-supplied policy: LimitExceeded above 32 KiB, Validation for
// characters outside \t \n \r and U+0020..U+00FF, MalformedPolicyDocument when
// it does not parse as a key policy.
base::Result<std::shared_ptr<const iam::PolicyDocument>> ValidateKeyPolicy(std::string_view text);

// Lockout safety check: true when `policy` lets the principal of `put_key_policy`
// (a RequestContext for kms:PutKeyPolicy on the key) call PutKeyPolicy later,
// directly or through its account (IAM delegation).
bool AllowsFuturePolicyUpdates(const iam::PolicyDocument& policy, const iam::RequestContext& put_key_policy);

inline constexpr std::string_view kLockoutMessage =
    "The new key policy will not allow you to update the key policy in the future.";

}  // namespace kura::kms
