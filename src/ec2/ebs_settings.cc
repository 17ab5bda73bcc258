// Encryption by default and the default KMS key, per account and region
// (ec2-api.md §6.3, ebs-kms-flows.md §4). They only shape what new volumes
// and copies get (key_resolution.h); existing resources never change.
#include <cctype>

#include "ec2/data_keys.h"
#include "ec2/ec2_service.h"
#include "ec2/key_resolution.h"

namespace kura::ec2 {

namespace {

// Plausible KMS key identifiers: a key id (UUID or mrk-…), an alias name, or
// a key/alias ARN. Anything else cannot name a key and is refused at once.
bool LooksLikeKeyId(const std::string& id) {
  if (id.empty() || id.size() > 2048) return false;
  if (id.rfind("alias/", 0) == 0 || id.rfind("arn:", 0) == 0 || id.rfind("mrk-", 0) == 0) return true;
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

base::Result<bool> Ec2Service::SetEbsEncryptionByDefault(const Caller& caller, bool enabled) {
  KURA_RETURN_IF_ERROR(
      Authorize(caller, enabled ? "ec2:EnableEbsEncryptionByDefault" : "ec2:DisableEbsEncryptionByDefault", {}));
  std::lock_guard lock(mu_);
  SettingsRecord record{caller.principal.account_id, caller.region, SettingsOf(caller.principal.account_id, caller.region)};
  record.settings.encryption_by_default = enabled;
  KURA_RETURN_IF_ERROR(store_->Put(std::move(record)));
  return enabled;
}

base::Result<bool> Ec2Service::GetEbsEncryptionByDefault(const Caller& caller) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:GetEbsEncryptionByDefault", {}));
  std::lock_guard lock(mu_);
  return SettingsOf(caller.principal.account_id, caller.region).encryption_by_default;
}

base::Result<std::string> Ec2Service::GetEbsDefaultKmsKeyId(const Caller& caller) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:GetEbsDefaultKmsKeyId", {}));
  std::lock_guard lock(mu_);
  return DefaultKeyOf(SettingsOf(caller.principal.account_id, caller.region));
}

base::Result<std::string> Ec2Service::ModifyEbsDefaultKmsKeyId(const Caller& caller, const std::string& kms_key_id) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:ModifyEbsDefaultKmsKeyId", {}));
  if (kms_key_id.empty()) {
    return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter KmsKeyId");
  }
  if (!LooksLikeKeyId(kms_key_id)) {
    return Ec2Status(Ec2Error::kInvalidParameterValue, "Invalid KMS key ID: " + kms_key_id);
  }
  // AWS checks the key later (an unusable default key makes launches fail),
  // so a key that does not resolve now is kept as given; one that does is
  // stored as its ARN, which is what Get and the response show.
  auto resolved = data_keys_->Describe(caller, kms_key_id);
  const std::string stored = resolved.ok() ? resolved->arn : kms_key_id;
  std::lock_guard lock(mu_);
  SettingsRecord record{caller.principal.account_id, caller.region, SettingsOf(caller.principal.account_id, caller.region)};
  record.settings.default_kms_key_arn = stored;
  KURA_RETURN_IF_ERROR(store_->Put(std::move(record)));
  return stored;
}

base::Result<std::string> Ec2Service::ResetEbsDefaultKmsKeyId(const Caller& caller) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:ResetEbsDefaultKmsKeyId", {}));
  // The answer is the aws/ebs key's ARN: KMS creates the key on first use.
  KURA_ASSIGN_OR_RETURN(auto aws_ebs, data_keys_->Describe(caller, kAwsEbsAlias));
  std::lock_guard lock(mu_);
  SettingsRecord record{caller.principal.account_id, caller.region, SettingsOf(caller.principal.account_id, caller.region)};
  record.settings.default_kms_key_arn.clear();
  KURA_RETURN_IF_ERROR(store_->Put(std::move(record)));
  return aws_ebs.arn;
}

}  // namespace kura::ec2
