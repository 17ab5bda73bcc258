// KmsService: grant operations (kms.md §6.4).
#include <cctype>

#include "kms/grants.h"
#include "kms/identifiers.h"
#include "kms/kms_error.h"
#include "kms/kms_service.h"
#include "kms/kms_service_trace.h"
#include "kms/paging.h"

namespace kura::kms {

namespace {

base::Status CheckPrincipalString(const std::string& value, const std::string& member) {
  bool ok = !value.empty() && value.size() <= 256;
  for (char c : value) {
    const bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!(word || c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == ':' || c == '/' || c == '-')) {
      ok = false;
    }
  }
  if (ok) return base::Status::Ok();
  return ValidationError("1 validation error detected: Value '" + value + "' at '" + member +
                         "' failed to satisfy constraint: Member must satisfy regular expression pattern: "
                         "^[\\w+=,.@:/-]+$");
}

base::Status CheckGrantName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 256;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '/' || c == '_' || c == '-')) ok = false;
  }
  if (ok) return base::Status::Ok();
  return ValidationError("1 validation error detected: Value '" + name +
                         "' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: "
                         "^[a-zA-Z0-9:/_-]+$");
}

base::Status CheckConstraintMap(const std::optional<EncryptionContext>& ctx, const std::string& member) {
  if (!ctx) return base::Status::Ok();
  if (ctx->size() > kMaxConstraintPairs) {
    return ValidationError("1 validation error detected: Value at 'constraints." + member +
                           "' failed to satisfy constraint: Member must have at most 8 entries");
  }
  for (const auto& [k, v] : *ctx) {
    if (v.size() > kMaxConstraintValueChars) {
      return ValidationError("1 validation error detected: Value at 'constraints." + member +
                             "' failed to satisfy constraint: Member values must have length less than or equal "
                             "to 384");
    }
  }
  return base::Status::Ok();
}

base::Status InvalidGrantId(const std::string& id) {
  return KmsStatus(KmsError::kInvalidGrantId, "Invalid grant ID " + id);
}

base::Status GrantNotFound(const std::string& id) {
  return KmsStatus(KmsError::kNotFound, "Grant ID " + id + " not found");
}

// The context a CreateGrant's kms:EncryptionContext* conditions (and a parent
// grant's constraints) are checked against: the new grant's constraints.
EncryptionContext ConstraintContext(const std::optional<GrantConstraints>& c) {
  EncryptionContext out;
  if (!c) return out;
  if (c->encryption_context_subset) out.insert(c->encryption_context_subset->begin(), c->encryption_context_subset->end());
  if (c->encryption_context_equals) out.insert(c->encryption_context_equals->begin(), c->encryption_context_equals->end());
  return out;
}

}  // namespace

base::Result<CreateGrantResult> KmsService::CreateGrant(const Caller& caller, const CreateGrantRequest& request) {
  Trace trace(this, caller, "CreateGrant");
  return trace.Done([&]() -> base::Result<CreateGrantResult> {
    KURA_RETURN_IF_ERROR(ValidateTokens(request.grant_tokens));
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, request.key_id, false));
    trace.SetKey(r.key.arn);
    const auto operations = NormalizeOperations(request.operations);
    std::vector<std::string> op_names;
    for (auto op : operations) op_names.emplace_back(GrantOperationName(op));
    const EncryptionContext constraint_ctx = ConstraintContext(request.constraints);
    Authorization auth =
        Authorization::OnKey("kms:CreateGrant", r.key).WithContext(constraint_ctx).ByGrant(GrantOperation::kCreateGrant);
    auth.grant_filter = [&](const Grant& parent) { return WithinParentGrant(parent, operations, request.constraints); };
    auth.conditions["kms:GrantOperations"] = op_names;
    auth.conditions["kms:GranteePrincipal"] = {request.grantee_principal};
    if (request.retiring_principal) auth.conditions["kms:RetiringPrincipal"] = {*request.retiring_principal};
    KURA_RETURN_IF_ERROR(Authorize(caller, auth));
    if (r.key.state == KeyState::kDisabled) return DisabledError(r.key.arn);
    if (r.key.state == KeyState::kPendingDeletion) return PendingDeletionError(r.key.arn);

    if (operations.empty()) {
      return ValidationError("1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: "
                             "Member must have length greater than or equal to 1");
    }
    for (auto op : operations) {
      if (!ValidForSymmetricKey(op)) {
        return ValidationError("Grant operation " + std::string(GrantOperationName(op)) +
                               " is not valid for the key spec SYMMETRIC_DEFAULT of " + r.key.arn);
      }
    }
    KURA_RETURN_IF_ERROR(CheckPrincipalString(request.grantee_principal, "granteePrincipal"));
    if (request.retiring_principal) {
      KURA_RETURN_IF_ERROR(CheckPrincipalString(*request.retiring_principal, "retiringPrincipal"));
    }
    if (request.name) KURA_RETURN_IF_ERROR(CheckGrantName(*request.name));
    if (request.constraints) {
      KURA_RETURN_IF_ERROR(CheckConstraintMap(request.constraints->encryption_context_subset,
                                              "encryptionContextSubset"));
      KURA_RETURN_IF_ERROR(CheckConstraintMap(request.constraints->encryption_context_equals,
                                              "encryptionContextEquals"));
    }

    Grant grant;
    grant.key_arn = r.key.arn;
    grant.name = request.name.value_or("");
    grant.creation_date = Now();
    grant.grantee_principal = request.grantee_principal;
    grant.retiring_principal = request.retiring_principal;
    grant.issuing_account = iam::AccountRootArn(caller.principal.account_id);
    grant.operations = operations;
    if (request.constraints && !request.constraints->empty()) grant.constraints = request.constraints;

    // A named grant identical to an existing one returns that grant (new token).
    if (!grant.name.empty()) {
      KURA_ASSIGN_OR_RETURN(auto named, store_.GrantsNamed(r.key.arn, grant.name));
      for (const auto& g : named) {
        Grant probe = grant;
        probe.grant_id = g.grant_id;
        if (SameGrantParameters(g, probe)) {
          trace.SetGrant(g.grant_id);
          KURA_ASSIGN_OR_RETURN(auto token, tokens_.Issue(g.grant_id));
          return CreateGrantResult{std::move(token), g.grant_id};
        }
      }
    }
    KURA_ASSIGN_OR_RETURN(int64_t count, store_.CountGrants(r.key.arn));
    if (count >= kMaxGrantsPerKey) {
      return KmsStatus(KmsError::kLimitExceeded, "The grant quota of 50000 for " + r.key.arn + " has been reached.");
    }
    KURA_ASSIGN_OR_RETURN(grant.grant_id, NewHexId());
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    KURA_RETURN_IF_ERROR(store_.InsertGrant(*txn, grant));
    KURA_RETURN_IF_ERROR(txn->Commit());
    trace.SetGrant(grant.grant_id);
    KURA_ASSIGN_OR_RETURN(auto token, tokens_.Issue(grant.grant_id));
    return CreateGrantResult{std::move(token), grant.grant_id};
  }());
}

base::Result<Page<Grant>> KmsService::ListGrants(const Caller& caller, const ListGrantsRequest& request) {
  Trace trace(this, caller, "ListGrants");
  return trace.Done([&]() -> base::Result<Page<Grant>> {
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, request.key_id, false));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:ListGrants", r.key)));
    KURA_ASSIGN_OR_RETURN(int limit, PageLimit(request.page, 50, 100));
    KURA_ASSIGN_OR_RETURN(std::string after, PageStart(request.page, "grants"));
    const std::string grant_id = request.grant_id.value_or("");
    if (request.grant_id && !IsGrantIdSyntax(grant_id)) return InvalidGrantId(grant_id);
    KURA_ASSIGN_OR_RETURN(auto grants, store_.ListGrants(r.key.arn, after, limit + 1, grant_id,
                                                         request.grantee_principal.value_or("")));
    return MakePage(std::move(grants), limit, "grants", [](const Grant& g) { return g.grant_id; });
  }());
}

base::Result<Page<Grant>> KmsService::ListRetirableGrants(const Caller& caller, const std::string& retiring_principal,
                                                          const PageRequest& page) {
  Trace trace(this, caller, "ListRetirableGrants");
  return trace.Done([&]() -> base::Result<Page<Grant>> {
    KURA_RETURN_IF_ERROR(CheckRegion(caller));
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::Iam("kms:ListRetirableGrants")));
    KURA_RETURN_IF_ERROR(CheckPrincipalString(retiring_principal, "retiringPrincipal"));
    KURA_ASSIGN_OR_RETURN(int limit, PageLimit(page, 50, 100));
    KURA_ASSIGN_OR_RETURN(std::string after, PageStart(page, "retirable"));
    KURA_ASSIGN_OR_RETURN(auto grants, store_.ListRetirableGrants(retiring_principal,
                                                                  "arn:aws:kms:" + caller.region + ":", after,
                                                                  limit + 1));
    return MakePage(std::move(grants), limit, "retirable", [](const Grant& g) { return g.grant_id; });
  }());
}

base::Status KmsService::RetireGrant(const Caller& caller, const RetireGrantRequest& request) {
  Trace trace(this, caller, "RetireGrant");
  return trace.Done([&]() -> base::Status {
    KURA_RETURN_IF_ERROR(CheckRegion(caller));
    std::lock_guard lock(mu_);
    std::optional<Grant> grant;
    if (request.grant_token && !request.grant_token->empty()) {
      KURA_ASSIGN_OR_RETURN(auto id, tokens_.GrantIdOf(*request.grant_token));
      KURA_ASSIGN_OR_RETURN(grant, store_.FindGrant(id));
      if (!grant) return GrantNotFound(id);
    } else {
      if (!request.key_id || !request.grant_id) {
        return ValidationError("Either GrantToken or both KeyId and GrantId must be specified.");
      }
      KURA_ASSIGN_OR_RETURN(KeyRef ref, ParseKeyRef(*request.key_id, caller.principal.account_id, caller.region,
                                                    false));
      if (ref.kind != KeyRef::Kind::kKeyArn) {
        return KmsStatus(KmsError::kInvalidArn, "KeyId must be a key ARN when used with GrantId: " + *request.key_id);
      }
      if (!IsGrantIdSyntax(*request.grant_id)) return InvalidGrantId(*request.grant_id);
      const std::string arn = KeyArn(ref.region, ref.account_id, ref.key_id);
      KURA_RETURN_IF_ERROR(LoadKey(arn).status());
      KURA_ASSIGN_OR_RETURN(grant, store_.FindGrant(*request.grant_id));
      if (!grant || grant->key_arn != arn) return GrantNotFound(*request.grant_id);
    }
    trace.SetKey(grant->key_arn);
    trace.SetGrant(grant->grant_id);
    KURA_ASSIGN_OR_RETURN(auto key, LoadKey(grant->key_arn));
    // Allowed: the retiring principal; the grantee when the grant includes
    // RetireGrant; the key's account (or the issuing account) through its IAM policies.
    bool allowed = grant->retiring_principal && PrincipalMatches(*grant->retiring_principal, caller.principal);
    if (!allowed && PrincipalMatches(grant->grantee_principal, caller.principal)) {
      allowed = GrantAllows(*grant, GrantOperation::kRetireGrant, {});
    }
    if (!allowed && (caller.principal.account_id == key.account_id ||
                     iam::AccountRootArn(caller.principal.account_id) == grant->issuing_account)) {
      const auto ctx = authorizer_.Context(caller, Authorization::OnKey("kms:RetireGrant", key));
      KURA_ASSIGN_OR_RETURN(auto decision, authorizer_.IdentityDecision(ctx));
      allowed = decision == iam::Decision::kAllow;
    }
    if (!allowed) {
      return AccessDenied(caller.principal, "kms:RetireGrant", key.arn, "no identity-based policy allows the ");
    }
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    KURA_RETURN_IF_ERROR(store_.DeleteGrant(*txn, grant->grant_id));
    return txn->Commit();
  }());
}

base::Status KmsService::RevokeGrant(const Caller& caller, const std::string& key_id, const std::string& grant_id) {
  Trace trace(this, caller, "RevokeGrant");
  return trace.Done([&]() -> base::Status {
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, key_id, false));
    trace.SetKey(r.key.arn);
    trace.SetGrant(grant_id);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:RevokeGrant", r.key)));
    if (!IsGrantIdSyntax(grant_id)) return InvalidGrantId(grant_id);
    KURA_ASSIGN_OR_RETURN(auto grant, store_.FindGrant(grant_id));
    if (!grant || grant->key_arn != r.key.arn) return GrantNotFound(grant_id);
    KURA_ASSIGN_OR_RETURN(auto txn, Begin());
    KURA_RETURN_IF_ERROR(store_.DeleteGrant(*txn, grant_id));
    return txn->Commit();
  }());
}

}  // namespace kura::kms
