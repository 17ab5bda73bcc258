#include "kms/grants.h"

#include <gtest/gtest.h>

#include "kms/kms_error.h"
#include "kms/types.h"

namespace kura::kms {
namespace {

Grant MakeGrant(std::vector<GrantOperation> ops, std::optional<GrantConstraints> c = std::nullopt) {
  Grant g;
  g.key_arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  g.grant_id = std::string(64, 'a');
  g.grantee_principal = "arn:aws:iam::111122223333:user/bob";
  g.operations = NormalizeOperations(std::move(ops));
  g.constraints = std::move(c);
  return g;
}

TEST(GrantsTest, ConstraintsAdmit) {
  GrantConstraints subset;
  subset.encryption_context_subset = EncryptionContext{{"aws:ebs:id", "vol-1"}};
  EXPECT_TRUE(ConstraintsAdmit(subset, {{"aws:ebs:id", "vol-1"}}));
  EXPECT_TRUE(ConstraintsAdmit(subset, {{"aws:ebs:id", "vol-1"}, {"x", "y"}}));
  EXPECT_FALSE(ConstraintsAdmit(subset, {{"aws:ebs:id", "vol-2"}}));
  EXPECT_FALSE(ConstraintsAdmit(subset, {}));

  GrantConstraints equals;
  equals.encryption_context_equals = EncryptionContext{{"a", "1"}};
  EXPECT_TRUE(ConstraintsAdmit(equals, {{"a", "1"}}));
  EXPECT_FALSE(ConstraintsAdmit(equals, {{"a", "1"}, {"b", "2"}}));
  EXPECT_FALSE(ConstraintsAdmit(equals, {}));
  EXPECT_TRUE(ConstraintsAdmit(std::nullopt, {{"anything", "x"}}));
}

TEST(GrantsTest, GrantAllowsIgnoresConstraintsForDescribeAndRetire) {
  GrantConstraints c;
  c.encryption_context_equals = EncryptionContext{{"a", "1"}};
  auto g = MakeGrant({GrantOperation::kDecrypt, GrantOperation::kDescribeKey, GrantOperation::kRetireGrant}, c);
  EXPECT_TRUE(GrantAllows(g, GrantOperation::kDecrypt, {{"a", "1"}}));
  EXPECT_FALSE(GrantAllows(g, GrantOperation::kDecrypt, {}));
  EXPECT_TRUE(GrantAllows(g, GrantOperation::kDescribeKey, {}));
  EXPECT_TRUE(GrantAllows(g, GrantOperation::kRetireGrant, {}));
  EXPECT_FALSE(GrantAllows(g, GrantOperation::kEncrypt, {{"a", "1"}}));
}

TEST(GrantsTest, WithinParentGrant) {
  GrantConstraints parent_c;
  parent_c.encryption_context_subset = EncryptionContext{{"a", "1"}};
  auto parent = MakeGrant({GrantOperation::kDecrypt, GrantOperation::kEncrypt, GrantOperation::kCreateGrant}, parent_c);
  GrantConstraints stricter;
  stricter.encryption_context_subset = EncryptionContext{{"a", "1"}, {"b", "2"}};
  EXPECT_TRUE(WithinParentGrant(parent, {GrantOperation::kDecrypt}, stricter));
  EXPECT_TRUE(WithinParentGrant(parent, {GrantOperation::kDecrypt}, parent_c));
  EXPECT_FALSE(WithinParentGrant(parent, {GrantOperation::kDecrypt}, std::nullopt));
  EXPECT_FALSE(WithinParentGrant(parent, {GrantOperation::kReEncryptFrom}, stricter));
  GrantConstraints looser;
  looser.encryption_context_subset = EncryptionContext{{"b", "2"}};
  EXPECT_FALSE(WithinParentGrant(parent, {GrantOperation::kDecrypt}, looser));
  GrantConstraints equals;
  equals.encryption_context_equals = EncryptionContext{{"a", "1"}, {"c", "3"}};
  EXPECT_TRUE(WithinParentGrant(parent, {GrantOperation::kDecrypt}, equals));
  auto unconstrained = MakeGrant({GrantOperation::kDecrypt, GrantOperation::kCreateGrant});
  EXPECT_TRUE(WithinParentGrant(unconstrained, {GrantOperation::kDecrypt}, std::nullopt));
}

TEST(GrantsTest, GranteeCandidates) {
  iam::Principal host;
  host.account_id = "111122223333";
  host.arn = "arn:aws:sts::111122223333:assumed-role/aws:ec2-infrastructure/i-0abc";
  host.user_name = "aws:ec2-infrastructure/i-0abc";
  EXPECT_TRUE(PrincipalMatches("111122223333:aws:ec2-infrastructure:i-0abc", host));
  EXPECT_FALSE(PrincipalMatches("111122223333:aws:ec2-infrastructure:i-0def", host));
  EXPECT_TRUE(PrincipalMatches(host.arn, host));
  iam::Principal role_session;
  role_session.account_id = "111122223333";
  role_session.arn = "arn:aws:sts::111122223333:assumed-role/Admin/alice";
  role_session.user_name = "Admin/alice";
  EXPECT_TRUE(PrincipalMatches("arn:aws:iam::111122223333:role/Admin", role_session));
}

TEST(GrantsTest, OperationsForSymmetricKeys) {
  EXPECT_TRUE(ValidForSymmetricKey(GrantOperation::kDecrypt));
  EXPECT_TRUE(ValidForSymmetricKey(GrantOperation::kGenerateDataKeyPair));
  EXPECT_FALSE(ValidForSymmetricKey(GrantOperation::kSign));
  EXPECT_FALSE(ValidForSymmetricKey(GrantOperation::kGenerateMac));
  EXPECT_EQ(ParseGrantOperation("GenerateDataKeyWithoutPlaintext"), GrantOperation::kGenerateDataKeyWithoutPlaintext);
  EXPECT_FALSE(ParseGrantOperation("decrypt").has_value());
}

TEST(GrantsTest, TokensAreAuthenticatedAndUnique) {
  GrantTokenCodec codec(crypto::SecretBytes(32));
  const std::string id(64, 'b');
  auto t1 = codec.Issue(id);
  auto t2 = codec.Issue(id);
  ASSERT_TRUE(t1.ok() && t2.ok());
  EXPECT_NE(*t1, *t2);
  auto back = codec.GrantIdOf(*t1);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, id);
  std::string tampered = *t1;
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ErrorOf(codec.GrantIdOf(tampered).status()), KmsError::kInvalidGrantToken);
  crypto::SecretBytes other_key(32);
  other_key.data()[0] = 1;
  GrantTokenCodec other(std::move(other_key));
  EXPECT_EQ(ErrorOf(other.GrantIdOf(*t1).status()), KmsError::kInvalidGrantToken);
  EXPECT_TRUE(codec.Validate({*t1, *t2}).ok());
  EXPECT_EQ(ErrorOf(codec.Validate({"nonsense"})), KmsError::kInvalidGrantToken);
  EXPECT_EQ(ErrorOf(codec.Validate(std::vector<std::string>(11, *t1))), KmsError::kValidation);
}

}  // namespace
}  // namespace kura::kms
