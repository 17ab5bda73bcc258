#include "tools/key_policy_check.h"

#include <algorithm>
#include <cctype>

#include "base/wildcard.h"

namespace kura::tools {

namespace {

// Ordered: a policy written back keeps its members where its author put them.
using json = nlohmann::ordered_json;

// A policy element that is a string or a list of strings, as a list.
std::vector<std::string> Strings(const json& element) {
  std::vector<std::string> out;
  if (element.is_string()) out.push_back(element.get<std::string>());
  if (element.is_array()) {
    for (const auto& e : element) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  }
  return out;
}

bool AnyMatches(const json& element, const std::string& value, bool fold_case) {
  const auto patterns = Strings(element);
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return base::WildcardMatch(p, value, fold_case); });
}

bool IsRootOf(const std::string& arn, const std::string& account) {
  // arn:aws:iam::T:root, in any partition (aws, aws-cn, aws-us-gov).
  return arn.rfind("arn:", 0) == 0 && arn.size() > account.size() + 11 &&
         arn.ends_with(":iam::" + account + ":root");
}

bool IsPrincipalOf(const std::string& arn, const std::string& account) {
  return arn.rfind("arn:", 0) == 0 && arn.find(":iam::" + account + ":") != std::string::npos;
}

// Whether a Principal/NotPrincipal element names the target; `narrower`
// collects principals of the target account that are not the one calling.
bool NamesTarget(const json& principal, const std::string& account, const std::string& caller_arn,
                 std::vector<std::string>& narrower) {
  if (principal.is_string()) return principal.get<std::string>() == "*";
  if (!principal.is_object() || !principal.contains("AWS")) return false;
  bool named = false;
  for (const auto& p : Strings(principal["AWS"])) {
    if (p == "*" || p == account || IsRootOf(p, account) || (!caller_arn.empty() && p == caller_arn)) {
      named = true;
    } else if (IsPrincipalOf(p, account)) {
      narrower.push_back(p);
    }
  }
  return named;
}

struct Tally {
  std::vector<std::string> allow, allow_if, deny, deny_if;  // statement labels
};

// What a Condition block comes to when read statically. Only the keys whose
// value is known before the call — who calls — are decided: kms:CallerAccount,
// aws:PrincipalAccount (the target account) and aws:PrincipalArn (the target
// caller), under StringEquals/StringLike. Everything else is left to KMS.
struct ConditionReading {
  bool never = false;                // a decidable test fails: the statement does not apply
  std::vector<std::string> unknown;  // keys only KMS can evaluate
};

ConditionReading ReadCondition(const json& condition, const std::string& account, const std::string& caller_arn) {
  ConditionReading out;
  for (const auto& [op, tests] : condition.items()) {
    if (!tests.is_object()) continue;
    const bool like = op == "StringLike";
    for (const auto& [key, value] : tests.items()) {
      std::string lower = key;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      const bool is_account = lower == "kms:calleraccount" || lower == "aws:principalaccount";
      const bool is_arn = lower == "aws:principalarn" && !caller_arn.empty();
      if ((op != "StringEquals" && !like) || (!is_account && !is_arn)) {
        if (std::find(out.unknown.begin(), out.unknown.end(), key) == out.unknown.end()) out.unknown.push_back(key);
        continue;
      }
      const std::string& actual = is_account ? account : caller_arn;
      const auto values = Strings(value);
      const bool holds = std::any_of(values.begin(), values.end(), [&](const std::string& v) {
        return like ? base::WildcardMatch(v, actual, false) : v == actual;
      });
      if (!holds) out.never = true;
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// ReEncryptFrom and ReEncryptTo as the one kms:ReEncrypt* a statement names.
std::vector<std::string> FoldReEncrypt(const std::vector<std::string>& actions) {
  std::vector<std::string> out;
  for (const auto& a : actions) {
    const std::string name = a.rfind("kms:ReEncrypt", 0) == 0 ? "kms:ReEncrypt*" : a;
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

base::Result<json> ParsePolicy(const std::string& policy) {
  json doc = json::parse(policy, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return base::InvalidArgumentError("the key policy is not JSON");
  if (!doc.contains("Statement") || !(doc["Statement"].is_array() || doc["Statement"].is_object())) {
    return base::InvalidArgumentError("the key policy has no Statement");
  }
  return doc;
}

}  // namespace

const std::vector<std::string>& SharedCopyActions() {
  static const std::vector<std::string> kActions{"kms:DescribeKey",   "kms:CreateGrant",
                                                 "kms:Decrypt",       "kms:ReEncryptFrom",
                                                 "kms:ReEncryptTo",   "kms:GenerateDataKeyWithoutPlaintext"};
  return kActions;
}

bool KeyPolicyCheck::AnyDenied() const {
  return std::any_of(actions.begin(), actions.end(),
                     [](const ActionCheck& a) { return a.verdict == ActionVerdict::kDenied; });
}

std::vector<std::string> KeyPolicyCheck::MissingActions() const {
  std::vector<std::string> missing;
  for (const auto& a : actions) {
    if (a.verdict == ActionVerdict::kMissing) missing.push_back(a.action);
  }
  return FoldReEncrypt(missing);
}

base::Result<KeyPolicyCheck> CheckKeyPolicyForAccount(const std::string& policy, const std::string& key_arn,
                                                      const std::string& target_account,
                                                      const std::string& target_caller_arn) {
  KURA_ASSIGN_OR_RETURN(json doc, ParsePolicy(policy));
  json statements = doc["Statement"].is_array() ? doc["Statement"] : json::array({doc["Statement"]});
  const auto& wanted = SharedCopyActions();
  std::vector<Tally> tally(wanted.size());
  KeyPolicyCheck check;
  for (size_t i = 0; i < statements.size(); ++i) {
    const json& s = statements[i];
    if (!s.is_object()) continue;
    const std::string label = s.contains("Sid") && s["Sid"].is_string() && !s["Sid"].get<std::string>().empty()
                                  ? "\"" + s["Sid"].get<std::string>() + "\""
                                  : "#" + std::to_string(i + 1);
    std::vector<std::string> narrower;
    bool applies = false;
    if (s.contains("Principal")) applies = NamesTarget(s["Principal"], target_account, target_caller_arn, narrower);
    if (s.contains("NotPrincipal")) {
      std::vector<std::string> ignored;
      applies = !NamesTarget(s["NotPrincipal"], target_account, target_caller_arn, ignored);
    }
    if (!applies) {
      for (const auto& p : narrower) {
        check.notes.push_back("statement " + label + " names only " + p + ", which is not the account root nor " +
                              (target_caller_arn.empty() ? "the target caller" : target_caller_arn) +
                              "; it is not counted");
      }
      continue;
    }
    if (s.contains("Resource") && !AnyMatches(s["Resource"], key_arn, false)) continue;
    if (s.contains("NotResource") && AnyMatches(s["NotResource"], key_arn, false)) continue;
    ConditionReading condition;
    if (s.contains("Condition") && s["Condition"].is_object()) {
      condition = ReadCondition(s["Condition"], target_account, target_caller_arn);
    }
    if (condition.never) continue;
    const bool conditional = !condition.unknown.empty();
    const bool deny = s.value("Effect", "") == "Deny";
    if (!deny && s.value("Effect", "") != "Allow") continue;
    bool used = false;
    for (size_t a = 0; a < wanted.size(); ++a) {
      bool hit = false;
      if (s.contains("Action")) hit = AnyMatches(s["Action"], wanted[a], true);
      if (s.contains("NotAction")) hit = !AnyMatches(s["NotAction"], wanted[a], true);
      if (!hit) continue;
      used = true;
      auto& t = tally[a];
      (deny ? (conditional ? t.deny_if : t.deny) : (conditional ? t.allow_if : t.allow)).push_back(label);
    }
    if (used && conditional) {
      check.notes.push_back("statement " + label + (deny ? " denies" : " allows") + " only under a Condition on " +
                            Join(condition.unknown) + ", which KMS evaluates at request time" +
                            (deny ? "; it may refuse the copy" : "; assumed to hold"));
    }
  }
  for (size_t a = 0; a < wanted.size(); ++a) {
    const Tally& t = tally[a];
    ActionCheck c{wanted[a], ActionVerdict::kMissing, {}};
    if (!t.deny.empty()) {
      c = {wanted[a], ActionVerdict::kDenied, t.deny};
    } else if (!t.allow.empty() || !t.allow_if.empty()) {
      c.statements = t.allow.empty() ? t.allow_if : t.allow;
      c.verdict = !t.deny_if.empty() ? ActionVerdict::kDeniedIfCondition
                  : t.allow.empty()  ? ActionVerdict::kAllowedIfCondition
                                     : ActionVerdict::kAllowed;
    }
    check.actions.push_back(std::move(c));
  }
  if (!target_caller_arn.empty() && !IsRootOf(target_caller_arn, target_account)) {
    check.notes.push_back("the target caller " + target_caller_arn +
                          " is not the account root: its own IAM policies must also allow " +
                          Join(FoldReEncrypt(wanted)) +
                          " on " + key_arn + " (not visible from the source account)");
  }
  return check;
}

json StatementForAccount(const std::string& target_account, const std::vector<std::string>& actions) {
  return json{{"Sid", "AllowAccount" + target_account + "ToCopySharedSnapshots"},
              {"Effect", "Allow"},
              {"Principal", {{"AWS", "arn:aws:iam::" + target_account + ":root"}}},
              {"Action", actions},
              {"Resource", "*"}};
}

base::Result<std::string> AppendStatement(const std::string& policy, const json& statement) {
  KURA_ASSIGN_OR_RETURN(json doc, ParsePolicy(policy));
  if (doc["Statement"].is_object()) doc["Statement"] = json::array({doc["Statement"]});
  doc["Statement"].push_back(statement);
  return doc.dump(2);
}

}  // namespace kura::tools
