#include "kms/key_policy.h"

#include "kms/kms_error.h"

namespace kura::kms {

std::string DefaultKeyPolicy(const std::string& account_id) {
  return R"({"Version" : "2012-10-17", "Id" : "key-default-1", "Statement" : [ {"Sid" : "Enable IAM User )"
         R"(Permissions", "Effect" : "Allow", "Principal" : {"AWS" : "arn:aws:iam::)" +
         account_id + R"(:root"}, "Action" : "kms:*", "Resource" : "*"} ]})";
}

std::string AwsEbsKeyPolicy(const std::string& account_id, const std::string& region) {
  return R"({"Version" : "2012-10-17", "Id" : "auto-ebs-2", "Statement" : [ {"Sid" : "Allow access through EBS )"
         R"(for all principals in the account that are authorized to use EBS", "Effect" : "Allow", )"
         R"("Principal" : {"AWS" : "*"}, "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", )"
         R"("kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ], "Resource" : "*", )"
         R"("Condition" : {"StringEquals" : {"kms:CallerAccount" : ")" +
         account_id + R"(", "kms:ViaService" : "ec2.)" + region +
         R"(.amazonaws.com"}}}, {"Sid" : "Allow direct access to key metadata to the account", )"
         R"("Effect" : "Allow", "Principal" : {"AWS" : "arn:aws:iam::)" +
         account_id +
         R"(:root"}, "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant" ], )"
         R"("Resource" : "*"} ]})";
}

namespace {

// Decodes one UTF-8 code point; false on malformed input.
bool NextCodePoint(std::string_view s, size_t* i, uint32_t* cp) {
  const auto b0 = static_cast<uint8_t>(s[*i]);
  if (b0 < 0x80) {
    *cp = b0;
    *i += 1;
    return true;
  }
  size_t n = 0;
  if ((b0 & 0xe0) == 0xc0) {
    n = 1;
    *cp = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    n = 2;
    *cp = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    n = 3;
    *cp = b0 & 0x07;
  } else {
    return false;
  }
  if (*i + n >= s.size()) return false;
  for (size_t k = 1; k <= n; ++k) {
    const auto b = static_cast<uint8_t>(s[*i + k]);
    if ((b & 0xc0) != 0x80) return false;
    *cp = (*cp << 6) | (b & 0x3f);
  }
  *i += n + 1;
  return true;
}

}  // namespace

base::Result<std::shared_ptr<const iam::PolicyDocument>> ValidateKeyPolicy(std::string_view text) {
  if (text.size() > kMaxKeyPolicyBytes) {
    return KmsStatus(KmsError::kLimitExceeded, "Key policy is larger than the maximum of " +
                                                   std::to_string(kMaxKeyPolicyBytes) + " bytes");
  }
  if (text.empty()) {
    return ValidationError(
        "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length "
        "greater than or equal to 1");
  }
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    if (!NextCodePoint(text, &i, &cp) || !(cp == 0x09 || cp == 0x0a || cp == 0x0d || (cp >= 0x20 && cp <= 0xff))) {
      return ValidationError(
          "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must satisfy "
          "regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
    }
  }
  auto parsed = iam::PolicyDocument::Parse(text, iam::PolicyKind::kResource);
  if (!parsed.ok()) return KmsStatus(KmsError::kMalformedPolicyDocument, parsed.status().message());
  return std::shared_ptr<const iam::PolicyDocument>(
      std::make_shared<const iam::PolicyDocument>(std::move(parsed).value()));
}

bool AllowsFuturePolicyUpdates(const iam::PolicyDocument& policy, const iam::RequestContext& put_key_policy) {
  const auto result = iam::EvaluateResourcePolicy(policy, put_key_policy);
  if (result.explicit_deny) return false;
  return result.allows_principal || result.allows_account;
}

}  // namespace kura::kms
