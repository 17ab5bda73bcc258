// KmsService: alias operations (kms.md §6.2).
#include <algorithm>
#include <cctype>

#include "kms/identifiers.h"
#include "kms/key_policy.h"
#include "kms/kms_error.h"
#include "kms/kms_service.h"
#include "kms/kms_service_trace.h"
#include "kms/paging.h"

namespace kura::kms {

namespace {

constexpr std::string_view kReservedPrefix = "alias/aws/";

// Syntax of a customer alias name; NotAuthorized for the reserved prefix.
base::Status CheckAliasName(const std::string& name) {
  if (name.compare(0, 6, "alias/") != 0) {
    return ValidationError(
        "Alias must start with the prefix \"alias/\". Please see "
        "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
  }
  bool pattern_ok = name.size() > 6 && name.size() <= 256;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '/' || c == '_' || c == '-')) {
      pattern_ok = false;
    }
  }
  if (!pattern_ok) {
    return ValidationError("1 validation error detected: Value '" + name +
                           "' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression "
                           "pattern: ^[a-zA-Z0-9:/_-]+$");
  }
  if (name.compare(0, kReservedPrefix.size(), kReservedPrefix) == 0) {
    return KmsStatus(KmsError::kNotAuthorized,
                     "Alias names that begin with alias/aws/ are reserved for AWS managed keys: " + name);
  }
  return base::Status::Ok();
}

base::Status AliasNotFound(const Caller& caller, const std::string& name) {
  return KmsStatus(KmsError::kNotFound,
                   "Alias " + AliasArn(caller.region, caller.principal.account_id, name) + " is not found.");
}

// Aliases live in the caller's account: a target in another account is not found there.
base::Status SameAccount(const Caller& caller, const KeyRecord& key) {
  if (key.account_id == caller.principal.account_id) return base::Status::Ok();
  return KeyDoesNotExistError(KeyArn(caller.region, caller.principal.account_id, key.key_id));
}

base::Status TargetUsable(const KeyRecord& key) {
  if (key.state == KeyState::kPendingDeletion) return PendingDeletionError(key.arn);
  if (key.key_manager == KeyManager::kAws) {
    return KmsStatus(KmsError::kNotAuthorized, "An alias cannot point to the AWS managed key " + key.arn);
  }
  return base::Status::Ok();
}

AliasEntry EntryOf(const AliasRecord& a) {
  AliasEntry e;
  e.alias_name = a.alias_name;
  e.alias_arn = AliasArn(a.region, a.account_id, a.alias_name);
  const size_t slash = a.target_key_arn.rfind('/');
  e.target_key_id = a.target_key_arn.substr(slash + 1);
  e.creation_date = a.created_at;
  e.last_updated_date = a.updated_at;
  return e;
}

}  // namespace

base::Status KmsService::CreateAlias(const Caller& caller, const std::string& alias_name,
                                     const std::string& target_key_id) {
  Trace trace(this, caller, "CreateAlias");
  return trace.Done([&]() -> base::Status {
    KURA_RETURN_IF_ERROR(CheckRegion(caller));
    KURA_RETURN_IF_ERROR(CheckAliasName(alias_name));
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, target_key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(SameAccount(caller, r.key));
    const std::string alias_arn = AliasArn(caller.region, caller.principal.account_id, alias_name);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::Iam("kms:CreateAlias", alias_arn)));
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:CreateAlias", r.key)));
    KURA_RETURN_IF_ERROR(TargetUsable(r.key));
    KURA_ASSIGN_OR_RETURN(auto existing, store_.FindAlias(caller.principal.account_id, caller.region, alias_name));
    if (existing) {
      return KmsStatus(KmsError::kAlreadyExists, "An alias with the name " + alias_arn + " already exists");
    }
    KURA_ASSIGN_OR_RETURN(int64_t count, store_.CountAliases(r.key.arn));
    if (count >= kMaxAliasesPerKey) {
      return KmsStatus(KmsError::kLimitExceeded, "A key can have at most 50 aliases: " + r.key.arn);
    }
    const int64_t now = Now();
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    KURA_RETURN_IF_ERROR(store_.InsertAlias(
        *txn, AliasRecord{caller.principal.account_id, caller.region, alias_name, r.key.arn, now, now}));
    return txn->Commit();
  }());
}

base::Status KmsService::UpdateAlias(const Caller& caller, const std::string& alias_name,
                                     const std::string& target_key_id) {
  Trace trace(this, caller, "UpdateAlias");
  return trace.Done([&]() -> base::Status {
    KURA_RETURN_IF_ERROR(CheckRegion(caller));
    KURA_RETURN_IF_ERROR(CheckAliasName(alias_name));
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto alias, store_.FindAlias(caller.principal.account_id, caller.region, alias_name));
    if (!alias) return AliasNotFound(caller, alias_name);
    KURA_ASSIGN_OR_RETURN(auto old_key, LoadKey(alias->target_key_arn));
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, target_key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(SameAccount(caller, r.key));
    const std::string alias_arn = AliasArn(caller.region, caller.principal.account_id, alias_name);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::Iam("kms:UpdateAlias", alias_arn)));
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:UpdateAlias", old_key)));
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:UpdateAlias", r.key)));
    KURA_RETURN_IF_ERROR(TargetUsable(r.key));
    KURA_ASSIGN_OR_RETURN(int64_t count, store_.CountAliases(r.key.arn));
    if (r.key.arn != old_key.arn && count >= kMaxAliasesPerKey) {
      return KmsStatus(KmsError::kLimitExceeded, "A key can have at most 50 aliases: " + r.key.arn);
    }
    alias->target_key_arn = r.key.arn;
    alias->updated_at = Now();
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    KURA_RETURN_IF_ERROR(store_.RetargetAlias(*txn, *alias));
    return txn->Commit();
  }());
}

base::Status KmsService::DeleteAlias(const Caller& caller, const std::string& alias_name) {
  Trace trace(this, caller, "DeleteAlias");
  return trace.Done([&]() -> base::Status {
    KURA_RETURN_IF_ERROR(CheckRegion(caller));
    KURA_RETURN_IF_ERROR(CheckAliasName(alias_name));
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto alias, store_.FindAlias(caller.principal.account_id, caller.region, alias_name));
    if (!alias) return AliasNotFound(caller, alias_name);
    KURA_ASSIGN_OR_RETURN(auto key, LoadKey(alias->target_key_arn));
    trace.SetKey(key.arn);
    const std::string alias_arn = AliasArn(caller.region, caller.principal.account_id, alias_name);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::Iam("kms:DeleteAlias", alias_arn)));
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:DeleteAlias", key)));
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    KURA_RETURN_IF_ERROR(store_.DeleteAlias(*txn, caller.principal.account_id, caller.region, alias_name));
    return txn->Commit();
  }());
}

base::Result<Page<AliasEntry>> KmsService::ListAliases(const Caller& caller, const std::optional<std::string>& key_id,
                                                       const PageRequest& page) {
  Trace trace(this, caller, "ListAliases");
  return trace.Done([&]() -> base::Result<Page<AliasEntry>> {
    KURA_RETURN_IF_ERROR(CheckRegion(caller));
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::Iam("kms:ListAliases")));
    std::string target;
    if (key_id) {
      KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, *key_id, false));
      trace.SetKey(r.key.arn);
      target = r.key.arn;
    }
    KURA_ASSIGN_OR_RETURN(int limit, PageLimit(page, 50, 100));
    KURA_ASSIGN_OR_RETURN(std::string after, PageStart(page, "aliases"));
    const std::string& account = caller.principal.account_id;
    KURA_ASSIGN_OR_RETURN(auto rows, store_.ListAliases(account, caller.region, after, limit + 1, target));
    std::vector<AliasEntry> entries;
    for (const auto& a : rows) entries.push_back(EntryOf(a));
    // The predefined alias/aws/ebs is listed (without a target) before its key exists.
    const std::string ebs(kAwsEbsAlias);
    if (target.empty() && ebs > after) {
      KURA_ASSIGN_OR_RETURN(auto exists, store_.FindAlias(account, caller.region, ebs));
      if (!exists) {
        AliasEntry predefined;
        predefined.alias_name = ebs;
        predefined.alias_arn = AliasArn(caller.region, account, ebs);
        auto pos = std::lower_bound(entries.begin(), entries.end(), ebs,
                                    [](const AliasEntry& e, const std::string& n) { return e.alias_name < n; });
        entries.insert(pos, std::move(predefined));
      }
    }
    return MakePage(std::move(entries), limit, "aliases", [](const AliasEntry& e) { return e.alias_name; });
  }());
}

}  // namespace kura::kms
