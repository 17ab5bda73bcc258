// Authorizer: evaluates one KMS request as AWS does (kms.md §4.4): the key
// policy × the caller's IAM policies × grants, the cross-account rules, and
// the KMS condition keys (kms:CallerAccount, kms:ViaService,
// kms:GrantIsForAWSResource, kms:EncryptionContext:*, kms:EncryptionContextKeys,
// kms:GrantOperations, kms:GranteePrincipal, kms:RetiringPrincipal,
// kms:RequestAlias, aws:PrincipalAccount, aws:PrincipalArn).
// Thread-safety: safe from any thread (the parsed-policy cache is locked).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "iam/policy.h"
#include "kms/key_store.h"
#include "kms/types.h"

namespace kura::kms {

// The caller's IAM identity policies (none for an account root).
using IdentityPoliciesFn =
    std::function<base::Result<std::vector<std::shared_ptr<const iam::PolicyDocument>>>(const iam::Principal&)>;
// The grants on a key that name a principal as grantee.
using GrantSourceFn = std::function<base::Result<std::vector<Grant>>(const std::string& key_arn,
                                                                     const iam::Principal& principal)>;

// One request to authorize.
struct Authorization {
  std::string action;                // "kms:Encrypt"
  const KeyRecord* key = nullptr;    // null: an IAM-only action on `resource`
  std::string resource = "*";        // used when key is null (e.g. an alias ARN, "*")
  const EncryptionContext* context = nullptr;
  std::optional<GrantOperation> grant_operation;    // a grant may authorize this action
  std::function<bool(const Grant&)> grant_filter;   // extra test for an authorizing grant
  std::map<std::string, std::vector<std::string>> conditions;  // extra condition keys
  std::string request_alias;         // kms:RequestAlias when the request named an alias

  // An IAM-only action (no key policy): CreateKey, ListKeys, alias resources, ...
  static Authorization Iam(std::string action, std::string resource = "*");
  // An action on a key: key policy x IAM (x grants when ByGrant is set).
  static Authorization OnKey(std::string action, const KeyRecord& key);
  Authorization& WithContext(const EncryptionContext& c) {
    context = &c;
    return *this;
  }
  Authorization& ByGrant(GrantOperation op) {
    grant_operation = op;
    return *this;
  }
  Authorization& ViaAlias(std::string alias) {
    request_alias = std::move(alias);
    return *this;
  }
};

class Authorizer {
 public:
  Authorizer(IdentityPoliciesFn identity_policies, GrantSourceFn grants);

  // OK, or AccessDeniedException with the AWS message.
  base::Status Authorize(const Caller& caller, const Authorization& request);

  // The policy-language view of the request (condition keys filled in).
  iam::RequestContext Context(const Caller& caller, const Authorization& request) const;

  // Operations that may be called on a key of another account.
  static bool CrossAccountCapable(std::string_view action);

  // The caller's identity-policy decision; an account root is allowed unless denied.
  base::Result<iam::Decision> IdentityDecision(const iam::RequestContext& context);

  // Drops the cached parse of a key's policy (after PutKeyPolicy / deletion).
  void Forget(const std::string& key_arn);
  // Drops every cached key policy.
  void ForgetAll();

 private:
  base::Result<std::shared_ptr<const iam::PolicyDocument>> KeyPolicy(const KeyRecord& key);

  IdentityPoliciesFn identity_policies_;
  GrantSourceFn grants_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::shared_ptr<const iam::PolicyDocument>>> policies_;
};

// "User: <arn> is not authorized to perform: <action> on resource: <resource> because ..."
base::Status AccessDenied(const iam::Principal& principal, std::string_view action, std::string_view resource,
                          std::string_view reason);

}  // namespace kura::kms
