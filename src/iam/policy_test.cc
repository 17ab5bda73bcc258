#include "iam/policy.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "iam/principal.h"

namespace kura::iam {
namespace {

constexpr char kOwner[] = "111122223333";
constexpr char kOther[] = "444455556666";
constexpr char kKeyArn[] = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

Principal User(const std::string& account, const std::string& name) {
  Principal p;
  p.account_id = account;
  p.arn = "arn:aws:iam::" + account + ":user/" + name;
  p.user_id = "AIDA" + name + "EXAMPLE";
  p.user_name = name;
  return p;
}

Principal Root(const std::string& account) {
  Principal p;
  p.account_id = account;
  p.arn = AccountRootArn(account);
  p.user_id = account;
  return p;
}

PolicyDocument MustParse(const std::string& text, PolicyKind kind = PolicyKind::kResource) {
  auto r = PolicyDocument::Parse(text, kind);
  if (!r.ok()) {
    ADD_FAILURE() << "policy did not parse: " << r.status().ToString() << "\n" << text;
    return PolicyDocument();
  }
  return *std::move(r);
}

std::string ParseError(const std::string& text, PolicyKind kind = PolicyKind::kResource) {
  auto r = PolicyDocument::Parse(text, kind);
  if (r.ok()) {
    ADD_FAILURE() << "policy parsed but should not have:\n" << text;
    return "";
  }
  EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().detail(), static_cast<int>(PolicyError::kMalformed));
  return r.status().message();
}

RequestContext Request(const Principal& principal, const std::string& action,
                       std::map<std::string, std::vector<std::string>> conditions = {},
                       const std::string& resource = kKeyArn) {
  RequestContext r;
  r.principal = principal;
  r.action = action;
  r.resource = resource;
  r.conditions = std::move(conditions);
  return r;
}

// A key policy statement allowing `action` to "*" under `condition` (a JSON object).
std::string PolicyWithCondition(const std::string& condition, const std::string& action = "kms:Decrypt") {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":")" + action +
         R"(","Resource":"*","Condition":)" + condition + "}]}";
}

// Whether the statement with `condition` applies to a request with `conditions`.
bool ConditionHolds(const std::string& condition, std::map<std::string, std::vector<std::string>> conditions,
                    const Principal& who = User(kOwner, "alice")) {
  const PolicyDocument doc = MustParse(PolicyWithCondition(condition));
  const auto result = EvaluateResourcePolicy(doc, Request(who, "kms:Decrypt", std::move(conditions)));
  EXPECT_FALSE(result.explicit_deny);
  EXPECT_FALSE(result.allows_account);
  return result.allows_principal;
}

std::string DefaultKeyPolicy(const std::string& account) {
  return R"({"Version" : "2012-10-17", "Id" : "key-default-1", "Statement" : [ {"Sid" : "Enable IAM User Permissions", "Effect" : "Allow", "Principal" : {"AWS" : "arn:aws:iam::)" +
         account + R"(:root"}, "Action" : "kms:*", "Resource" : "*"} ]})";
}

std::string AutoEbs2Policy(const std::string& account, const std::string& region) {
  return R"({
  "Version": "2012-10-17",
  "Id": "auto-ebs-2",
  "Statement": [
    {
      "Sid": "Allow access through EBS for all principals in the account that are authorized to use EBS",
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "kms:CallerAccount": ")" +
         account + R"(",
          "kms:ViaService": "ec2.)" +
         region + R"(.amazonaws.com"
        }
      }
    },
    {
      "Sid": "Allow direct access to key metadata to the account",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::)" +
         account + R"(:root"},
      "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
      "Resource": "*"
    }
  ]
})";
}

bool Same(const ResourcePolicyResult& r, bool deny, bool principal, bool account) {
  return r.explicit_deny == deny && r.allows_principal == principal && r.allows_account == account;
}

std::string Describe(const ResourcePolicyResult& r) {
  return "deny=" + std::to_string(r.explicit_deny) + " principal=" + std::to_string(r.allows_principal) +
         " account=" + std::to_string(r.allows_account);
}

#define EXPECT_RESULT(r, deny, principal, account) \
  EXPECT_TRUE(Same((r), (deny), (principal), (account))) << Describe(r)

// ------------------------------------------------------------------ basics

TEST(PrincipalTest, AccountRootArn) {
  EXPECT_EQ(AccountRootArn("111122223333"), "arn:aws:iam::111122223333:root");
  EXPECT_TRUE(Root(kOwner).is_root());
  EXPECT_FALSE(User(kOwner, "alice").is_root());
}

TEST(WildcardMatchTest, StarAndQuestion) {
  EXPECT_TRUE(WildcardMatch("*", "", false));
  EXPECT_TRUE(WildcardMatch("*", "anything", false));
  EXPECT_TRUE(WildcardMatch("kms:ReEncrypt*", "kms:ReEncryptFrom", false));
  EXPECT_TRUE(WildcardMatch("kms:ReEncrypt*", "kms:ReEncrypt", false));
  EXPECT_FALSE(WildcardMatch("kms:ReEncrypt*", "kms:Encrypt", false));
  EXPECT_TRUE(WildcardMatch("a?c", "abc", false));
  EXPECT_FALSE(WildcardMatch("a?c", "ac", false));
  EXPECT_FALSE(WildcardMatch("a?c", "abbc", false));
  EXPECT_TRUE(WildcardMatch("*a*b*c*", "xxaxxbxxcxx", false));
  EXPECT_FALSE(WildcardMatch("*a*b*c*", "xxcxxbxxaxx", false));
  EXPECT_TRUE(WildcardMatch("a**b", "ab", false));
  EXPECT_TRUE(WildcardMatch("*ab", "aab", false));
  EXPECT_FALSE(WildcardMatch("abc", "abcd", false));
  EXPECT_FALSE(WildcardMatch("abcd", "abc", false));
  EXPECT_FALSE(WildcardMatch("", "a", false));
  EXPECT_TRUE(WildcardMatch("", "", false));
}

TEST(WildcardMatchTest, CaseSensitivity) {
  EXPECT_TRUE(WildcardMatch("KMS:decrypt", "kms:Decrypt", true));
  EXPECT_FALSE(WildcardMatch("KMS:decrypt", "kms:Decrypt", false));
  EXPECT_TRUE(WildcardMatch("kms:get*", "kms:GetKeyPolicy", true));
}

TEST(PolicyParseTest, KeepsTextAndStatements) {
  const std::string text = DefaultKeyPolicy(kOwner);
  const PolicyDocument doc = MustParse(text);
  EXPECT_EQ(doc.text(), text);
  EXPECT_EQ(doc.statements().size(), 1u);
  const PolicyDocument ebs = MustParse(AutoEbs2Policy(kOwner, "us-east-1"));
  EXPECT_EQ(ebs.statements().size(), 2u);
}

TEST(PolicyParseTest, SingleStatementObjectAndNoVersion) {
  const PolicyDocument doc = MustParse(
      R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:Encrypt","Resource":"*"}})");
  ASSERT_EQ(doc.statements().size(), 1u);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "alice"), "kms:Encrypt")), false, false, true);
  MustParse(R"({"Version":"2008-10-17","Statement":[]})");
}

// ------------------------------------------------------------------ KMS default policy

TEST(KeyPolicyTest, DefaultPolicyDelegatesToOwnerAccount) {
  const PolicyDocument doc = MustParse(DefaultKeyPolicy(kOwner));
  for (const char* action : {"kms:Decrypt", "kms:Encrypt", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"}) {
    SCOPED_TRACE(action);
    EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "alice"), action)), false, false, true);
    // The root user is matched through the account principal: allows_account.
    EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(Root(kOwner), action)), false, false, true);
    EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOther, "alice"), action)), false, false, false);
    EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(Root(kOther), action)), false, false, false);
  }
  // Non-KMS actions are not covered by kms:*.
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "alice"), "ec2:CreateVolume")), false, false, false);
}

// ------------------------------------------------------------------ auto-ebs-2

TEST(KeyPolicyTest, AutoEbs2AllowsOwnerAccountViaEc2) {
  const PolicyDocument doc = MustParse(AutoEbs2Policy(kOwner, "us-east-1"));
  const Principal alice = User(kOwner, "alice");
  const std::map<std::string, std::vector<std::string>> via_ec2 = {
      {"kms:ViaService", {"ec2.us-east-1.amazonaws.com"}}, {"kms:CallerAccount", {kOwner}}};
  for (const char* action : {"kms:Decrypt", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                             "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant"}) {
    SCOPED_TRACE(action);
    EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(alice, action, via_ec2)), false, true, false);
  }
  // DescribeKey is in both statements.
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(alice, "kms:DescribeKey", via_ec2)), false, true, true);
  // Condition key names are case-insensitive.
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(alice, "kms:Decrypt",
                                                    {{"KMS:VIASERVICE", {"ec2.us-east-1.amazonaws.com"}},
                                                     {"kms:calleraccount", {kOwner}}})),
                false, true, false);
}

TEST(KeyPolicyTest, AutoEbs2DeniesDirectUse) {
  const PolicyDocument doc = MustParse(AutoEbs2Policy(kOwner, "us-east-1"));
  const Principal alice = User(kOwner, "alice");
  // No ViaService: the direct call is not allowed by anything.
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(alice, "kms:Decrypt", {{"kms:CallerAccount", {kOwner}}})), false,
                false, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(alice, "kms:Encrypt", {{"kms:CallerAccount", {kOwner}}})), false,
                false, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(Root(kOwner), "kms:Decrypt", {{"kms:CallerAccount", {kOwner}}})),
                false, false, false);
  // Via another service or region.
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(alice, "kms:Decrypt",
                                                    {{"kms:ViaService", {"ec2.us-west-2.amazonaws.com"}},
                                                     {"kms:CallerAccount", {kOwner}}})),
                false, false, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(alice, "kms:Decrypt",
                                                    {{"kms:ViaService", {"s3.us-east-1.amazonaws.com"}},
                                                     {"kms:CallerAccount", {kOwner}}})),
                false, false, false);
  // Values are case-sensitive.
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(alice, "kms:Decrypt",
                                                    {{"kms:ViaService", {"EC2.us-east-1.amazonaws.com"}},
                                                     {"kms:CallerAccount", {kOwner}}})),
                false, false, false);
  // Actions outside both statements.
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(alice, "kms:ScheduleKeyDeletion",
                                                    {{"kms:ViaService", {"ec2.us-east-1.amazonaws.com"}},
                                                     {"kms:CallerAccount", {kOwner}}})),
                false, false, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(alice, "kms:PutKeyPolicy")), false, false, false);
}

TEST(KeyPolicyTest, AutoEbs2NeverAllowsAnotherAccount) {
  const PolicyDocument doc = MustParse(AutoEbs2Policy(kOwner, "us-east-1"));
  const Principal bob = User(kOther, "bob");
  for (const char* action : {"kms:Decrypt", "kms:CreateGrant", "kms:DescribeKey", "kms:GetKeyPolicy"}) {
    SCOPED_TRACE(action);
    EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(bob, action,
                                                      {{"kms:ViaService", {"ec2.us-east-1.amazonaws.com"}},
                                                       {"kms:CallerAccount", {kOther}}})),
                  false, false, false);
    EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(Root(kOther), action,
                                                      {{"kms:ViaService", {"ec2.us-east-1.amazonaws.com"}},
                                                       {"kms:CallerAccount", {kOther}}})),
                  false, false, false);
  }
}

TEST(KeyPolicyTest, AutoEbs2MetadataStatementForAccount) {
  const PolicyDocument doc = MustParse(AutoEbs2Policy(kOwner, "us-east-1"));
  const Principal alice = User(kOwner, "alice");
  for (const char* action : {"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListGrants",
                             "kms:ListResourceTags", "kms:RevokeGrant"}) {
    SCOPED_TRACE(action);
    EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(alice, action)), false, false, true);
    EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(Root(kOwner), action)), false, false, true);
  }
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(alice, "kms:RetireGrant")), false, false, false);
}

// ------------------------------------------------------------------ actions and resources

TEST(ActionTest, WildcardsAndCase) {
  const PolicyDocument doc = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":["kms:ReEncrypt*","KMS:describe?ey"],"Resource":"*"}]})",
                                       PolicyKind::kIdentity);
  const Principal alice = User(kOwner, "alice");
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:ReEncryptFrom")), Decision::kAllow);
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:ReEncryptTo")), Decision::kAllow);
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:reencryptto")), Decision::kAllow);
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:DescribeKey")), Decision::kAllow);
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:Encrypt")), Decision::kImplicitDeny);
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "ec2:ReEncryptFrom")), Decision::kImplicitDeny);

  const PolicyDocument all =
      MustParse(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})", PolicyKind::kIdentity);
  EXPECT_EQ(EvaluateIdentityPolicies({&all}, Request(alice, "ec2:CreateVolume")), Decision::kAllow);
  EXPECT_EQ(EvaluateIdentityPolicies({&all}, Request(alice, "kms:Decrypt")), Decision::kAllow);
}

TEST(ActionTest, NotAction) {
  const PolicyDocument doc = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","NotAction":["kms:ScheduleKeyDeletion","kms:Disable*"],"Resource":"*"}]})",
                                       PolicyKind::kIdentity);
  const Principal alice = User(kOwner, "alice");
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:Decrypt")), Decision::kAllow);
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "ec2:CreateVolume")), Decision::kAllow);
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:ScheduleKeyDeletion")), Decision::kImplicitDeny);
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:DisableKey")), Decision::kImplicitDeny);

  // NotAction with Deny in a key policy: deny everything except Decrypt.
  const PolicyDocument key = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"},
    {"Effect":"Deny","Principal":"*","NotAction":"kms:Decrypt","Resource":"*"}]})");
  EXPECT_RESULT(EvaluateResourcePolicy(key, Request(alice, "kms:Decrypt")), false, false, true);
  EXPECT_RESULT(EvaluateResourcePolicy(key, Request(alice, "kms:Encrypt")), true, false, true);
}

TEST(ResourceTest, ArnWildcardsAreCaseSensitive) {
  const PolicyDocument doc = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:key/*"}]})",
                                       PolicyKind::kIdentity);
  const Principal alice = User(kOwner, "alice");
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:Decrypt")), Decision::kAllow);
  EXPECT_EQ(EvaluateIdentityPolicies(
                {&doc}, Request(alice, "kms:Decrypt", {}, "arn:aws:kms:us-east-1:444455556666:key/abc")),
            Decision::kImplicitDeny);
  EXPECT_EQ(EvaluateIdentityPolicies(
                {&doc}, Request(alice, "kms:Decrypt", {}, "arn:aws:kms:us-east-1:111122223333:KEY/abc")),
            Decision::kImplicitDeny);
  EXPECT_EQ(EvaluateIdentityPolicies(
                {&doc}, Request(alice, "kms:Decrypt", {}, "arn:aws:kms:us-east-1:111122223333:alias/abc")),
            Decision::kImplicitDeny);
}

TEST(ResourceTest, NotResource) {
  const PolicyDocument doc = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":"kms:*","NotResource":["arn:aws:kms:us-east-1:111122223333:key/secret-*"]}]})",
                                       PolicyKind::kIdentity);
  const Principal alice = User(kOwner, "alice");
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:Decrypt")), Decision::kAllow);
  EXPECT_EQ(EvaluateIdentityPolicies(
                {&doc}, Request(alice, "kms:Decrypt", {}, "arn:aws:kms:us-east-1:111122223333:key/secret-1")),
            Decision::kImplicitDeny);
}

TEST(KeyPolicyTest, StatementWithoutActionOrResourceHasNoEffect) {
  const PolicyDocument doc = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":"*","Resource":"*"},
    {"Effect":"Allow","Principal":"*","Action":"kms:*"},
    {"Effect":"Deny","Principal":"*","Action":"kms:*"}]})");
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "alice"), "kms:Decrypt")), false, false, false);
}

// ------------------------------------------------------------------ deny

TEST(DenyTest, ExplicitDenyWinsInIdentityPolicies) {
  const PolicyDocument allow =
      MustParse(R"({"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}})", PolicyKind::kIdentity);
  const PolicyDocument deny = MustParse(
      R"({"Statement":{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}})", PolicyKind::kIdentity);
  const Principal alice = User(kOwner, "alice");
  EXPECT_EQ(EvaluateIdentityPolicies({&allow, &deny}, Request(alice, "kms:Decrypt")), Decision::kExplicitDeny);
  EXPECT_EQ(EvaluateIdentityPolicies({&deny, &allow}, Request(alice, "kms:Decrypt")), Decision::kExplicitDeny);
  EXPECT_EQ(EvaluateIdentityPolicies({&allow, &deny}, Request(alice, "kms:Encrypt")), Decision::kAllow);
  EXPECT_EQ(EvaluateIdentityPolicies({&deny}, Request(alice, "kms:Encrypt")), Decision::kImplicitDeny);
  EXPECT_EQ(EvaluateIdentityPolicies({}, Request(alice, "kms:Encrypt")), Decision::kImplicitDeny);
}

TEST(DenyTest, ExplicitDenyInKeyPolicy) {
  const PolicyDocument doc = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
    {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/mallory"},"Action":"kms:*","Resource":"*"},
    {"Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"kms:Decrypt","Resource":"*"}]})");
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "alice"), "kms:Decrypt")), false, true, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "mallory"), "kms:Decrypt")), true, true, false);
  // A deny naming an account denies all of its principals, root included.
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOther, "bob"), "kms:Decrypt")), true, true, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(Root(kOther), "kms:Decrypt")), true, true, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOther, "bob"), "kms:Encrypt")), false, true, false);

  const PolicyDocument everyone = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"},
    {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:ScheduleKeyDeletion","Resource":"*"}]})");
  EXPECT_RESULT(EvaluateResourcePolicy(everyone, Request(Root(kOwner), "kms:ScheduleKeyDeletion")), true, false, true);
}

TEST(DenyTest, NotPrincipalDeniesEveryoneNotListed) {
  const PolicyDocument doc = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
    {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/admin","arn:aws:iam::111122223333:root"]},
     "Action":"kms:PutKeyPolicy","Resource":"*"}]})");
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "admin"), "kms:PutKeyPolicy")), false, false, true);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(Root(kOwner), "kms:PutKeyPolicy")), false, false, true);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "alice"), "kms:PutKeyPolicy")), true, false, true);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOther, "admin"), "kms:PutKeyPolicy")), true, false, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "alice"), "kms:Decrypt")), false, false, true);

  // Listing only the user (not its account) does not exempt it: AWS checks the account first.
  const PolicyDocument user_only = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/admin"},"Action":"kms:*","Resource":"*"}]})");
  EXPECT_RESULT(EvaluateResourcePolicy(user_only, Request(User(kOwner, "admin"), "kms:Decrypt")), true, false, false);

  // Listing the account exempts its root user only.
  const PolicyDocument account_only = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}]})");
  EXPECT_RESULT(EvaluateResourcePolicy(account_only, Request(Root(kOwner), "kms:Decrypt")), false, false, false);
  EXPECT_RESULT(EvaluateResourcePolicy(account_only, Request(User(kOwner, "x"), "kms:Decrypt")), true, false, false);
}

// ------------------------------------------------------------------ principals

TEST(PrincipalMatchTest, Forms) {
  const PolicyDocument doc = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:user/bob", "111122223333"]},
     "Action":"kms:Decrypt","Resource":"*"}]})");
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOther, "bob"), "kms:Decrypt")), false, true, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOther, "carol"), "kms:Decrypt")), false, false, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(Root(kOther), "kms:Decrypt")), false, false, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "alice"), "kms:Decrypt")), false, false, true);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(Root(kOwner), "kms:Decrypt")), false, false, true);

  // A user ARN with a path must match exactly.
  Principal pathed = User(kOther, "bob");
  pathed.arn = "arn:aws:iam::444455556666:user/dev/bob";
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(pathed, "kms:Decrypt")), false, false, false);

  const PolicyDocument star = MustParse(
      R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]})");
  EXPECT_RESULT(EvaluateResourcePolicy(star, Request(User(kOther, "bob"), "kms:Decrypt")), false, true, false);
  EXPECT_RESULT(EvaluateResourcePolicy(star, Request(Root(kOwner), "kms:Decrypt")), false, true, false);
}

TEST(PrincipalMatchTest, ServicePrincipalNeedsServiceKey) {
  const PolicyDocument doc = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":"kms:Decrypt","Resource":"*"}]})");
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "alice"), "kms:Decrypt")), false, false, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(Root(kOwner), "kms:Decrypt")), false, false, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(Principal(), "kms:Decrypt",
                                                    {{std::string(kServicePrincipalConditionKey),
                                                      {"ec2.amazonaws.com"}}})),
                false, true, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(Principal(), "kms:Decrypt",
                                                    {{"kura:serviceprincipal", {"s3.amazonaws.com"}}})),
                false, false, false);
  // A user named like a service does not match either.
  EXPECT_RESULT(EvaluateResourcePolicy(
                    doc, Request(User(kOwner, "alice"), "kms:Decrypt", {{"kms:ViaService", {"ec2.amazonaws.com"}}})),
                false, false, false);
}

TEST(PrincipalMatchTest, FederatedNeverMatches) {
  const PolicyDocument doc = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"kms:*","Resource":"*"}]})");
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "alice"), "kms:Decrypt")), false, false, false);
}

// ------------------------------------------------------------------ string conditions

TEST(ConditionTest, StringEqualsAndNotEquals) {
  const std::string eq = R"({"StringEquals":{"kms:CallerAccount":["111122223333","777788889999"]}})";
  EXPECT_TRUE(ConditionHolds(eq, {{"kms:CallerAccount", {kOwner}}}));
  EXPECT_TRUE(ConditionHolds(eq, {{"kms:CallerAccount", {"777788889999"}}}));
  EXPECT_FALSE(ConditionHolds(eq, {{"kms:CallerAccount", {kOther}}}));
  EXPECT_FALSE(ConditionHolds(eq, {}));  // missing key: false

  const std::string ne = R"({"StringNotEquals":{"kms:CallerAccount":["111122223333","777788889999"]}})";
  EXPECT_FALSE(ConditionHolds(ne, {{"kms:CallerAccount", {kOwner}}}));  // NOR over values
  EXPECT_FALSE(ConditionHolds(ne, {{"kms:CallerAccount", {"777788889999"}}}));
  EXPECT_TRUE(ConditionHolds(ne, {{"kms:CallerAccount", {kOther}}}));
  EXPECT_TRUE(ConditionHolds(ne, {}));  // missing key: true for negated operators
}

TEST(ConditionTest, StringIgnoreCase) {
  const std::string eq = R"({"StringEqualsIgnoreCase":{"kms:ViaService":"EC2.US-EAST-1.amazonaws.com"}})";
  EXPECT_TRUE(ConditionHolds(eq, {{"kms:ViaService", {"ec2.us-east-1.amazonaws.com"}}}));
  EXPECT_FALSE(ConditionHolds(eq, {{"kms:ViaService", {"ec2.us-west-2.amazonaws.com"}}}));
  EXPECT_FALSE(ConditionHolds(eq, {}));
  const std::string ne = R"({"StringNotEqualsIgnoreCase":{"kms:ViaService":"EC2.US-EAST-1.amazonaws.com"}})";
  EXPECT_FALSE(ConditionHolds(ne, {{"kms:ViaService", {"ec2.us-east-1.amazonaws.com"}}}));
  EXPECT_TRUE(ConditionHolds(ne, {{"kms:ViaService", {"ec2.us-west-2.amazonaws.com"}}}));
  EXPECT_TRUE(ConditionHolds(ne, {}));
}

TEST(ConditionTest, StringLikeAndNotLike) {
  const std::string like = R"({"StringLike":{"kms:ViaService":"ec2.*.amazonaws.com"}})";
  EXPECT_TRUE(ConditionHolds(like, {{"kms:ViaService", {"ec2.eu-west-1.amazonaws.com"}}}));
  EXPECT_FALSE(ConditionHolds(like, {{"kms:ViaService", {"s3.eu-west-1.amazonaws.com"}}}));
  EXPECT_FALSE(ConditionHolds(like, {{"kms:ViaService", {"EC2.eu-west-1.amazonaws.com"}}}));  // case-sensitive
  EXPECT_FALSE(ConditionHolds(like, {}));
  EXPECT_TRUE(ConditionHolds(R"({"StringLike":{"aws:username":"al?ce"}})", {}));
  const std::string not_like = R"({"StringNotLike":{"kms:ViaService":["ec2.*","rds.*"]}})";
  EXPECT_FALSE(ConditionHolds(not_like, {{"kms:ViaService", {"ec2.eu-west-1.amazonaws.com"}}}));
  EXPECT_FALSE(ConditionHolds(not_like, {{"kms:ViaService", {"rds.eu-west-1.amazonaws.com"}}}));
  EXPECT_TRUE(ConditionHolds(not_like, {{"kms:ViaService", {"s3.eu-west-1.amazonaws.com"}}}));
  EXPECT_TRUE(ConditionHolds(not_like, {}));
  // StringEquals does not treat '*' as a wildcard.
  EXPECT_FALSE(ConditionHolds(R"({"StringEquals":{"kms:ViaService":"ec2.*"}})",
                              {{"kms:ViaService", {"ec2.eu-west-1.amazonaws.com"}}}));
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"kms:ViaService":"ec2.*"}})", {{"kms:ViaService", {"ec2.*"}}}));
}

TEST(ConditionTest, IfExists) {
  const std::string c = R"({"StringEqualsIfExists":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}})";
  EXPECT_TRUE(ConditionHolds(c, {}));
  EXPECT_TRUE(ConditionHolds(c, {{"kms:ViaService", {"ec2.us-east-1.amazonaws.com"}}}));
  EXPECT_FALSE(ConditionHolds(c, {{"kms:ViaService", {"s3.us-east-1.amazonaws.com"}}}));
  const std::string n = R"({"StringNotLikeIfExists":{"kms:ViaService":"s3.*"}})";
  EXPECT_TRUE(ConditionHolds(n, {}));
  EXPECT_FALSE(ConditionHolds(n, {{"kms:ViaService", {"s3.us-east-1.amazonaws.com"}}}));
  EXPECT_TRUE(ConditionHolds(R"({"NumericLessThanIfExists":{"kms:x":"5"}})", {}));
  EXPECT_FALSE(ConditionHolds(R"({"NumericLessThanIfExists":{"kms:x":"5"}})", {{"kms:x", {"6"}}}));
  EXPECT_TRUE(ConditionHolds(R"({"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:ec2:*"}})", {}));
  EXPECT_TRUE(ConditionHolds(R"({"BoolIfExists":{"kms:GrantIsForAWSResource":"true"}})", {}));
}

TEST(ConditionTest, EncryptionContextKeyNamesCaseInsensitiveValuesCaseSensitive) {
  const std::string c = R"({"StringEquals":{"kms:EncryptionContext:Department":"Finance"}})";
  EXPECT_TRUE(ConditionHolds(c, {{"kms:EncryptionContext:Department", {"Finance"}}}));
  EXPECT_TRUE(ConditionHolds(c, {{"kms:encryptioncontext:department", {"Finance"}}}));
  EXPECT_TRUE(ConditionHolds(c, {{"KMS:ENCRYPTIONCONTEXT:DEPARTMENT", {"Finance"}}}));
  EXPECT_FALSE(ConditionHolds(c, {{"kms:EncryptionContext:Department", {"finance"}}}));
  EXPECT_FALSE(ConditionHolds(c, {{"kms:EncryptionContext:Team", {"Finance"}}}));
  const std::string upper = R"({"StringEquals":{"KMS:ENCRYPTIONCONTEXT:DEPARTMENT":"Finance"}})";
  EXPECT_TRUE(ConditionHolds(upper, {{"kms:EncryptionContext:Department", {"Finance"}}}));
}

TEST(ConditionTest, MultipleKeysAndOperatorsAreAnded) {
  const std::string c = R"({
    "StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"ec2.us-east-1.amazonaws.com"},
    "Bool":{"kms:GrantIsForAWSResource":"true"}})";
  EXPECT_TRUE(ConditionHolds(c, {{"kms:CallerAccount", {kOwner}},
                                 {"kms:ViaService", {"ec2.us-east-1.amazonaws.com"}},
                                 {"kms:GrantIsForAWSResource", {"true"}}}));
  EXPECT_FALSE(ConditionHolds(c, {{"kms:CallerAccount", {kOwner}},
                                  {"kms:ViaService", {"ec2.us-east-1.amazonaws.com"}},
                                  {"kms:GrantIsForAWSResource", {"false"}}}));
  EXPECT_FALSE(ConditionHolds(c, {{"kms:CallerAccount", {kOwner}}, {"kms:GrantIsForAWSResource", {"true"}}}));
}

// ------------------------------------------------------------------ ARN conditions

TEST(ConditionTest, ArnOperators) {
  const std::string like = R"({"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/ops-*"}})";
  EXPECT_TRUE(ConditionHolds(like, {}, User(kOwner, "ops-1")));
  EXPECT_TRUE(ConditionHolds(like, {}, User(kOther, "ops-2")));
  EXPECT_FALSE(ConditionHolds(like, {}, User(kOwner, "dev-1")));
  EXPECT_FALSE(ConditionHolds(like, {}, Root(kOwner)));
  // In a six-part pattern a '*' does not cross a colon.
  EXPECT_TRUE(ConditionHolds(R"({"ArnLike":{"aws:SourceArn":"arn:aws:ec2:*:111122223333:volume/*"}})",
                             {{"aws:SourceArn", {"arn:aws:ec2:us-east-1:111122223333:volume/vol-1"}}}));
  EXPECT_FALSE(ConditionHolds(R"({"ArnLike":{"aws:SourceArn":"arn:aws:ec2:*:111122223333:volume/*"}})",
                              {{"aws:SourceArn", {"arn:aws:ec2:us-east-1:x:111122223333:volume/vol-1"}}}));
  EXPECT_TRUE(ConditionHolds(R"({"ArnLike":{"aws:SourceArn":"arn:aws:ec2:us-east-1:*:*"}})",
                             {{"aws:SourceArn", {"arn:aws:ec2:us-east-1:111122223333:volume/vol-1"}}}));
  EXPECT_FALSE(ConditionHolds(R"({"ArnLike":{"aws:SourceArn":"arn:aws:ec2:us-east-1:*:*"}})",
                              {{"aws:SourceArn", {"arn:aws:ec2:us-east-1:111122223333"}}}));
  // A pattern with fewer than six parts is matched as a whole.
  EXPECT_TRUE(ConditionHolds(R"({"ArnLike":{"aws:SourceArn":"arn:aws:ec2:us-east-1:*"}})",
                             {{"aws:SourceArn", {"arn:aws:ec2:us-east-1:111122223333:volume/vol-1"}}}));
  EXPECT_TRUE(ConditionHolds(R"({"ArnLike":{"aws:SourceArn":"*"}})", {{"aws:SourceArn", {"anything"}}}));
  // Resource part keeps its colons.
  EXPECT_TRUE(ConditionHolds(R"({"ArnEquals":{"aws:SourceArn":"arn:aws:logs:us-east-1:111122223333:log-group:x:*"}})",
                             {{"aws:SourceArn", {"arn:aws:logs:us-east-1:111122223333:log-group:x:stream"}}}));
  const std::string equals = R"({"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/alice"}})";
  EXPECT_TRUE(ConditionHolds(equals, {}, User(kOwner, "alice")));
  EXPECT_FALSE(ConditionHolds(equals, {}, User(kOwner, "Alice")));
  EXPECT_FALSE(ConditionHolds(equals, {{"aws:PrincipalArn", {"not-an-arn"}}}));
  const std::string not_equals = R"({"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/alice"}})";
  EXPECT_FALSE(ConditionHolds(not_equals, {}, User(kOwner, "alice")));
  EXPECT_TRUE(ConditionHolds(not_equals, {}, User(kOwner, "bob")));
  EXPECT_TRUE(ConditionHolds(not_equals, {}, Principal()));  // missing key
  const std::string not_like = R"({"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}})";
  EXPECT_FALSE(ConditionHolds(not_like, {}, User(kOwner, "bob")));
  EXPECT_TRUE(ConditionHolds(not_like, {}, User(kOther, "bob")));
}

// ------------------------------------------------------------------ Bool and Null

TEST(ConditionTest, BoolWithGrantIsForAwsResource) {
  const std::string c = R"({"Bool":{"kms:GrantIsForAWSResource":true}})";
  EXPECT_TRUE(ConditionHolds(c, {{"kms:GrantIsForAWSResource", {"true"}}}));
  EXPECT_TRUE(ConditionHolds(c, {{"kms:GrantIsForAWSResource", {"TRUE"}}}));
  EXPECT_FALSE(ConditionHolds(c, {{"kms:GrantIsForAWSResource", {"false"}}}));
  EXPECT_FALSE(ConditionHolds(c, {{"kms:GrantIsForAWSResource", {"yes"}}}));
  EXPECT_FALSE(ConditionHolds(c, {}));
  const std::string f = R"({"Bool":{"kms:GrantIsForAWSResource":"false"}})";
  EXPECT_TRUE(ConditionHolds(f, {{"kms:GrantIsForAWSResource", {"false"}}}));
  EXPECT_FALSE(ConditionHolds(f, {}));

  // The usual pattern: only let AWS services create grants.
  const PolicyDocument doc = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},
     "Action":["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Resource":"*",
     "Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}}]})");
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "alice"), "kms:CreateGrant",
                                                    {{"kms:GrantIsForAWSResource", {"true"}}})),
                false, true, false);
  EXPECT_RESULT(EvaluateResourcePolicy(doc, Request(User(kOwner, "alice"), "kms:CreateGrant")), false, false, false);
}

TEST(ConditionTest, Null) {
  const std::string absent = R"({"Null":{"kms:ViaService":"true"}})";
  EXPECT_TRUE(ConditionHolds(absent, {}));
  EXPECT_FALSE(ConditionHolds(absent, {{"kms:ViaService", {"ec2.us-east-1.amazonaws.com"}}}));
  const std::string present = R"({"Null":{"kms:ViaService":false}})";
  EXPECT_FALSE(ConditionHolds(present, {}));
  EXPECT_TRUE(ConditionHolds(present, {{"kms:ViaService", {"ec2.us-east-1.amazonaws.com"}}}));
  // An empty multi-valued key counts as absent.
  EXPECT_TRUE(ConditionHolds(R"({"Null":{"kms:EncryptionContextKeys":"true"}})", {{"kms:EncryptionContextKeys", {}}}));
  // aws:username exists for users only.
  EXPECT_TRUE(ConditionHolds(R"({"Null":{"aws:username":"true"}})", {}, Root(kOwner)));
  EXPECT_FALSE(ConditionHolds(R"({"Null":{"aws:username":"true"}})", {}, User(kOwner, "alice")));
}

// ------------------------------------------------------------------ numeric and date

TEST(ConditionTest, NumericOperators) {
  const std::map<std::string, std::vector<std::string>> five = {{"kms:n", {"5"}}};
  EXPECT_TRUE(ConditionHolds(R"({"NumericEquals":{"kms:n":5}})", five));
  EXPECT_TRUE(ConditionHolds(R"({"NumericEquals":{"kms:n":"5.0"}})", five));
  EXPECT_FALSE(ConditionHolds(R"({"NumericEquals":{"kms:n":"6"}})", five));
  EXPECT_FALSE(ConditionHolds(R"({"NumericNotEquals":{"kms:n":"5"}})", five));
  EXPECT_TRUE(ConditionHolds(R"({"NumericNotEquals":{"kms:n":["6","7"]}})", five));
  EXPECT_FALSE(ConditionHolds(R"({"NumericNotEquals":{"kms:n":["5","7"]}})", five));
  EXPECT_TRUE(ConditionHolds(R"({"NumericNotEquals":{"kms:n":"5"}})", {}));
  EXPECT_TRUE(ConditionHolds(R"({"NumericLessThan":{"kms:n":"5.5"}})", five));
  EXPECT_FALSE(ConditionHolds(R"({"NumericLessThan":{"kms:n":"5"}})", five));
  EXPECT_TRUE(ConditionHolds(R"({"NumericLessThanEquals":{"kms:n":"5"}})", five));
  EXPECT_FALSE(ConditionHolds(R"({"NumericLessThanEquals":{"kms:n":"4"}})", five));
  EXPECT_TRUE(ConditionHolds(R"({"NumericGreaterThan":{"kms:n":"-1"}})", five));
  EXPECT_FALSE(ConditionHolds(R"({"NumericGreaterThan":{"kms:n":"5"}})", five));
  EXPECT_TRUE(ConditionHolds(R"({"NumericGreaterThanEquals":{"kms:n":"5"}})", five));
  EXPECT_FALSE(ConditionHolds(R"({"NumericGreaterThanEquals":{"kms:n":"6"}})", five));
  EXPECT_FALSE(ConditionHolds(R"({"NumericLessThan":{"kms:n":"10"}})", {}));
  // A request value that is not a number never satisfies the condition.
  EXPECT_FALSE(ConditionHolds(R"({"NumericLessThan":{"kms:n":"10"}})", {{"kms:n", {"abc"}}}));
  EXPECT_FALSE(ConditionHolds(R"({"NumericNotEquals":{"kms:n":"10"}})", {{"kms:n", {"abc"}}}));
}

TEST(ConditionTest, DateOperators) {
  const std::map<std::string, std::vector<std::string>> now = {{"aws:CurrentTime", {"2024-06-01T12:00:00Z"}}};
  EXPECT_TRUE(ConditionHolds(R"({"DateEquals":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}})", now));
  EXPECT_TRUE(ConditionHolds(R"({"DateEquals":{"aws:CurrentTime":"2024-06-01T14:00:00+02:00"}})", now));
  EXPECT_TRUE(ConditionHolds(R"({"DateEquals":{"aws:CurrentTime":"1717243200"}})", now));  // epoch seconds
  EXPECT_TRUE(ConditionHolds(R"({"DateEquals":{"aws:CurrentTime":1717243200}})", now));
  EXPECT_FALSE(ConditionHolds(R"({"DateEquals":{"aws:CurrentTime":"2024-06-01"}})", now));
  EXPECT_TRUE(ConditionHolds(R"({"DateNotEquals":{"aws:CurrentTime":"2024-06-01"}})", now));
  EXPECT_FALSE(ConditionHolds(R"({"DateNotEquals":{"aws:CurrentTime":"2024-06-01T12:00:00.000Z"}})", now));
  EXPECT_TRUE(ConditionHolds(R"({"DateLessThan":{"aws:CurrentTime":"2024-06-02"}})", now));
  EXPECT_FALSE(ConditionHolds(R"({"DateLessThan":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}})", now));
  EXPECT_TRUE(ConditionHolds(R"({"DateLessThanEquals":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}})", now));
  EXPECT_TRUE(ConditionHolds(R"({"DateGreaterThan":{"aws:CurrentTime":"2024-06-01T11:59:59.5Z"}})", now));
  EXPECT_FALSE(ConditionHolds(R"({"DateGreaterThan":{"aws:CurrentTime":"2025-01-01"}})", now));
  EXPECT_TRUE(ConditionHolds(R"({"DateGreaterThanEquals":{"aws:CurrentTime":"2024-06-01T12:00Z"}})", now));
  EXPECT_FALSE(ConditionHolds(R"({"DateGreaterThanEquals":{"aws:CurrentTime":"2024-06-01T12:00-01:00"}})", now));
  EXPECT_TRUE(ConditionHolds(R"({"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}})",
                             {{"aws:CurrentTime", {"1717243200"}}}));
  EXPECT_FALSE(ConditionHolds(R"({"DateLessThan":{"aws:CurrentTime":"2030-01-01"}})", {}));
  EXPECT_FALSE(ConditionHolds(R"({"DateLessThan":{"aws:CurrentTime":"2030-01-01"}})",
                              {{"aws:CurrentTime", {"yesterday"}}}));
  // Leap days.
  EXPECT_TRUE(ConditionHolds(R"({"DateEquals":{"aws:CurrentTime":"2024-02-29T00:00:00Z"}})",
                             {{"aws:CurrentTime", {"1709164800"}}}));
}

TEST(ConditionTest, IpAddress) {
  const std::string c = R"({"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}})";
  EXPECT_TRUE(ConditionHolds(c, {{"aws:SourceIp", {"203.0.113.7"}}}));
  EXPECT_TRUE(ConditionHolds(c, {{"aws:SourceIp", {"2001:db8::1"}}}));
  EXPECT_FALSE(ConditionHolds(c, {{"aws:SourceIp", {"203.0.114.7"}}}));
  EXPECT_FALSE(ConditionHolds(c, {}));
  const std::string n = R"({"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}})";
  EXPECT_TRUE(ConditionHolds(n, {{"aws:SourceIp", {"203.0.113.7"}}}));
  EXPECT_FALSE(ConditionHolds(n, {{"aws:SourceIp", {"10.1.2.3"}}}));
}

// ------------------------------------------------------------------ multi-valued keys

TEST(ConditionTest, ForAllValuesWithEncryptionContextKeys) {
  const std::string c = R"({"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Department","Project"]}})";
  EXPECT_TRUE(ConditionHolds(c, {{"kms:EncryptionContextKeys", {"Department"}}}));
  EXPECT_TRUE(ConditionHolds(c, {{"kms:EncryptionContextKeys", {"Department", "Project"}}}));
  EXPECT_FALSE(ConditionHolds(c, {{"kms:EncryptionContextKeys", {"Department", "Owner"}}}));
  EXPECT_FALSE(ConditionHolds(c, {{"kms:EncryptionContextKeys", {"department"}}}));
  EXPECT_TRUE(ConditionHolds(c, {}));                                 // missing: true
  EXPECT_TRUE(ConditionHolds(c, {{"kms:EncryptionContextKeys", {}}}));  // empty: true
  const std::string like = R"({"ForAllValues:StringLike":{"kms:EncryptionContextKeys":"aws:*"}})";
  EXPECT_TRUE(ConditionHolds(like, {{"kms:EncryptionContextKeys", {"aws:ebs:id", "aws:x"}}}));
  EXPECT_FALSE(ConditionHolds(like, {{"kms:EncryptionContextKeys", {"aws:ebs:id", "mine"}}}));
  const std::string negated = R"({"ForAllValues:StringNotEquals":{"kms:EncryptionContextKeys":["Secret"]}})";
  EXPECT_TRUE(ConditionHolds(negated, {{"kms:EncryptionContextKeys", {"A", "B"}}}));
  EXPECT_FALSE(ConditionHolds(negated, {{"kms:EncryptionContextKeys", {"A", "Secret"}}}));
}

TEST(ConditionTest, ForAnyValueWithEncryptionContextKeys) {
  const std::string c = R"({"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":["Department","Project"]}})";
  EXPECT_TRUE(ConditionHolds(c, {{"kms:EncryptionContextKeys", {"Owner", "Project"}}}));
  EXPECT_FALSE(ConditionHolds(c, {{"kms:EncryptionContextKeys", {"Owner"}}}));
  EXPECT_FALSE(ConditionHolds(c, {}));  // missing: false
  EXPECT_FALSE(ConditionHolds(c, {{"kms:EncryptionContextKeys", {}}}));
  const std::string negated = R"({"ForAnyValue:StringNotEquals":{"kms:EncryptionContextKeys":"Department"}})";
  EXPECT_TRUE(ConditionHolds(negated, {{"kms:EncryptionContextKeys", {"Department", "Owner"}}}));
  EXPECT_FALSE(ConditionHolds(negated, {{"kms:EncryptionContextKeys", {"Department"}}}));
  EXPECT_FALSE(ConditionHolds(negated, {}));
  // Operator names and prefixes are case-insensitive.
  EXPECT_TRUE(ConditionHolds(R"({"foranyvalue:stringequals":{"kms:GrantOperations":"Decrypt"}})",
                             {{"kms:GrantOperations", {"Encrypt", "Decrypt"}}}));
  EXPECT_TRUE(ConditionHolds(R"({"ForAnyValue:StringLikeIfExists":{"kms:GrantOperations":"Re*"}})", {}));
}

TEST(ConditionTest, MultiValuedKeyWithoutSetOperator) {
  // Any request value may match; negated operators need no value to match.
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"kms:GrantOperations":"Decrypt"}})",
                             {{"kms:GrantOperations", {"Encrypt", "Decrypt"}}}));
  EXPECT_FALSE(ConditionHolds(R"({"StringNotEquals":{"kms:GrantOperations":"Decrypt"}})",
                              {{"kms:GrantOperations", {"Encrypt", "Decrypt"}}}));
  EXPECT_TRUE(ConditionHolds(R"({"StringNotEquals":{"kms:GrantOperations":"Decrypt"}})",
                             {{"kms:GrantOperations", {"Encrypt", "ReEncryptFrom"}}}));
}

TEST(ConditionTest, GranteePrincipal) {
  const std::string c = R"({"StringEquals":{"kms:GranteePrincipal":"arn:aws:iam::111122223333:user/alice"}})";
  EXPECT_TRUE(ConditionHolds(c, {{"kms:GranteePrincipal", {"arn:aws:iam::111122223333:user/alice"}}}));
  EXPECT_FALSE(ConditionHolds(c, {{"kms:GranteePrincipal", {"arn:aws:iam::111122223333:user/bob"}}}));
}

// ------------------------------------------------------------------ global keys

TEST(GlobalKeysTest, FilledFromPrincipal) {
  const Principal alice = User(kOwner, "alice");
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"aws:PrincipalAccount":"111122223333"}})", {}, alice));
  EXPECT_FALSE(ConditionHolds(R"({"StringEquals":{"aws:PrincipalAccount":"111122223333"}})", {}, User(kOther, "a")));
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/alice"}})", {},
                             alice));
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"aws:userid":"AIDAaliceEXAMPLE"}})", {}, alice));
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"aws:UserName":"alice"}})", {}, alice));
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"aws:PrincipalType":"User"}})", {}, alice));
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"aws:PrincipalType":"Account"}})", {}, Root(kOwner)));
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"aws:userid":"111122223333"}})", {}, Root(kOwner)));
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:root"}})", {},
                             Root(kOwner)));
  EXPECT_FALSE(ConditionHolds(R"({"StringEquals":{"aws:username":""}})", {}, Root(kOwner)));
  // A value given in the request wins.
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"aws:PrincipalAccount":"999999999999"}})",
                             {{"aws:principalaccount", {"999999999999"}}}, alice));
}

// ------------------------------------------------------------------ policy variables

TEST(PolicyVariablesTest, ResourceAndConditionValues) {
  const PolicyDocument doc = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:${aws:PrincipalAccount}:key/${aws:username}-*"},
    {"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",
     "Condition":{"StringEquals":{"kms:EncryptionContext:Owner":"${aws:userid}"}}}]})",
                                       PolicyKind::kIdentity);
  const Principal alice = User(kOwner, "alice");
  EXPECT_EQ(EvaluateIdentityPolicies(
                {&doc}, Request(alice, "kms:Encrypt", {}, "arn:aws:kms:us-east-1:111122223333:key/alice-1")),
            Decision::kAllow);
  EXPECT_EQ(EvaluateIdentityPolicies(
                {&doc}, Request(alice, "kms:Encrypt", {}, "arn:aws:kms:us-east-1:111122223333:key/bob-1")),
            Decision::kImplicitDeny);
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(User(kOther, "alice"), "kms:Encrypt", {},
                                                     "arn:aws:kms:us-east-1:111122223333:key/alice-1")),
            Decision::kImplicitDeny);
  // The root user has no aws:username: the resource never matches.
  EXPECT_EQ(EvaluateIdentityPolicies(
                {&doc}, Request(Root(kOwner), "kms:Encrypt", {}, "arn:aws:kms:us-east-1:111122223333:key/-1")),
            Decision::kImplicitDeny);
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:Decrypt",
                                                     {{"kms:EncryptionContext:Owner", {"AIDAaliceEXAMPLE"}}})),
            Decision::kAllow);
  EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:Decrypt",
                                                     {{"kms:EncryptionContext:Owner", {"AIDAbobEXAMPLE"}}})),
            Decision::kImplicitDeny);
}

TEST(PolicyVariablesTest, SubstitutedTextIsLiteralAndDefaults) {
  Principal star = User(kOwner, "a*");
  const std::string like = R"({"StringLike":{"kms:EncryptionContext:Owner":"${aws:username}"}})";
  EXPECT_TRUE(ConditionHolds(like, {{"kms:EncryptionContext:Owner", {"a*"}}}, star));
  EXPECT_FALSE(ConditionHolds(like, {{"kms:EncryptionContext:Owner", {"abc"}}}, star));
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"kms:EncryptionContext:Tag":"${*}${?}${$}"}})",
                             {{"kms:EncryptionContext:Tag", {"*?$"}}}));
  EXPECT_FALSE(ConditionHolds(R"({"StringLike":{"kms:EncryptionContext:Tag":"${*}"}})",
                              {{"kms:EncryptionContext:Tag", {"x"}}}));
  const std::string fallback = R"({"StringEquals":{"kms:EncryptionContext:Owner":"${aws:username, 'nobody'}"}})";
  EXPECT_TRUE(ConditionHolds(fallback, {{"kms:EncryptionContext:Owner", {"nobody"}}}, Root(kOwner)));
  EXPECT_TRUE(ConditionHolds(fallback, {{"kms:EncryptionContext:Owner", {"alice"}}}, User(kOwner, "alice")));
  // An unresolvable variable makes that value match nothing.
  EXPECT_FALSE(ConditionHolds(R"({"StringEquals":{"kms:EncryptionContext:Owner":"${aws:username}"}})",
                              {{"kms:EncryptionContext:Owner", {""}}}, Root(kOwner)));
  EXPECT_FALSE(ConditionHolds(R"({"StringEquals":{"kms:EncryptionContext:Owner":"${aws:username}"}})",
                              {{"kms:EncryptionContext:Owner", {"${aws:username}"}}}, Root(kOwner)));
  // Any single-valued request key may be used as a variable.
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"kms:EncryptionContext:Account":"${kms:CallerAccount}"}})",
                             {{"kms:EncryptionContext:Account", {kOwner}}, {"kms:CallerAccount", {kOwner}}}));
}

TEST(PolicyVariablesTest, LiteralWithoutVersion2012) {
  for (const char* version : {"", R"("Version":"2008-10-17",)"}) {
    SCOPED_TRACE(version);
    const PolicyDocument doc = MustParse(std::string("{") + version + R"("Statement":[
      {"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/${aws:username}"}]})",
                                         PolicyKind::kIdentity);
    const Principal alice = User(kOwner, "alice");
    EXPECT_EQ(EvaluateIdentityPolicies(
                  {&doc}, Request(alice, "kms:Encrypt", {}, "arn:aws:kms:us-east-1:111122223333:key/alice")),
              Decision::kImplicitDeny);
    EXPECT_EQ(EvaluateIdentityPolicies({&doc}, Request(alice, "kms:Encrypt", {},
                                                       "arn:aws:kms:us-east-1:111122223333:key/${aws:username}")),
              Decision::kAllow);
  }
}

// ------------------------------------------------------------------ malformed documents

TEST(MalformedTest, NotJson) {
  EXPECT_NE(ParseError("{not json").find("policy is not valid JSON"), std::string::npos);
  EXPECT_NE(ParseError("").find("not valid JSON"), std::string::npos);
  EXPECT_NE(ParseError(R"({"Statement":[]} trailing)").find("not valid JSON"), std::string::npos);
  EXPECT_EQ(ParseError("[]"), "policy must be a JSON object");
  EXPECT_EQ(ParseError(R"("x")"), "policy must be a JSON object");
}

TEST(MalformedTest, TopLevel) {
  EXPECT_EQ(ParseError(R"({"Version":"2012-10-17"})"), "missing Statement");
  EXPECT_EQ(ParseError(R"({"Version":"2020-01-01","Statement":[]})"),
            "unsupported Version '2020-01-01' (use \"2012-10-17\")");
  EXPECT_EQ(ParseError(R"({"Version":2012,"Statement":[]})"), "Version must be a string");
  EXPECT_EQ(ParseError(R"({"Statement":[],"Extra":1})"), "unknown policy element 'Extra'");
  EXPECT_EQ(ParseError(R"({"Statement":"x"})"), "Statement must be an object or an array of objects");
  EXPECT_EQ(ParseError(R"({"Statement":[1]})"), "Statement 1: must be a JSON object");
  EXPECT_EQ(ParseError(R"({"Id":5,"Statement":[]})"), "Id must be a string");
}

TEST(MalformedTest, BadEffect) {
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"allow","Principal":"*","Action":"kms:*","Resource":"*"}]})"),
            "Statement 1: invalid Effect 'allow' (must be \"Allow\" or \"Deny\")");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Principal":"*","Action":"kms:*","Resource":"*"}]})"),
            "Statement 1: missing Effect");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":true,"Principal":"*","Action":"kms:*","Resource":"*"}]})"),
            "Statement 1: Effect must be \"Allow\" or \"Deny\"");
}

TEST(MalformedTest, UnknownOperatorNamesStatement) {
  const std::string good = R"({"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"})";
  EXPECT_EQ(ParseError(R"({"Statement":[)" + good +
                       R"(,{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
                            "Condition":{"StringEquls":{"kms:CallerAccount":"111122223333"}}}]})"),
            "Statement 2: unknown condition operator 'StringEquls'");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Sid":"Mine","Effect":"Allow","Principal":"*","Action":"kms:*",
                            "Resource":"*","Condition":{"ForSomeValues:StringEquals":{"k":"v"}}}]})"),
            "Statement 1 (Sid \"Mine\"): unknown condition operator 'ForSomeValues:StringEquals'");
  EXPECT_NE(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
                            "Condition":{"NullIfExists":{"k":"true"}}}]})")
                .find("unknown condition operator 'NullIfExists'"),
            std::string::npos);
}

TEST(MalformedTest, ConditionValues) {
  auto with = [](const std::string& condition) {
    return R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":)" +
           condition + "}]}";
  };
  EXPECT_EQ(ParseError(with(R"({"StringEquals":"x"})")),
            "Statement 1: condition operator 'StringEquals' must map to an object of condition keys");
  EXPECT_EQ(ParseError(with(R"({"StringEquals":{"k":{"a":1}}})")),
            "Statement 1: value of condition key 'k' in 'StringEquals' must be a string, number, boolean or an "
            "array of them");
  EXPECT_NE(ParseError(with(R"({"StringEquals":{"k":null}})")).find("must be a string"), std::string::npos);
  EXPECT_EQ(ParseError(with(R"({"NumericLessThan":{"k":"ten"}})")),
            "Statement 1: value 'ten' for condition key 'k' in 'NumericLessThan' is not a number");
  EXPECT_NE(ParseError(with(R"({"DateLessThan":{"k":"2024-13-01"}})")).find("is not a date"), std::string::npos);
  EXPECT_NE(ParseError(with(R"({"DateLessThan":{"k":"2023-02-29"}})")).find("is not a date"), std::string::npos);
  EXPECT_NE(ParseError(with(R"({"Bool":{"k":"yes"}})")).find("must be true or false"), std::string::npos);
  EXPECT_NE(ParseError(with(R"({"Null":{"k":1}})")).find("must be true or false"), std::string::npos);
  EXPECT_NE(ParseError(with(R"({"IpAddress":{"k":"10.0.0.0/33"}})")).find("not an IP address"), std::string::npos);
  EXPECT_EQ(ParseError(with(R"("x")")), "Statement 1: Condition must be an object");
}

TEST(MalformedTest, PrincipalRules) {
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]})",
                       PolicyKind::kIdentity),
            "Statement 1: Principal is not allowed in an identity-based policy");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Deny","NotPrincipal":"*","Action":"kms:*","Resource":"*"}]})",
                       PolicyKind::kIdentity),
            "Statement 1: NotPrincipal is not allowed in an identity-based policy");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Sid":"NoOne","Effect":"Allow","Action":"kms:*","Resource":"*"}]})"),
            "Statement 1 (Sid \"NoOne\"): missing Principal or NotPrincipal");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"kms:*",
                           "Resource":"*"}]})"),
            "Statement 1: has both Principal and NotPrincipal");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"kms:*",
                           "Resource":"*"}]})"),
            "Statement 1: NotPrincipal is only supported with Effect \"Deny\"");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":"111122223333","Action":"kms:*",
                           "Resource":"*"}]})"),
            "Statement 1: Principal must be \"*\" or an object");
  for (const char* bad : {"alice", "11112222333", "arn:aws:iam::111122223333:user/*", "arn:aws:iam::*:root",
                          "arn:aws:kms:us-east-1:111122223333:key/x", "arn:aws:iam::111122223333:", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ParseError(std::string(R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":")") + bad +
                         R"("},"Action":"kms:*","Resource":"*"}]})"),
              std::string("Statement 1: invalid AWS principal '") + bad + "'");
  }
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":{"Aws":"*"},"Action":"kms:*",
                           "Resource":"*"}]})"),
            "Statement 1: unknown principal type 'Aws' (expected AWS, Service, Federated or CanonicalUser)");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":[1]},"Action":"kms:*",
                           "Resource":"*"}]})"),
            "Statement 1: Principal AWS must be a string or an array of strings");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":{"Service":"*"},"Action":"kms:*",
                           "Resource":"*"}]})"),
            "Statement 1: invalid service principal '*'");
}

TEST(MalformedTest, ActionsAndResources) {
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","NotAction":"kms:x",
                           "Resource":"*"}]})"),
            "Statement 1: has both Action and NotAction");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
                           "NotResource":"*"}]})"),
            "Statement 1: has both Resource and NotResource");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"Decrypt","Resource":"*"}]})"),
            "Statement 1: Action 'Decrypt' must be \"*\" or \"service:action\"");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":5,"Resource":"*"}]})"),
            "Statement 1: Action must be a string or an array of strings");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"key"}]})"),
            "Statement 1: Resource 'key' must be \"*\" or an ARN");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Resource":"*"}]})", PolicyKind::kIdentity),
            "Statement 1: missing Action or NotAction");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Action":"kms:*"}]})", PolicyKind::kIdentity),
            "Statement 1: missing Resource or NotResource");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
                           "Actions":"x"}]})"),
            "Statement 1: unknown element 'Actions'");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Sid":5,"Effect":"Allow","Principal":"*","Action":"kms:*",
                           "Resource":"*"}]})"),
            "Statement 1: Sid must be a string");
}

}  // namespace
}  // namespace kura::iam
