// KmsService: key lifecycle, rotation, key policy and tag operations (kms.md §6.1).
#include <algorithm>
#include <set>

#include "kms/identifiers.h"
#include "kms/key_policy.h"
#include "kms/kms_error.h"
#include "kms/kms_service.h"
#include "kms/kms_service_trace.h"
#include "kms/paging.h"

namespace kura::kms {

namespace {

constexpr int64_t kDay = 86400;
constexpr size_t kMaxDescription = 8192;

bool OneOf(std::string_view v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

base::Status EnumError(std::string_view member, std::string_view value, std::string_view values) {
  return ValidationError("1 validation error detected: Value '" + std::string(value) + "' at '" +
                         std::string(member) +
                         "' failed to satisfy constraint: Member must satisfy enum value set: [" +
                         std::string(values) + "]");
}

base::Status CheckDescription(const std::string& d) {
  if (d.size() > kMaxDescription) {
    return ValidationError("1 validation error detected: Value at 'description' failed to satisfy constraint: "
                           "Member must have length less than or equal to 8192");
  }
  return base::Status::Ok();
}

// Operations an AWS managed key refuses whatever the policy says (kms.md §3.1;
// the code is unconfirmed, its fixed policy normally denies first).
base::Status AwsManagedRefuses(const KeyRecord& key, std::string_view operation) {
  if (key.key_manager != KeyManager::kAws) return base::Status::Ok();
  return KmsStatus(KmsError::kUnsupportedOperation,
                   std::string(operation) + " is not supported for the AWS managed key " + key.arn + ".");
}

base::Status NotPendingDeletion(const KeyRecord& key) {
  if (key.state == KeyState::kPendingDeletion) return PendingDeletionError(key.arn);
  return base::Status::Ok();
}

}  // namespace

base::Status KmsService::ValidateTags(const std::vector<Tag>& tags) const {
  for (const auto& t : tags) {
    if (t.key.empty() || t.key.size() > 128) {
      return KmsStatus(KmsError::kTag, "Tag key must be between 1 and 128 characters long: '" + t.key + "'");
    }
    if (t.value.size() > 256) {
      return KmsStatus(KmsError::kTag, "Tag value must be at most 256 characters long for tag key '" + t.key + "'");
    }
    if (t.key.compare(0, 4, "aws:") == 0) {
      return KmsStatus(KmsError::kTag, "Tag keys beginning with 'aws:' are reserved: '" + t.key + "'");
    }
  }
  return base::Status::Ok();
}

base::Result<KeyMetadata> KmsService::CreateKey(const Caller& caller, const CreateKeyRequest& request) {
  Trace trace(this, caller, "CreateKey");
  return trace.Done([&]() -> base::Result<KeyMetadata> {
    KURA_RETURN_IF_ERROR(CheckRegion(caller));
    Authorization create = Authorization::Iam("kms:CreateKey");
    KURA_RETURN_IF_ERROR(Authorize(caller, create));
    if (!request.tags.empty()) {
      KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::Iam("kms:TagResource")));
    }
    KURA_RETURN_IF_ERROR(CheckDescription(request.description));
    if (!OneOf(request.key_usage, {"ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"})) {
      return EnumError("keyUsage", request.key_usage,
                       "SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT");
    }
    if (!OneOf(request.key_spec, {"SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256",
                                  "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "HMAC_224", "HMAC_256",
                                  "HMAC_384", "HMAC_512", "SM2"})) {
      return EnumError("keySpec", request.key_spec,
                       "RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, "
                       "ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2");
    }
    if (!OneOf(request.origin, {"AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"})) {
      return EnumError("origin", request.origin, "AWS_KMS, EXTERNAL, AWS_CLOUDHSM, EXTERNAL_KEY_STORE");
    }
    if (request.key_usage != kEncryptDecrypt || request.key_spec != kSymmetricDefault) {
      return KmsStatus(KmsError::kUnsupportedOperation,
                       "kura supports only SYMMETRIC_DEFAULT keys with key usage ENCRYPT_DECRYPT");
    }
    if (request.origin != kOriginAwsKms) {
      return KmsStatus(KmsError::kUnsupportedOperation, "kura supports only keys of origin AWS_KMS");
    }
    if (request.multi_region) {
      return KmsStatus(KmsError::kUnsupportedOperation, "kura does not support multi-Region keys");
    }
    KURA_RETURN_IF_ERROR(ValidateTags(request.tags));
    if (request.tags.size() > static_cast<size_t>(kMaxTagsPerKey)) {
      return KmsStatus(KmsError::kLimitExceeded, "A key can have at most 50 tags");
    }

    std::string policy = DefaultKeyPolicy(caller.principal.account_id);
    KURA_ASSIGN_OR_RETURN(auto key, NewKeyRecord(caller, KeyManager::kCustomer, request.description, ""));
    if (request.policy) {
      KURA_ASSIGN_OR_RETURN(auto doc, ValidateKeyPolicy(*request.policy));
      if (!request.bypass_policy_lockout_safety_check) {
        const auto ctx = authorizer_.Context(caller, Authorization::OnKey("kms:PutKeyPolicy", key));
        if (!AllowsFuturePolicyUpdates(*doc, ctx)) {
          return KmsStatus(KmsError::kMalformedPolicyDocument, std::string(kLockoutMessage));
        }
      }
      policy = *request.policy;
    }
    key.policy = std::move(policy);

    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(int64_t count, store_.CountCustomerKeys(key.account_id, key.region));
    if (count >= kMaxCustomerKeysPerRegion) {
      return KmsStatus(KmsError::kLimitExceeded,
                       "The request was rejected because a quota was exceeded: customer managed keys per Region");
    }
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    KURA_RETURN_IF_ERROR(InsertNewKey(*txn, key, key.created_at));
    for (const auto& tag : request.tags) KURA_RETURN_IF_ERROR(store_.PutTag(*txn, key.arn, tag));
    KURA_RETURN_IF_ERROR(txn->Commit());
    trace.SetKey(key.arn);
    return Metadata(key);
  }());
}

base::Result<KeyMetadata> KmsService::DescribeKey(const Caller& caller, const std::string& key_id,
                                                  const std::vector<std::string>& grant_tokens) {
  Trace trace(this, caller, "DescribeKey");
  return trace.Done([&]() -> base::Result<KeyMetadata> {
    KURA_RETURN_IF_ERROR(ValidateTokens(grant_tokens));
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, true));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(
        caller, Authorization::OnKey("kms:DescribeKey", r.key).ByGrant(GrantOperation::kDescribeKey).ViaAlias(r.alias_name)));
    return Metadata(r.key);
  }());
}

base::Result<Page<KeyListEntry>> KmsService::ListKeys(const Caller& caller, const PageRequest& page) {
  Trace trace(this, caller, "ListKeys");
  return trace.Done([&]() -> base::Result<Page<KeyListEntry>> {
    KURA_RETURN_IF_ERROR(CheckRegion(caller));
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::Iam("kms:ListKeys")));
    KURA_ASSIGN_OR_RETURN(int limit, PageLimit(page, 100, 1000));
    KURA_ASSIGN_OR_RETURN(std::string after, PageStart(page, "keys"));
    KURA_ASSIGN_OR_RETURN(auto keys, store_.ListKeys(caller.principal.account_id, caller.region, after, limit + 1));
    std::vector<KeyListEntry> rows;
    for (const auto& k : keys) rows.push_back(KeyListEntry{k.key_id, k.arn});
    return MakePage(std::move(rows), limit, "keys", [](const KeyListEntry& e) { return e.key_id; });
  }());
}

base::Status KmsService::SetEnabled(const Caller& caller, const std::string& key_id, bool enabled, Trace& trace) {
  std::lock_guard lock(mu_);
  KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
  trace.SetKey(r.key.arn);
  KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey(enabled ? "kms:EnableKey" : "kms:DisableKey", r.key)));
  KURA_RETURN_IF_ERROR(NotPendingDeletion(r.key));
  KURA_RETURN_IF_ERROR(AwsManagedRefuses(r.key, enabled ? "EnableKey" : "DisableKey"));
  const KeyState target = enabled ? KeyState::kEnabled : KeyState::kDisabled;
  if (r.key.state == target) return base::Status::Ok();
  r.key.state = target;
  KURA_ASSIGN_OR_RETURN(auto txn, Begin());
  KURA_RETURN_IF_ERROR(store_.UpdateKey(*txn, r.key));
  return txn->Commit();
}

base::Status KmsService::EnableKey(const Caller& caller, const std::string& key_id) {
  Trace trace(this, caller, "EnableKey");
  return trace.Done(SetEnabled(caller, key_id, true, trace));
}

base::Status KmsService::DisableKey(const Caller& caller, const std::string& key_id) {
  Trace trace(this, caller, "DisableKey");
  return trace.Done(SetEnabled(caller, key_id, false, trace));
}

base::Result<DeletionSchedule> KmsService::ScheduleKeyDeletion(const Caller& caller, const std::string& key_id,
                                                               std::optional<int> pending_window_in_days) {
  Trace trace(this, caller, "ScheduleKeyDeletion");
  return trace.Done([&]() -> base::Result<DeletionSchedule> {
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:ScheduleKeyDeletion", r.key)));
    KURA_RETURN_IF_ERROR(NotPendingDeletion(r.key));
    KURA_RETURN_IF_ERROR(AwsManagedRefuses(r.key, "ScheduleKeyDeletion"));
    const int days = pending_window_in_days.value_or(30);
    if (days < 7) {
      return ValidationError("1 validation error detected: Value '" + std::to_string(days) +
                             "' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value "
                             "greater than or equal to 7");
    }
    if (days > 30) {
      return ValidationError("1 validation error detected: Value '" + std::to_string(days) +
                             "' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less "
                             "than or equal to 30");
    }
    const int64_t now = Now();
    r.key.state = KeyState::kPendingDeletion;
    r.key.deletion_date = now + int64_t{days} * kDay;
    r.key.pending_window_days = days;
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    KURA_RETURN_IF_ERROR(store_.UpdateKey(*txn, r.key));
    KURA_RETURN_IF_ERROR(meter_.DeletionScheduled(*txn, r.key.arn, now));
    KURA_RETURN_IF_ERROR(txn->Commit());
    return DeletionSchedule{r.key.arn, *r.key.deletion_date, KeyState::kPendingDeletion, days};
  }());
}

base::Result<std::string> KmsService::CancelKeyDeletion(const Caller& caller, const std::string& key_id) {
  Trace trace(this, caller, "CancelKeyDeletion");
  return trace.Done([&]() -> base::Result<std::string> {
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:CancelKeyDeletion", r.key)));
    if (r.key.state != KeyState::kPendingDeletion) return NotPendingDeletionError(r.key.arn);
    r.key.state = KeyState::kDisabled;
    r.key.deletion_date.reset();
    r.key.pending_window_days.reset();
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    KURA_RETURN_IF_ERROR(store_.UpdateKey(*txn, r.key));
    KURA_RETURN_IF_ERROR(meter_.DeletionCancelled(*txn, r.key.arn));
    KURA_RETURN_IF_ERROR(txn->Commit());
    return r.key.arn;
  }());
}

base::Status KmsService::UpdateKeyDescription(const Caller& caller, const std::string& key_id,
                                              const std::string& description) {
  Trace trace(this, caller, "UpdateKeyDescription");
  return trace.Done([&]() -> base::Status {
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:UpdateKeyDescription", r.key)));
    KURA_RETURN_IF_ERROR(NotPendingDeletion(r.key));
    KURA_RETURN_IF_ERROR(AwsManagedRefuses(r.key, "UpdateKeyDescription"));
    KURA_RETURN_IF_ERROR(CheckDescription(description));
    r.key.description = description;
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    KURA_RETURN_IF_ERROR(store_.UpdateKey(*txn, r.key));
    return txn->Commit();
  }());
}

base::Status KmsService::SetRotation(const Caller& caller, const std::string& key_id, bool enabled,
                                     std::optional<int> period, Trace& trace) {
  std::lock_guard lock(mu_);
  KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
  trace.SetKey(r.key.arn);
  KURA_RETURN_IF_ERROR(Authorize(
      caller, Authorization::OnKey(enabled ? "kms:EnableKeyRotation" : "kms:DisableKeyRotation", r.key)));
  if (r.key.state == KeyState::kDisabled) return DisabledError(r.key.arn);
  KURA_RETURN_IF_ERROR(NotPendingDeletion(r.key));
  KURA_RETURN_IF_ERROR(AwsManagedRefuses(r.key, enabled ? "EnableKeyRotation" : "DisableKeyRotation"));
  if (enabled) {
    const int days = period.value_or(365);
    if (days < 90 || days > 2560) {
      return ValidationError("1 validation error detected: Value '" + std::to_string(days) +
                             "' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value " +
                             (days < 90 ? "greater than or equal to 90" : "less than or equal to 2560"));
    }
    if (r.key.rotation_enabled && r.key.rotation_period_days == days && r.key.next_rotation_at) {
      return base::Status::Ok();
    }
    r.key.rotation_enabled = true;
    r.key.rotation_period_days = days;
    r.key.next_rotation_at = Now() + int64_t{days} * kDay;
  } else {
    r.key.rotation_enabled = false;
    r.key.next_rotation_at.reset();
  }
  KURA_ASSIGN_OR_RETURN(auto txn, Begin());
  KURA_RETURN_IF_ERROR(store_.UpdateKey(*txn, r.key));
  return txn->Commit();
}

base::Status KmsService::EnableKeyRotation(const Caller& caller, const std::string& key_id,
                                           std::optional<int> rotation_period_in_days) {
  Trace trace(this, caller, "EnableKeyRotation");
  return trace.Done(SetRotation(caller, key_id, true, rotation_period_in_days, trace));
}

base::Status KmsService::DisableKeyRotation(const Caller& caller, const std::string& key_id) {
  Trace trace(this, caller, "DisableKeyRotation");
  return trace.Done(SetRotation(caller, key_id, false, std::nullopt, trace));
}

base::Result<RotationStatus> KmsService::GetKeyRotationStatus(const Caller& caller, const std::string& key_id) {
  Trace trace(this, caller, "GetKeyRotationStatus");
  return trace.Done([&]() -> base::Result<RotationStatus> {
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:GetKeyRotationStatus", r.key)));
    RotationStatus s;
    s.key_arn = r.key.arn;
    s.key_rotation_enabled = r.key.rotation_enabled && r.key.state != KeyState::kPendingDeletion;
    if (s.key_rotation_enabled) {
      s.rotation_period_in_days = r.key.rotation_period_days;
      s.next_rotation_date = r.key.next_rotation_at;
    }
    return s;
  }());
}

base::Result<std::string> KmsService::RotateKeyOnDemand(const Caller& caller, const std::string& key_id) {
  Trace trace(this, caller, "RotateKeyOnDemand");
  return trace.Done([&]() -> base::Result<std::string> {
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:RotateKeyOnDemand", r.key)));
    if (r.key.state == KeyState::kDisabled) return DisabledError(r.key.arn);
    KURA_RETURN_IF_ERROR(NotPendingDeletion(r.key));
    KURA_RETURN_IF_ERROR(AwsManagedRefuses(r.key, "RotateKeyOnDemand"));
    if (r.key.on_demand_rotations >= kMaxOnDemandRotations) {
      return KmsStatus(KmsError::kLimitExceeded, "The on-demand rotation quota of " +
                                                     std::to_string(kMaxOnDemandRotations) + " for " + r.key.arn +
                                                     " has been reached.");
    }
    KURA_RETURN_IF_ERROR(RotateNow(r.key, Now(), true));
    return r.key.arn;
  }());
}

base::Result<std::string> KmsService::GetKeyPolicy(const Caller& caller, const std::string& key_id,
                                                   const std::string& policy_name) {
  Trace trace(this, caller, "GetKeyPolicy");
  return trace.Done([&]() -> base::Result<std::string> {
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:GetKeyPolicy", r.key)));
    if (!policy_name.empty() && policy_name != kDefaultPolicyName) {
      return KmsStatus(KmsError::kNotFound, "No such policy exists: " + policy_name);
    }
    return r.key.policy;
  }());
}

base::Status KmsService::PutKeyPolicy(const Caller& caller, const std::string& key_id, const std::string& policy_name,
                                      const std::string& policy, bool bypass_policy_lockout_safety_check) {
  Trace trace(this, caller, "PutKeyPolicy");
  return trace.Done([&]() -> base::Status {
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:PutKeyPolicy", r.key)));
    KURA_RETURN_IF_ERROR(AwsManagedRefuses(r.key, "PutKeyPolicy"));
    if (!policy_name.empty() && policy_name != kDefaultPolicyName) {
      return KmsStatus(KmsError::kNotFound, "No such policy exists: " + policy_name);
    }
    KURA_ASSIGN_OR_RETURN(auto doc, ValidateKeyPolicy(policy));
    if (!bypass_policy_lockout_safety_check) {
      const auto ctx = authorizer_.Context(caller, Authorization::OnKey("kms:PutKeyPolicy", r.key));
      if (!AllowsFuturePolicyUpdates(*doc, ctx)) {
        return KmsStatus(KmsError::kMalformedPolicyDocument, std::string(kLockoutMessage));
      }
    }
    r.key.policy = policy;
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    KURA_RETURN_IF_ERROR(store_.UpdateKey(*txn, r.key));
    KURA_RETURN_IF_ERROR(txn->Commit());
    authorizer_.Forget(r.key.arn);
    return base::Status::Ok();
  }());
}

base::Result<Page<std::string>> KmsService::ListKeyPolicies(const Caller& caller, const std::string& key_id,
                                                            const PageRequest& page) {
  Trace trace(this, caller, "ListKeyPolicies");
  return trace.Done([&]() -> base::Result<Page<std::string>> {
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:ListKeyPolicies", r.key)));
    KURA_ASSIGN_OR_RETURN(int limit, PageLimit(page, 100, 1000));
    KURA_ASSIGN_OR_RETURN(std::string after, PageStart(page, "policies"));
    std::vector<std::string> names;
    if (after < kDefaultPolicyName) names.emplace_back(kDefaultPolicyName);
    return MakePage(std::move(names), limit, "policies", [](const std::string& n) { return n; });
  }());
}

base::Status KmsService::TagResource(const Caller& caller, const std::string& key_id, const std::vector<Tag>& tags) {
  Trace trace(this, caller, "TagResource");
  return trace.Done([&]() -> base::Status {
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:TagResource", r.key)));
    KURA_RETURN_IF_ERROR(NotPendingDeletion(r.key));
    KURA_RETURN_IF_ERROR(AwsManagedRefuses(r.key, "TagResource"));
    KURA_RETURN_IF_ERROR(ValidateTags(tags));
    KURA_ASSIGN_OR_RETURN(auto existing, store_.AllTags(r.key.arn));
    std::set<std::string> keys;
    for (const auto& t : existing) keys.insert(t.key);
    for (const auto& t : tags) keys.insert(t.key);
    if (keys.size() > static_cast<size_t>(kMaxTagsPerKey)) {
      return KmsStatus(KmsError::kLimitExceeded, "A key can have at most 50 tags");
    }
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    for (const auto& t : tags) KURA_RETURN_IF_ERROR(store_.PutTag(*txn, r.key.arn, t));
    return txn->Commit();
  }());
}

base::Status KmsService::UntagResource(const Caller& caller, const std::string& key_id,
                                       const std::vector<std::string>& tag_keys) {
  Trace trace(this, caller, "UntagResource");
  return trace.Done([&]() -> base::Status {
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:UntagResource", r.key)));
    KURA_RETURN_IF_ERROR(NotPendingDeletion(r.key));
    KURA_RETURN_IF_ERROR(AwsManagedRefuses(r.key, "UntagResource"));
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    for (const auto& k : tag_keys) KURA_RETURN_IF_ERROR(store_.DeleteTag(*txn, r.key.arn, k));
    return txn->Commit();
  }());
}

base::Result<Page<Tag>> KmsService::ListResourceTags(const Caller& caller, const std::string& key_id,
                                                     const PageRequest& page) {
  Trace trace(this, caller, "ListResourceTags");
  return trace.Done([&]() -> base::Result<Page<Tag>> {
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:ListResourceTags", r.key)));
    KURA_ASSIGN_OR_RETURN(int limit, PageLimit(page, 50, 50));
    KURA_ASSIGN_OR_RETURN(std::string after, PageStart(page, "tags"));
    KURA_ASSIGN_OR_RETURN(auto tags, store_.ListTags(r.key.arn, after, limit + 1));
    return MakePage(std::move(tags), limit, "tags", [](const Tag& t) { return t.key; });
  }());
}

}  // namespace kura::kms
