// The IAM policy language: parsing policy documents and evaluating one
// request against them, as AWS does (explicit deny wins; otherwise an allow
// is needed). Supports Effect, Action/NotAction and Resource/NotResource with
// `*`/`?` wildcards (case-insensitive actions, case-sensitive ARNs), Principal
// and NotPrincipal in resource policies ("*", {"AWS": ...} with account ids,
// root ARNs, user ARNs; {"Service": ...}), and Condition with the operators
// String{Equals,NotEquals,EqualsIgnoreCase,NotEqualsIgnoreCase,Like,NotLike},
// Arn{Equals,Like,NotEquals,NotLike}, Bool, Null, Numeric*, Date* and the
// IfExists suffix and ForAnyValue:/ForAllValues: prefixes. Condition keys are
// case-insensitive; multiple values in a condition are ORed, multiple keys and
// operators ANDed.
// Thread-safety: a parsed PolicyDocument is immutable; share it freely.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "iam/principal.h"

namespace kura::iam {

// Kinds of error a policy can have; Status::detail() carries one.
enum class PolicyError {
  kNone = 0,
  kMalformed = 1,  // not JSON, wrong structure, unknown operator, bad Effect, ...
};

enum class PolicyKind {
  kIdentity,  // attached to a user: Principal is not allowed
  kResource,  // a key policy: every statement needs Principal or NotPrincipal
};

class PolicyDocument {
 public:
  // MalformedPolicyDocument-worthy problems come back as InvalidArgument with
  // detail PolicyError::kMalformed and a message naming what is wrong.
  static base::Result<PolicyDocument> Parse(std::string_view json, PolicyKind kind);

  const std::string& text() const { return text_; }  // as given
  struct Statement;
  const std::vector<std::shared_ptr<const Statement>>& statements() const { return statements_; }

 private:
  std::string text_;
  std::vector<std::shared_ptr<const Statement>> statements_;
};

// Condition key through which the server (never the client: the API layer must
// drop client-supplied "kura:" keys) tells the evaluator that an AWS service
// itself is the caller, e.g. "ec2.amazonaws.com". Only then does a statement's
// {"Service": ...} principal match; an ordinary caller never matches one.
inline constexpr std::string_view kServicePrincipalConditionKey = "kura:ServicePrincipal";

// What one request looks like to the policy language.
struct RequestContext {
  std::string action;    // "kms:Decrypt"
  std::string resource;  // "arn:aws:kms:us-east-1:111122223333:key/..."
  Principal principal;
  // Condition keys (any case; compared case-insensitively) to their values.
  // aws:PrincipalAccount, aws:PrincipalArn, aws:userid and aws:username are
  // filled from `principal` by the evaluator when absent here.
  std::map<std::string, std::vector<std::string>> conditions;
};

enum class Decision { kImplicitDeny, kAllow, kExplicitDeny };

// Identity policies (the caller's inline policies): explicit deny wins, else allow if any allows.
Decision EvaluateIdentityPolicies(const std::vector<const PolicyDocument*>& policies, const RequestContext& request);

// A resource policy (a key policy) seen from one request.
struct ResourcePolicyResult {
  bool explicit_deny = false;
  // An Allow statement matches and its Principal names the caller directly:
  // its user/root ARN, or "*" / {"AWS": "*"}.
  bool allows_principal = false;
  // An Allow statement matches whose Principal names the caller's account
  // ("123456789012" or "arn:aws:iam::123456789012:root") but not the caller
  // directly: the account delegates the decision to its IAM policies.
  // The account's root user matched by such a principal also gets
  // allows_account (not allows_principal); since root holds every IAM
  // permission, callers treat root + allows_account as allowed.
  bool allows_account = false;
};
ResourcePolicyResult EvaluateResourcePolicy(const PolicyDocument& policy, const RequestContext& request);

// Wildcard match: `*` any run, `?` one character.
bool WildcardMatch(std::string_view pattern, std::string_view value, bool case_insensitive);

}  // namespace kura::iam
