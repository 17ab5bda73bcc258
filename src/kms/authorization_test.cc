// Authorization (kms.md §4.4): key policy x IAM x grants, explicit denies,
// cross-account rules, condition keys, AccessDenied messages.
#include "kms/test_fixture.h"

namespace kura::kms::testing {
namespace {

using AuthorizationTest = KmsTest;

std::string KeyPolicyWith(const std::string& extra_statement) {
  return R"({"Version":"2012-10-17","Statement":[{"Sid":"root","Effect":"Allow","Principal":{"AWS":)"
         R"("arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},)" +
         extra_statement + "]}";
}

TEST_F(AuthorizationTest, DefaultPolicyDelegatesToIam) {
  auto k = NewKey();
  const auto alice = User(kAlice, "alice");
  EncryptRequest req;
  req.key_id = k.key_id;
  req.plaintext = Secret("x");
  auto denied = svc_->Encrypt(As(alice), req);
  EXPECT_EQ(ErrorOf(denied.status()), KmsError::kAccessDenied);
  EXPECT_EQ(denied.status().message(),
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:Encrypt on resource: " +
                k.arn + " because no identity-based policy allows the kms:Encrypt action");
  Allow(alice, R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":")" +
                   k.arn + R"("}]})");
  EXPECT_TRUE(svc_->Encrypt(As(alice), req).ok());
  EXPECT_KMS_ERROR(svc_->DescribeKey(As(alice), k.key_id), KmsError::kAccessDenied);
  // IAM-only operations.
  EXPECT_KMS_ERROR(svc_->ListKeys(As(alice), {}), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->CreateKey(As(alice), {}), KmsError::kAccessDenied);
  AllowAllKms(alice);
  EXPECT_TRUE(svc_->ListKeys(As(alice), {}).ok());
  EXPECT_TRUE(svc_->CreateKey(As(alice), {}).ok());
}

TEST_F(AuthorizationTest, KeyPolicyNamingTheUserNeedsNoIam) {
  CreateKeyRequest ck;
  ck.policy = KeyPolicyWith(
      R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:Encrypt","Resource":"*"})");
  auto k = svc_->CreateKey(As(Root(kAlice)), ck);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EncryptRequest req;
  req.key_id = k->key_id;
  req.plaintext = Secret("x");
  EXPECT_TRUE(svc_->Encrypt(As(User(kAlice, "alice")), req).ok());
  EXPECT_KMS_ERROR(svc_->Encrypt(As(User(kAlice, "mallory")), req), KmsError::kAccessDenied);
}

TEST_F(AuthorizationTest, KeyPolicyWithoutRootMakesIamIneffective) {
  CreateKeyRequest ck;
  ck.policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":)"
              R"("arn:aws:iam::111122223333:user/admin"},"Action":"kms:*","Resource":"*"}]})";
  ck.bypass_policy_lockout_safety_check = true;
  auto k = svc_->CreateKey(As(Root(kAlice)), ck);
  ASSERT_TRUE(k.ok());
  const auto alice = User(kAlice, "alice");
  AllowAllKms(alice);
  auto denied = svc_->DescribeKey(As(alice), k->key_id);
  EXPECT_EQ(denied.status().message(),
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:DescribeKey on resource: " +
                k->arn + " because no resource-based policy allows the kms:DescribeKey action");
  EXPECT_TRUE(svc_->DescribeKey(As(User(kAlice, "admin")), k->key_id).ok());
}

TEST_F(AuthorizationTest, ExplicitDenies) {
  CreateKeyRequest ck;
  ck.policy = KeyPolicyWith(
      R"({"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:Decrypt","Resource":"*"})");
  auto k = svc_->CreateKey(As(Root(kAlice)), ck);
  ASSERT_TRUE(k.ok());
  const auto alice = User(kAlice, "alice");
  AllowAllKms(alice);
  auto blob = EncryptAs(As(alice), k->key_id, "x");
  auto d = DecryptAs(As(alice), blob);
  EXPECT_EQ(d.status().message(), "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: "
                                  "kms:Decrypt on resource: " + k->arn +
                                      " with an explicit deny in a resource-based policy");
  // An explicit deny also beats a grant.
  CreateGrantRequest g;
  g.key_id = k->key_id;
  g.grantee_principal = alice.arn;
  g.operations = {GrantOperation::kDecrypt};
  ASSERT_TRUE(svc_->CreateGrant(As(Root(kAlice)), g).ok());
  EXPECT_KMS_ERROR(DecryptAs(As(alice), blob), KmsError::kAccessDenied);

  const auto bob = User(kAlice, "bob");
  AllowAllKms(bob);
  Allow(bob, R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}]})");
  EncryptRequest req;
  req.key_id = k->key_id;
  req.plaintext = Secret("x");
  auto e = svc_->Encrypt(As(bob), req);
  EXPECT_EQ(e.status().message(), "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: "
                                  "kms:Encrypt on resource: " + k->arn +
                                      " with an explicit deny in an identity-based policy");
}

TEST_F(AuthorizationTest, CrossAccountNeedsBothSidesAndAnArn) {
  CreateKeyRequest ck;
  ck.policy = KeyPolicyWith(
      R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["kms:Encrypt","kms:Decrypt","kms:DescribeKey","kms:CreateGrant","kms:ScheduleKeyDeletion","kms:GetKeyPolicy","kms:ListGrants"],"Resource":"*"})");
  auto k = svc_->CreateKey(As(Root(kAlice)), ck);
  ASSERT_TRUE(k.ok());
  auto plain = svc_->CreateKey(As(Root(kAlice)), {});  // default policy: no access for Bob
  ASSERT_TRUE(plain.ok());

  // Bob's root: IAM is implicitly allowed.
  auto bob_root = As(Root(kBob));
  EXPECT_TRUE(svc_->DescribeKey(bob_root, k->arn).ok());
  EXPECT_KMS_ERROR(svc_->DescribeKey(bob_root, k->key_id), KmsError::kNotFound);  // bare id = Bob's own account
  auto blob = EncryptAs(bob_root, k->arn, "cross");
  EXPECT_EQ(Text(DecryptAs(bob_root, blob)->plaintext), "cross");
  ListGrantsRequest lg;
  lg.key_id = k->arn;
  EXPECT_TRUE(svc_->ListGrants(bob_root, lg).ok());
  // Operations that never work across accounts, even when the policy says so.
  EXPECT_KMS_ERROR(svc_->ScheduleKeyDeletion(bob_root, k->arn, 7), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->GetKeyPolicy(bob_root, k->arn), KmsError::kAccessDenied);
  // No policy for Bob on the other key.
  auto denied = svc_->DescribeKey(bob_root, plain->arn);
  EXPECT_EQ(denied.status().message(),
            "User: arn:aws:iam::444455556666:root is not authorized to perform: kms:DescribeKey on resource: " +
                plain->arn + " because no resource-based policy allows the kms:DescribeKey action");

  // A Bob user needs his own IAM permission too.
  const auto worker = User(kBob, "worker");
  EXPECT_KMS_ERROR(svc_->DescribeKey(As(worker), k->arn), KmsError::kAccessDenied);
  Allow(worker, R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:DescribeKey","Resource":")" +
                    k->arn + R"("}]})");
  EXPECT_TRUE(svc_->DescribeKey(As(worker), k->arn).ok());
}

TEST_F(AuthorizationTest, EncryptionContextAndCallerConditions) {
  CreateKeyRequest ck;
  ck.policy = KeyPolicyWith(
      R"({"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{)"
      R"("StringEquals":{"kms:EncryptionContext:tenant":"t1","kms:CallerAccount":"111122223333"}}},)"
      R"({"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Encrypt","Resource":"*","Condition":{)"
      R"("ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["tenant"]},"Null":{"kms:EncryptionContextKeys":"false"}}})");
  auto k = svc_->CreateKey(As(Root(kAlice)), ck);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  const auto alice = User(kAlice, "alice");
  auto t1 = EncryptAs(As(Root(kAlice)), k->key_id, "a", {{"tenant", "t1"}});
  auto t2 = EncryptAs(As(Root(kAlice)), k->key_id, "b", {{"tenant", "t2"}});
  EXPECT_TRUE(DecryptAs(As(alice), t1, {{"tenant", "t1"}}).ok());
  EXPECT_KMS_ERROR(DecryptAs(As(alice), t2, {{"tenant", "t2"}}), KmsError::kAccessDenied);
  // Another account's principal fails kms:CallerAccount.
  Allow(User(kBob, "b"), R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]})");
  EXPECT_KMS_ERROR(DecryptAs(As(User(kBob, "b")), t1, {{"tenant", "t1"}}), KmsError::kAccessDenied);
  EncryptRequest req;
  req.key_id = k->arn;
  req.plaintext = Secret("x");
  req.encryption_context = {{"tenant", "t9"}};
  EXPECT_TRUE(svc_->Encrypt(As(alice), req).ok());
  req.encryption_context = {{"tenant", "t9"}, {"other", "x"}};
  EXPECT_KMS_ERROR(svc_->Encrypt(As(alice), req), KmsError::kAccessDenied);
  req.encryption_context = {};
  EXPECT_KMS_ERROR(svc_->Encrypt(As(alice), req), KmsError::kAccessDenied);
}

TEST_F(AuthorizationTest, ViaServiceAndGrantConditions) {
  CreateKeyRequest ck;
  ck.policy = KeyPolicyWith(
      R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":["kms:GenerateDataKeyWithoutPlaintext","kms:CreateGrant"],"Resource":"*",)"
      R"("Condition":{"StringEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"},"Bool":{"kms:GrantIsForAWSResource":"true"}}})");
  auto k = svc_->CreateKey(As(Root(kAlice)), ck);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  const auto alice = User(kAlice, "alice");
  CreateGrantRequest g;
  g.key_id = k->arn;
  g.grantee_principal = Ec2InfrastructureGrantee(kAlice, "i-0123");
  g.operations = {GrantOperation::kDecrypt};
  EXPECT_KMS_ERROR(svc_->CreateGrant(As(alice), g), KmsError::kAccessDenied);
  EXPECT_TRUE(svc_->CreateGrant(Caller::ViaEc2(alice, kEast), g).ok());
  // kms:GrantOperations / kms:GranteePrincipal conditions.
  CreateKeyRequest ck2;
  ck2.policy = KeyPolicyWith(
      R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:CreateGrant","Resource":"*",)"
      R"("Condition":{"ForAllValues:StringEquals":{"kms:GrantOperations":["Decrypt","DescribeKey"]},)"
      R"("StringLike":{"kms:GranteePrincipal":"arn:aws:iam::111122223333:user/*"}}})");
  auto k2 = svc_->CreateKey(As(Root(kAlice)), ck2);
  ASSERT_TRUE(k2.ok()) << k2.status().ToString();
  g.key_id = k2->key_id;
  g.grantee_principal = "arn:aws:iam::111122223333:user/bob";
  EXPECT_TRUE(svc_->CreateGrant(As(alice), g).ok());
  g.operations = {GrantOperation::kDecrypt, GrantOperation::kEncrypt};
  EXPECT_KMS_ERROR(svc_->CreateGrant(As(alice), g), KmsError::kAccessDenied);
  g.operations = {GrantOperation::kDecrypt};
  g.grantee_principal = "arn:aws:iam::444455556666:root";
  EXPECT_KMS_ERROR(svc_->CreateGrant(As(alice), g), KmsError::kAccessDenied);
}

TEST_F(AuthorizationTest, AuthorizationComesBeforeKeyState) {
  auto k = NewKey();
  ASSERT_TRUE(svc_->DisableKey(As(Root(kAlice)), k.key_id).ok());
  EncryptRequest req;
  req.key_id = k.key_id;
  req.plaintext = Secret("x");
  EXPECT_KMS_ERROR(svc_->Encrypt(As(User(kAlice, "nobody")), req), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->Encrypt(As(Root(kAlice)), req), KmsError::kDisabled);
}

}  // namespace
}  // namespace kura::kms::testing
