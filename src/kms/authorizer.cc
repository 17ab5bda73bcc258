#include "kms/authorizer.h"

#include <array>

#include "kms/grants.h"
#include "kms/kms_error.h"

namespace kura::kms {

namespace {

constexpr std::array<std::string_view, 19> kCrossAccountActions = {
    "kms:Encrypt",         "kms:Decrypt",         "kms:ReEncryptFrom",
    "kms:ReEncryptTo",     "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateMac",
    "kms:VerifyMac",       "kms:Sign",            "kms:Verify",
    "kms:CreateGrant",     "kms:DescribeKey",     "kms:GetKeyRotationStatus",
    "kms:GetPublicKey",    "kms:ListGrants",      "kms:RetireGrant",
    "kms:RevokeGrant",
};

constexpr std::string_view kNoResourcePolicy = "no resource-based policy allows the ";
constexpr std::string_view kNoIdentityPolicy = "no identity-based policy allows the ";

constexpr size_t kMaxCachedPolicies = 4096;

bool IsGrantAction(std::string_view action) {
  return action == "kms:CreateGrant" || action == "kms:ListGrants" || action == "kms:RevokeGrant";
}

}  // namespace

base::Status AccessDenied(const iam::Principal& principal, std::string_view action, std::string_view resource,
                          std::string_view reason) {
  std::string msg = "User: " + principal.arn + " is not authorized to perform: " + std::string(action) +
                    " on resource: " + std::string(resource);
  if (reason.substr(0, 4) == "with") {
    msg += " " + std::string(reason);
  } else {
    msg += " because " + std::string(reason) + std::string(action) + " action";
  }
  return KmsStatus(KmsError::kAccessDenied, std::move(msg));
}

Authorization Authorization::Iam(std::string action, std::string resource) {
  Authorization a;
  a.action = std::move(action);
  a.resource = std::move(resource);
  return a;
}

Authorization Authorization::OnKey(std::string action, const KeyRecord& key) {
  Authorization a;
  a.action = std::move(action);
  a.key = &key;
  return a;
}

Authorizer::Authorizer(IdentityPoliciesFn identity_policies, GrantSourceFn grants)
    : identity_policies_(std::move(identity_policies)), grants_(std::move(grants)) {}

bool Authorizer::CrossAccountCapable(std::string_view action) {
  for (auto a : kCrossAccountActions) {
    if (a == action) return true;
  }
  return false;
}

iam::RequestContext Authorizer::Context(const Caller& caller, const Authorization& request) const {
  iam::RequestContext ctx;
  ctx.action = request.action;
  ctx.resource = request.key ? request.key->arn : request.resource;
  ctx.principal = caller.principal;
  auto& c = ctx.conditions;
  c["aws:PrincipalAccount"] = {caller.principal.account_id};
  c["aws:PrincipalArn"] = {caller.principal.arn};
  c["kms:CallerAccount"] = {caller.principal.account_id};
  if (!caller.via_service.empty()) c["kms:ViaService"] = {caller.via_service};
  if (IsGrantAction(request.action)) {
    c["kms:GrantIsForAWSResource"] = {caller.grant_is_for_aws_resource ? "true" : "false"};
  }
  if (request.context) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : *request.context) {
      c["kms:EncryptionContext:" + k] = {v};
      keys.push_back(k);
    }
    if (!keys.empty()) c["kms:EncryptionContextKeys"] = std::move(keys);
  }
  if (request.key) {
    c["kms:KeyOrigin"] = {request.key->origin};
    c["kms:KeySpec"] = {request.key->key_spec};
    c["kms:KeyUsage"] = {request.key->key_usage};
  }
  if (!request.request_alias.empty()) c["kms:RequestAlias"] = {request.request_alias};
  for (const auto& [k, v] : request.conditions) c[k] = v;
  return ctx;
}

base::Result<iam::Decision> Authorizer::IdentityDecision(const iam::RequestContext& context) {
  const iam::Principal& p = context.principal;
  std::vector<std::shared_ptr<const iam::PolicyDocument>> docs;
  if (!p.is_root() && identity_policies_) {
    auto policies = identity_policies_(p);
    if (policies.ok()) {
      docs = std::move(policies).value();
    } else if (policies.status().code() != base::StatusCode::kNotFound) {
      return KmsStatus(KmsError::kInternal, "cannot read IAM policies: " + policies.status().message());
    }
  }
  std::vector<const iam::PolicyDocument*> raw;
  raw.reserve(docs.size());
  for (const auto& d : docs) raw.push_back(d.get());
  iam::Decision d = raw.empty() ? iam::Decision::kImplicitDeny : iam::EvaluateIdentityPolicies(raw, context);
  if (p.is_root() && d == iam::Decision::kImplicitDeny) d = iam::Decision::kAllow;
  return d;
}

base::Result<std::shared_ptr<const iam::PolicyDocument>> Authorizer::KeyPolicy(const KeyRecord& key) {
  {
    std::lock_guard lock(mu_);
    auto it = policies_.find(key.arn);
    if (it != policies_.end() && it->second.first == key.policy) return it->second.second;
  }
  auto parsed = iam::PolicyDocument::Parse(key.policy, iam::PolicyKind::kResource);
  if (!parsed.ok()) {
    return KmsStatus(KmsError::kInternal, "stored policy of " + key.arn + " does not parse: " +
                                              parsed.status().message());
  }
  auto doc = std::make_shared<const iam::PolicyDocument>(std::move(parsed).value());
  std::lock_guard lock(mu_);
  if (policies_.size() >= kMaxCachedPolicies) policies_.clear();
  policies_[key.arn] = {key.policy, doc};
  return std::shared_ptr<const iam::PolicyDocument>(doc);
}

void Authorizer::Forget(const std::string& key_arn) {
  std::lock_guard lock(mu_);
  policies_.erase(key_arn);
}

void Authorizer::ForgetAll() {
  std::lock_guard lock(mu_);
  policies_.clear();
}

base::Status Authorizer::Authorize(const Caller& caller, const Authorization& request) {
  const iam::RequestContext ctx = Context(caller, request);
  const std::string& resource = ctx.resource;
  KURA_ASSIGN_OR_RETURN(const iam::Decision identity, IdentityDecision(ctx));
  if (identity == iam::Decision::kExplicitDeny) {
    return AccessDenied(caller.principal, request.action, resource, "with an explicit deny in an identity-based policy");
  }
  if (!request.key) {
    // IAM-only action (CreateKey, ListKeys, ListAliases, ListRetirableGrants, alias resources).
    if (identity == iam::Decision::kAllow) return base::Status::Ok();
    return AccessDenied(caller.principal, request.action, resource, kNoIdentityPolicy);
  }
  const KeyRecord& key = *request.key;
  KURA_ASSIGN_OR_RETURN(auto policy, KeyPolicy(key));
  const iam::ResourcePolicyResult rp = iam::EvaluateResourcePolicy(*policy, ctx);
  if (rp.explicit_deny) {
    return AccessDenied(caller.principal, request.action, resource, "with an explicit deny in a resource-based policy");
  }
  const bool same_account = caller.principal.account_id == key.account_id;
  const bool iam_allows = identity == iam::Decision::kAllow;
  if (same_account) {
    if (rp.allows_principal || (rp.allows_account && iam_allows)) return base::Status::Ok();
  } else if (CrossAccountCapable(request.action)) {
    // Both sides are needed across accounts: the key policy names the caller
    // or its account, and the caller's own IAM policy allows the action.
    if ((rp.allows_principal || rp.allows_account) && iam_allows) return base::Status::Ok();
  }
  if (request.grant_operation && grants_) {
    KURA_ASSIGN_OR_RETURN(auto grants, grants_(key.arn, caller.principal));
    static const EncryptionContext kEmpty;
    const EncryptionContext& ec = request.context ? *request.context : kEmpty;
    for (const auto& g : grants) {
      if (GrantAllows(g, *request.grant_operation, ec) && (!request.grant_filter || request.grant_filter(g))) {
        return base::Status::Ok();
      }
    }
  }
  const bool policy_named_caller = rp.allows_principal || rp.allows_account;
  return AccessDenied(caller.principal, request.action, resource,
                      policy_named_caller && (same_account || CrossAccountCapable(request.action))
                          ? kNoIdentityPolicy
                          : kNoResourcePolicy);
}

}  // namespace kura::kms
