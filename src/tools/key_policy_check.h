// KeyPolicyCheck: decides, from a KMS key policy document alone, whether
// another account may use the key the way EBS needs to copy a snapshot
// shared with it (kms:DescribeKey, kms:CreateGrant, kms:Decrypt,
// kms:ReEncrypt*, kms:GenerateDataKeyWithoutPlaintext), and writes the
// statement to add when it may not.
//
// What a static reading can decide: which statements name the account
// (Principal "*", the account id, arn:aws:iam::ACCOUNT:root, or the exact
// ARN that will make the calls), which actions they allow or deny
// (wildcards, NotAction, NotPrincipal, Resource/NotResource against the key
// ARN), and that an unconditional Deny wins over any Allow. What it cannot:
// the value of a Condition at request time (kms:ViaService,
// kms:GrantIsForAWSResource, aws:SourceIp, ...), grants on the key, and the
// target account's own IAM policies (which must also allow these actions on
// the key when the target caller is not the account root) — those are
// reported as notes, never guessed.
// Thread-safety: pure functions on values.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "base/status.h"

namespace kura::tools {

// Every action the target account needs on the source key, concrete
// ("kms:ReEncrypt*" is both ReEncryptFrom and ReEncryptTo).
const std::vector<std::string>& SharedCopyActions();

enum class ActionVerdict {
  kAllowed,             // an unconditional Allow, no Deny applies
  kAllowedIfCondition,  // only conditional Allows; decided at request time
  kMissing,             // no Allow names the account for it
  kDenied,              // an unconditional Deny applies: no added Allow can help
  kDeniedIfCondition,   // allowed, but a conditional Deny may refuse it
};

struct ActionCheck {
  std::string action;  // kms:Decrypt
  ActionVerdict verdict = ActionVerdict::kMissing;
  std::vector<std::string> statements;  // the Sids (or "#index") that decided it
};

struct KeyPolicyCheck {
  std::vector<ActionCheck> actions;  // in SharedCopyActions() order
  std::vector<std::string> notes;    // what could not be decided statically

  bool AnyDenied() const;
  // Actions with kMissing, in the form to put in a statement (ReEncryptFrom
  // and ReEncryptTo fold into kms:ReEncrypt*).
  std::vector<std::string> MissingActions() const;
};

// `policy`: the key policy JSON text; `key_arn`: the key it belongs to;
// `target_account`: 12 digits; `target_caller_arn`: who will make the calls
// (may be empty). InvalidArgument when the policy is not a policy document.
base::Result<KeyPolicyCheck> CheckKeyPolicyForAccount(const std::string& policy, const std::string& key_arn,
                                                      const std::string& target_account,
                                                      const std::string& target_caller_arn);

// The statement (members in that order) that lets `target_account` use the key for `actions`:
// {"Sid", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::T:root"}, "Action", "Resource": "*"}.
nlohmann::ordered_json StatementForAccount(const std::string& target_account, const std::vector<std::string>& actions);

// `policy` with `statement` appended to its Statement list (an object
// Statement becomes a list), every other member kept in its order.
// InvalidArgument when `policy` is not a policy.
base::Result<std::string> AppendStatement(const std::string& policy, const nlohmann::ordered_json& statement);

}  // namespace kura::tools
