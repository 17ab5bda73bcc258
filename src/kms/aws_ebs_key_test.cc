// The AWS managed key alias/aws/ebs and the EC2/EBS call pattern
// (ebs-kms-flows.md §1-2): lazy creation, auto-ebs-2, ViaService, grants
// for the instance host, immutability.
#include "kms/key_policy.h"
#include "kms/test_fixture.h"

namespace kura::kms::testing {
namespace {

using AwsEbsKeyTest = KmsTest;

TEST_F(AwsEbsKeyTest, CreatedLazilyPerAccountAndRegion) {
  auto as = As(Root(kAlice));
  EXPECT_TRUE(svc_->ListKeys(as, {})->items.empty());
  auto k = svc_->DescribeKey(as, "alias/aws/ebs");
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->key_manager, KeyManager::kAws);
  EXPECT_EQ(k->description, "Default key that protects my EBS volumes when no other key is defined");
  EXPECT_EQ(k->key_state, KeyState::kEnabled);
  EXPECT_EQ(k->aws_account_id, kAlice);
  EXPECT_EQ(svc_->DescribeKey(as, "alias/aws/ebs")->arn, k->arn);  // the same key afterwards
  EXPECT_EQ(svc_->DescribeKey(as, "arn:aws:kms:us-east-1:111122223333:alias/aws/ebs")->arn, k->arn);
  EXPECT_EQ(svc_->ListKeys(as, {})->items.size(), 1u);
  auto tokyo = svc_->DescribeKey(As(Root(kAlice), kTokyo), "alias/aws/ebs");
  ASSERT_TRUE(tokyo.ok());
  EXPECT_NE(tokyo->arn, k->arn);
  auto bob = svc_->DescribeKey(As(Root(kBob)), "alias/aws/ebs");
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->aws_account_id, kBob);
  // Another account's alias ARN does not create a key there.
  EXPECT_KMS_ERROR(svc_->DescribeKey(As(Root(kBob)), "arn:aws:kms:us-east-1:111122223333:alias/aws/other"),
                   KmsError::kNotFound);

  auto policy = svc_->GetKeyPolicy(as, k->key_id);
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(*policy, AwsEbsKeyPolicy(kAlice, kEast));
  EXPECT_NE(policy->find(R"("Id" : "auto-ebs-2")"), std::string::npos);
  EXPECT_NE(policy->find(R"("kms:ViaService" : "ec2.us-east-1.amazonaws.com")"), std::string::npos);
  EXPECT_NE(policy->find(R"("kms:CallerAccount" : "111122223333")"), std::string::npos);
  auto rotation = svc_->GetKeyRotationStatus(as, k->key_id);
  ASSERT_TRUE(rotation.ok());
  EXPECT_TRUE(rotation->key_rotation_enabled);
  EXPECT_EQ(rotation->rotation_period_in_days, 365);
}

TEST_F(AwsEbsKeyTest, UsableOnlyThroughEc2ByItsAccount) {
  const auto alice = User(kAlice, "alice");
  DataKeyRequest req;
  req.key_id = "alias/aws/ebs";
  req.number_of_bytes = 64;
  req.encryption_context = {{"aws:ebs:id", "vol-0123456789abcdef0"}};
  // Directly: denied by auto-ebs-2, even for the root.
  auto direct = svc_->GenerateDataKeyWithoutPlaintext(As(Root(kAlice)), req);
  ASSERT_EQ(ErrorOf(direct.status()), KmsError::kAccessDenied);
  auto key = svc_->DescribeKey(As(Root(kAlice)), "alias/aws/ebs");
  EXPECT_EQ(direct.status().message(),
            "User: arn:aws:iam::111122223333:root is not authorized to perform: "
            "kms:GenerateDataKeyWithoutPlaintext on resource: " + key->arn +
                " because no resource-based policy allows the kms:GenerateDataKeyWithoutPlaintext action");
  // Via EC2 in the key's region: any principal of the account.
  auto via = svc_->GenerateDataKeyWithoutPlaintext(Caller::ViaEc2(alice, kEast), req);
  ASSERT_TRUE(via.ok()) << via.status().ToString();
  EXPECT_EQ(via->key_arn, key->arn);
  EXPECT_TRUE(via->plaintext.empty());
  // Via EC2 of another region does not match ec2.us-east-1 (and the key is regional anyway).
  Caller wrong_region = Caller::ViaEc2(alice, kEast);
  wrong_region.via_service = "ec2.ap-northeast-1.amazonaws.com";
  EXPECT_KMS_ERROR(svc_->GenerateDataKeyWithoutPlaintext(wrong_region, req), KmsError::kAccessDenied);
  // Another account, even via EC2 and by ARN: kms:CallerAccount fails.
  DataKeyRequest cross = req;
  cross.key_id = key->arn;
  Allow(User(kBob, "b"), R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]})");
  EXPECT_KMS_ERROR(svc_->GenerateDataKeyWithoutPlaintext(Caller::ViaEc2(User(kBob, "b"), kEast), cross),
                   KmsError::kAccessDenied);
  // Metadata stays readable directly for the account (statement 2).
  AllowAllKms(alice);
  EXPECT_TRUE(svc_->DescribeKey(As(alice), key->arn).ok());
}

TEST_F(AwsEbsKeyTest, Ec2AttachFlowThroughAGrant) {
  const auto alice = User(kAlice, "alice");
  const std::string vol = "vol-0a1b2c3d4e5f60718";
  const std::string instance = "i-0fedcba9876543210";
  const EncryptionContext ctx{{"aws:ebs:id", vol}};
  // CreateVolume: GenerateDataKeyWithoutPlaintext(alias/aws/ebs, 64 bytes) as alice via EC2.
  DataKeyRequest gen;
  gen.key_id = "alias/aws/ebs";
  gen.number_of_bytes = 64;
  gen.encryption_context = ctx;
  auto edk = svc_->GenerateDataKeyWithoutPlaintext(Caller::ViaEc2(alice, kEast), gen);
  ASSERT_TRUE(edk.ok()) << edk.status().ToString();
  // AttachVolume: CreateGrant for the instance host, as alice via EC2.
  CreateGrantRequest grant;
  grant.key_id = edk->key_arn;
  grant.grantee_principal = Ec2InfrastructureGrantee(kAlice, instance);
  grant.operations = {GrantOperation::kDecrypt};
  GrantConstraints c;
  c.encryption_context_subset = ctx;
  grant.constraints = c;
  grant.retiring_principal = "ec2.us-east-1.amazonaws.com";
  auto g = svc_->CreateGrant(Caller::ViaEc2(alice, kEast), grant);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  // The host decrypts through the grant only.
  const auto host = Ec2InfrastructurePrincipal(kAlice, instance);
  DecryptRequest dec;
  dec.ciphertext_blob = edk->ciphertext_blob;
  dec.encryption_context = ctx;
  auto key = svc_->Decrypt(As(host), dec);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->plaintext.size(), 64u);
  // Another volume's data key is out of the grant's constraint; another host has no grant.
  gen.encryption_context = {{"aws:ebs:id", "vol-other"}};
  auto other = svc_->GenerateDataKeyWithoutPlaintext(Caller::ViaEc2(alice, kEast), gen);
  ASSERT_TRUE(other.ok());
  DecryptRequest other_dec;
  other_dec.ciphertext_blob = other->ciphertext_blob;
  other_dec.encryption_context = gen.encryption_context;
  EXPECT_KMS_ERROR(svc_->Decrypt(As(host), other_dec), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->Decrypt(As(Ec2InfrastructurePrincipal(kAlice, "i-another")), dec), KmsError::kAccessDenied);
  // The user cannot decrypt the data key directly.
  EXPECT_KMS_ERROR(svc_->Decrypt(As(alice), dec), KmsError::kAccessDenied);
  // Detach: EC2 retires the grant as its retiring principal.
  RetireGrantRequest retire;
  retire.grant_token = g->grant_token;
  ASSERT_TRUE(svc_->RetireGrant(As(AwsServicePrincipal("ec2.us-east-1.amazonaws.com", kAlice)), retire).ok());
  EXPECT_KMS_ERROR(svc_->Decrypt(As(host), dec), KmsError::kAccessDenied);
}

TEST_F(AwsEbsKeyTest, CannotBeChanged) {
  auto as = As(Root(kAlice));
  auto key = svc_->DescribeKey(as, "alias/aws/ebs");
  ASSERT_TRUE(key.ok());
  const std::string& id = key->key_id;
  EXPECT_KMS_ERROR(svc_->DisableKey(as, id), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->ScheduleKeyDeletion(as, id, 7), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->PutKeyPolicy(as, id, "default", DefaultKeyPolicy(kAlice)), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->TagResource(as, id, {{"a", "b"}}), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->DisableKeyRotation(as, id), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->UpdateKeyDescription(as, id, "x"), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->CreateAlias(as, "alias/mine", id), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->DeleteAlias(as, "alias/aws/ebs"), KmsError::kNotAuthorized);
  EXPECT_KMS_ERROR(svc_->CreateAlias(as, "alias/aws/ebs", id), KmsError::kNotAuthorized);
  EXPECT_EQ(svc_->DescribeKey(as, id)->key_state, KeyState::kEnabled);
  // Reading is allowed to the account.
  ListGrantsRequest lg;
  lg.key_id = id;
  EXPECT_TRUE(svc_->ListGrants(as, lg).ok());
  EXPECT_TRUE(svc_->ListResourceTags(as, id, {}).ok());
}

TEST_F(AwsEbsKeyTest, NotBilledAsCustomerKey) {
  auto as = As(Root(kAlice));
  ASSERT_TRUE(svc_->DescribeKey(as, "alias/aws/ebs").ok());
  auto bill = svc_->ComputeBill(kAlice, "2023-11");
  ASSERT_TRUE(bill.ok());
  EXPECT_EQ(bill->key_months, 0.0);
  EXPECT_EQ(bill->requests, 1);
}

}  // namespace
}  // namespace kura::kms::testing
