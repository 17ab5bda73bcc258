#include "tools/key_policy_check.h"

#include <gtest/gtest.h>

namespace kura::tools {
namespace {

using json = nlohmann::ordered_json;

constexpr char kKey[] = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
constexpr char kTarget[] = "222233334444";
constexpr char kTargetRoot[] = "arn:aws:iam::222233334444:root";

const json kOwner = {{"Sid", "owner"},
                     {"Effect", "Allow"},
                     {"Principal", {{"AWS", "arn:aws:iam::111111111111:root"}}},
                     {"Action", "kms:*"},
                     {"Resource", "*"}};

std::string Policy(json statements) {
  return json{{"Version", "2012-10-17"}, {"Statement", std::move(statements)}}.dump();
}

json Allow(json principal, json actions) {
  return {{"Effect", "Allow"}, {"Principal", std::move(principal)}, {"Action", std::move(actions)}, {"Resource", "*"}};
}

KeyPolicyCheck Check(const std::string& policy, const std::string& caller = kTargetRoot) {
  auto check = CheckKeyPolicyForAccount(policy, kKey, kTarget, caller);
  EXPECT_TRUE(check.ok()) << check.status().ToString();
  return check.ok() ? *check : KeyPolicyCheck{};
}

ActionVerdict VerdictOf(const KeyPolicyCheck& c, const std::string& action) {
  for (const auto& a : c.actions) {
    if (a.action == action) return a.verdict;
  }
  ADD_FAILURE() << action << " not checked";
  return ActionVerdict::kMissing;
}

const std::vector<std::string> kAllFolded{"kms:DescribeKey", "kms:CreateGrant", "kms:Decrypt", "kms:ReEncrypt*",
                                          "kms:GenerateDataKeyWithoutPlaintext"};

TEST(KeyPolicyCheckTest, OnlyTheOwnerMeansEveryActionIsMissing) {
  KeyPolicyCheck c = Check(Policy(json::array({kOwner})));
  EXPECT_EQ(c.MissingActions(), kAllFolded);
  EXPECT_FALSE(c.AnyDenied());
}

TEST(KeyPolicyCheckTest, TheRootArnTheAccountIdOrStarWithWildcardActionsAllow) {
  for (const json& principal : {json{{"AWS", kTargetRoot}}, json{{"AWS", json::array({"arn:aws:iam::9:root", kTarget})}},
                                json("*"), json{{"AWS", "*"}}}) {
    KeyPolicyCheck c = Check(Policy(json::array(
        {kOwner, Allow(principal, {"kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:ReEncrypt*",
                                   "KMS:GenerateDataKey*"})})));
    EXPECT_TRUE(c.MissingActions().empty()) << principal.dump();
    for (const auto& a : c.actions) EXPECT_EQ(a.verdict, ActionVerdict::kAllowed) << a.action;
  }
  EXPECT_TRUE(Check(Policy(json::array({Allow({{"AWS", kTargetRoot}}, "kms:*")}))).MissingActions().empty());
  EXPECT_TRUE(Check(Policy(json::array({Allow({{"AWS", kTargetRoot}}, "*")}))).MissingActions().empty());
}

TEST(KeyPolicyCheckTest, MissingActionsAreNamedAndReEncryptFolds) {
  KeyPolicyCheck c = Check(Policy(json::array(
      {kOwner, Allow({{"AWS", kTargetRoot}}, {"kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"})})));
  EXPECT_EQ(VerdictOf(c, "kms:ReEncryptFrom"), ActionVerdict::kAllowed);
  EXPECT_EQ(VerdictOf(c, "kms:ReEncryptTo"), ActionVerdict::kMissing);
  EXPECT_EQ(c.MissingActions(),
            (std::vector<std::string>{"kms:CreateGrant", "kms:ReEncrypt*", "kms:GenerateDataKeyWithoutPlaintext"}));
}

TEST(KeyPolicyCheckTest, AnotherAccountOrAnotherPrincipalOfTheTargetDoesNotCount) {
  KeyPolicyCheck c = Check(Policy(json::array({kOwner, Allow({{"AWS", "arn:aws:iam::999999999999:root"}}, "kms:*"),
                                               Allow({{"AWS", "arn:aws:iam::222233334444:role/builder"}}, "kms:*")})));
  EXPECT_EQ(c.MissingActions(), kAllFolded);
  ASSERT_FALSE(c.notes.empty());
  EXPECT_NE(c.notes[0].find("names only arn:aws:iam::222233334444:role/builder"), std::string::npos) << c.notes[0];
  // ... unless that principal is the caller itself; then the caller's IAM policies matter too.
  const std::string role = "arn:aws:iam::222233334444:role/builder";
  KeyPolicyCheck as_role = Check(Policy(json::array({Allow({{"AWS", role}}, "kms:*")})), role);
  EXPECT_TRUE(as_role.MissingActions().empty());
  ASSERT_EQ(as_role.notes.size(), 1u);
  EXPECT_NE(as_role.notes[0].find("its own IAM policies must also allow"), std::string::npos);
}

TEST(KeyPolicyCheckTest, AnUnconditionalDenyWinsAndCannotBeFixedByAnAllow) {
  json deny = {{"Sid", "no-decrypt-for-B"}, {"Effect", "Deny"}, {"Principal", {{"AWS", kTargetRoot}}},
               {"Action", "kms:Decrypt"}, {"Resource", "*"}};
  KeyPolicyCheck c = Check(Policy(json::array({kOwner, Allow({{"AWS", kTargetRoot}}, "kms:*"), deny})));
  EXPECT_TRUE(c.AnyDenied());
  EXPECT_EQ(VerdictOf(c, "kms:Decrypt"), ActionVerdict::kDenied);
  EXPECT_EQ(VerdictOf(c, "kms:DescribeKey"), ActionVerdict::kAllowed);
  for (const auto& a : c.actions) {
    if (a.action == "kms:Decrypt") {
      EXPECT_EQ(a.statements, std::vector<std::string>{"\"no-decrypt-for-B\""});
    }
  }
}

TEST(KeyPolicyCheckTest, ConditionsThatDependOnTheRequestAreNotedNotGuessed) {
  json grant = Allow({{"AWS", kTargetRoot}}, "kms:CreateGrant");
  grant["Sid"] = "attachment";
  grant["Condition"] = {{"Bool", {{"kms:GrantIsForAWSResource", "true"}}}};
  json use = Allow({{"AWS", kTargetRoot}},
                   {"kms:Decrypt", "kms:DescribeKey", "kms:ReEncrypt*", "kms:GenerateDataKeyWithoutPlaintext"});
  json deny = {{"Effect", "Deny"}, {"Principal", "*"}, {"Action", "kms:Decrypt"}, {"Resource", "*"},
               {"Condition", {{"NotIpAddress", {{"aws:SourceIp", "10.0.0.0/8"}}}}}};
  KeyPolicyCheck c = Check(Policy(json::array({kOwner, grant, use, deny})));
  EXPECT_TRUE(c.MissingActions().empty());
  EXPECT_EQ(VerdictOf(c, "kms:CreateGrant"), ActionVerdict::kAllowedIfCondition);
  EXPECT_EQ(VerdictOf(c, "kms:Decrypt"), ActionVerdict::kDeniedIfCondition);
  ASSERT_EQ(c.notes.size(), 2u);
  EXPECT_NE(c.notes[0].find("\"attachment\" allows only under a Condition on kms:GrantIsForAWSResource"),
            std::string::npos);
  EXPECT_NE(c.notes[1].find("#4 denies only under a Condition on aws:SourceIp"), std::string::npos);
}

TEST(KeyPolicyCheckTest, CallerAccountConditionsAreDecidedStatically) {
  // The AWS managed key's shape: anyone, but only when calling from the owner's account.
  json owner_only = Allow("*", "kms:*");
  owner_only["Condition"] = {{"StringEquals", {{"kms:CallerAccount", "111111111111"}}}};
  EXPECT_EQ(Check(Policy(json::array({owner_only}))).MissingActions(), kAllFolded);
  json target_only = Allow("*", "kms:*");
  target_only["Condition"] = {{"StringEquals", {{"kms:CallerAccount", kTarget}}}};
  KeyPolicyCheck c = Check(Policy(json::array({target_only})));
  EXPECT_TRUE(c.MissingActions().empty());
  EXPECT_EQ(VerdictOf(c, "kms:Decrypt"), ActionVerdict::kAllowed);
  EXPECT_TRUE(c.notes.empty());
}

TEST(KeyPolicyCheckTest, NotActionNotPrincipalAndResources) {
  json not_action = {{"Effect", "Allow"}, {"Principal", {{"AWS", kTarget}}}, {"NotAction", "kms:Decrypt"},
                     {"Resource", "*"}};
  KeyPolicyCheck c = Check(Policy(json::array({not_action})));
  EXPECT_EQ(c.MissingActions(), std::vector<std::string>{"kms:Decrypt"});
  json not_principal = {{"Effect", "Allow"}, {"NotPrincipal", {{"AWS", "arn:aws:iam::999999999999:root"}}},
                        {"Action", "kms:*"}, {"Resource", "*"}};
  EXPECT_TRUE(Check(Policy(json::array({not_principal}))).MissingActions().empty());
  json other_key = Allow({{"AWS", kTargetRoot}}, "kms:*");
  other_key["Resource"] = "arn:aws:kms:us-east-1:111111111111:key/other";
  EXPECT_EQ(Check(Policy(json::array({other_key}))).MissingActions(), kAllFolded);
  json this_key = Allow({{"AWS", kTargetRoot}}, "kms:*");
  this_key["Resource"] = "arn:aws:kms:us-east-1:111111111111:key/*";
  EXPECT_TRUE(Check(Policy(json::array({this_key}))).MissingActions().empty());
}

TEST(KeyPolicyCheckTest, ASingleStatementObjectIsAPolicyToo) {
  KeyPolicyCheck c = Check(json{{"Statement", Allow({{"AWS", kTargetRoot}}, "kms:*")}}.dump());
  EXPECT_TRUE(c.MissingActions().empty());
  EXPECT_FALSE(CheckKeyPolicyForAccount("not json", kKey, kTarget, "").ok());
  EXPECT_FALSE(CheckKeyPolicyForAccount("{}", kKey, kTarget, "").ok());
}

TEST(KeyPolicyCheckTest, TheStatementToAddAndTheUpdatedPolicy) {
  const json statement = StatementForAccount(kTarget, kAllFolded);
  EXPECT_EQ(statement.dump(),
            R"({"Sid":"AllowAccount222233334444ToCopySharedSnapshots","Effect":"Allow","Principal":{"AWS":)"
            R"("arn:aws:iam::222233334444:root"},"Action":["kms:DescribeKey","kms:CreateGrant","kms:Decrypt",)"
            R"("kms:ReEncrypt*","kms:GenerateDataKeyWithoutPlaintext"],"Resource":"*"})");
  auto updated = AppendStatement(Policy(kOwner), statement);
  ASSERT_TRUE(updated.ok());
  const json doc = json::parse(*updated);
  ASSERT_EQ(doc["Statement"].size(), 2u);
  EXPECT_EQ(doc["Statement"][0], kOwner);
  EXPECT_EQ(doc["Statement"][1], statement);
  EXPECT_TRUE(Check(*updated).MissingActions().empty());
}

}  // namespace
}  // namespace kura::tools
