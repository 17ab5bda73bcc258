// Encryption by default and the default KMS key (ec2-api.md §6.3): per
// account and region, and what they do to new volumes.
#include "ec2/test_fixture.h"

namespace kura::ec2::testing {
namespace {

using EbsSettingsTest = Ec2Test;

TEST_F(EbsSettingsTest, EncryptionByDefaultPerAccountAndRegion) {
  EXPECT_FALSE(*svc_->GetEbsEncryptionByDefault(Alice()));
  EXPECT_TRUE(*svc_->SetEbsEncryptionByDefault(Alice(), true));
  EXPECT_TRUE(*svc_->GetEbsEncryptionByDefault(Alice()));
  EXPECT_FALSE(*svc_->GetEbsEncryptionByDefault(Bob()));
  EXPECT_FALSE(*svc_->GetEbsEncryptionByDefault(As(Root(kAlice), kTokyo)));

  CreateVolumeRequest r;
  r.zone = kZoneA;
  r.size_gib = 1;
  auto v = svc_->CreateVolume(Alice(), r);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->encrypted);
  auto bob = svc_->CreateVolume(Bob(), r);
  ASSERT_TRUE(bob.ok());
  EXPECT_FALSE(bob->encrypted);

  EXPECT_FALSE(*svc_->SetEbsEncryptionByDefault(Alice(), false));
  EXPECT_FALSE(*svc_->GetEbsEncryptionByDefault(Alice()));
  WaitIdle();
  // Existing volumes keep what they had.
  EXPECT_TRUE(svc_->DescribeVolumes(Alice(), {v->id}, {}, {})->items.at(0).encrypted);
}

TEST_F(EbsSettingsTest, DefaultKmsKey) {
  auto initial = svc_->GetEbsDefaultKmsKeyId(Alice());
  ASSERT_TRUE(initial.ok());
  EXPECT_EQ(*initial, "alias/aws/ebs");

  const std::string cmk = NewKey();
  const std::string key_id = cmk.substr(cmk.rfind('/') + 1);
  ASSERT_TRUE(kms_->CreateAlias(kms::Caller::Direct(Root(kAlice), kEast), "alias/ebs-default", key_id).ok());
  for (const std::string& given : {cmk, key_id, std::string("alias/ebs-default")}) {
    auto set = svc_->ModifyEbsDefaultKmsKeyId(Alice(), given);
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    EXPECT_EQ(*set, cmk) << given;  // resolved to the ARN
    EXPECT_EQ(*svc_->GetEbsDefaultKmsKeyId(Alice()), cmk);
  }
  EXPECT_EQ(*svc_->GetEbsDefaultKmsKeyId(Bob()), "alias/aws/ebs");

  // Used for Encrypted=true without KmsKeyId, even with encryption by default off.
  CreateVolumeRequest r;
  r.zone = kZoneA;
  r.size_gib = 1;
  r.encrypted = true;
  auto v = svc_->CreateVolume(Alice(), r);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->encryption.kms_key_arn, cmk);
  WaitIdle();
  EXPECT_EQ(svc_->DescribeVolumes(Alice(), {v->id}, {}, {})->items.at(0).state, VolumeState::kAvailable);

  // A key that does not resolve now is kept as given (AWS validates it later).
  auto unknown = svc_->ModifyEbsDefaultKmsKeyId(Alice(), "alias/not-yet");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(*unknown, "alias/not-yet");
  auto failing = svc_->CreateVolume(Alice(), r);
  ASSERT_TRUE(failing.ok());
  WaitIdle();
  EXPECT_EQ(svc_->DescribeVolumes(Alice(), {failing->id}, {}, {})->items.at(0).state, VolumeState::kError);

  EXPECT_EC2_ERROR(svc_->ModifyEbsDefaultKmsKeyId(Alice(), ""), Ec2Error::kMissingParameter);
  EXPECT_EC2_ERROR(svc_->ModifyEbsDefaultKmsKeyId(Alice(), "not a key"), Ec2Error::kInvalidParameterValue);

  auto reset = svc_->ResetEbsDefaultKmsKeyId(Alice());
  ASSERT_TRUE(reset.ok()) << reset.status().ToString();
  auto aws_ebs = kms_->DescribeKey(kms::Caller::Direct(Root(kAlice), kEast), "alias/aws/ebs");
  ASSERT_TRUE(aws_ebs.ok());
  EXPECT_EQ(*reset, aws_ebs->arn);
  EXPECT_EQ(aws_ebs->key_manager, kms::KeyManager::kAws);
  EXPECT_EQ(*svc_->GetEbsDefaultKmsKeyId(Alice()), "alias/aws/ebs");
}

TEST_F(EbsSettingsTest, SettingsSurviveARestartAndNeedIamPermission) {
  ASSERT_TRUE(svc_->SetEbsEncryptionByDefault(Alice(), true).ok());
  const std::string cmk = NewKey();
  ASSERT_TRUE(svc_->ModifyEbsDefaultKmsKeyId(Alice(), cmk).ok());
  Close();
  Open();
  EXPECT_TRUE(*svc_->GetEbsEncryptionByDefault(Alice()));
  EXPECT_EQ(*svc_->GetEbsDefaultKmsKeyId(Alice()), cmk);

  const auto dave = User(kAlice, "dave");
  EXPECT_EC2_ERROR(svc_->SetEbsEncryptionByDefault(As(dave), false), Ec2Error::kUnauthorizedOperation);
  AllowActions(dave, R"(["ec2:DisableEbsEncryptionByDefault"])");
  EXPECT_TRUE(svc_->SetEbsEncryptionByDefault(As(dave), false).ok());
  EXPECT_EC2_ERROR(svc_->SetEbsEncryptionByDefault(As(dave), true), Ec2Error::kUnauthorizedOperation);
}

}  // namespace
}  // namespace kura::ec2::testing
