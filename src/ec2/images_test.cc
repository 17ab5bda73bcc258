#include "ec2/compute_test_fixture.h"

namespace kura::ec2::testing {
namespace {

class ImagesTest : public ComputeTest {
 protected:
  // A running instance with an encrypted root (under `root_key`, "" = unencrypted) and an unencrypted /dev/sdf.
  InstanceRecord TwoVolumeInstance(const std::string& root_key) {
    const std::string image = NewImage(Alice(), "base-" + root_key.substr(root_key.size() > 8 ? root_key.size() - 8 : 0),
                                       !root_key.empty(), root_key);
    RunInstancesRequest r;
    r.image_id = image;
    BlockDeviceMapping data;
    data.device_name = "/dev/sdf";
    data.ebs = EbsBlockDevice{};
    data.ebs->volume_size_gib = 1;
    r.block_device_mappings = {data};
    InstanceRecord i = Launch(Alice(), r);
    EXPECT_EQ(i.state, InstanceState::kRunning);
    return i;
  }

  std::vector<SnapshotRecord> SnapshotsOf(const Caller& caller, const ImageRecord& image) {
    std::vector<SnapshotRecord> out;
    for (const auto& m : image.block_device_mappings) {
      if (!m.ebs || m.ebs->snapshot_id.empty()) continue;
      auto s = Snapshot(caller, m.ebs->snapshot_id);
      EXPECT_TRUE(s) << m.ebs->snapshot_id;
      if (s) out.push_back(*s);
    }
    return out;
  }

  PermissionChange AddUser(const std::string& account) {
    PermissionChange c;
    c.add_users = {account};
    return c;
  }
  PermissionChange AddAll() {
    PermissionChange c;
    c.add_groups = {"all"};
    return c;
  }
};

TEST_F(ImagesTest, CreateImageSnapshotsEveryVolumeWithItsKey) {
  const std::string key = NewKey();
  InstanceRecord i = TwoVolumeInstance(key);
  CreateImageRequest r;
  r.instance_id = i.id;
  r.name = "web server (v1.0) [prod]";
  r.tags = {{"Name", "web"}};
  auto id = svc_->CreateImage(Alice(), r);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  WaitIdle();
  ImageRecord image = Image(Alice(), *id);
  EXPECT_EQ(image.state, ImageState::kAvailable);
  EXPECT_EQ(image.source_instance_id, i.id);
  EXPECT_EQ(image.tags, (std::vector<Tag>{{"Name", "web"}}));
  ASSERT_EQ(image.block_device_mappings.size(), 2u);
  for (const auto& m : image.block_device_mappings) {
    ASSERT_TRUE(m.ebs);
    auto snap = Snapshot(Alice(), m.ebs->snapshot_id);
    ASSERT_TRUE(snap);
    EXPECT_EQ(snap->state, SnapshotState::kCompleted);
    const bool root = m.device_name == "/dev/xvda";
    EXPECT_EQ(snap->encrypted, root);
    EXPECT_EQ(m.ebs->encrypted, root);
    if (root) {
      EXPECT_EQ(snap->encryption.kms_key_arn, key);
      EXPECT_EQ(m.ebs->kms_key_id, key);
    }
  }
  // Launching from it gives volumes under the same key.
  InstanceRecord copy = Launch(Alice(), *id);
  ASSERT_EQ(copy.state, InstanceState::kRunning);
  EXPECT_EQ(copy.block_devices.size(), 2u);

  // Names: unique per account and region, and of AWS's alphabet.
  auto st = StatusOf(svc_->CreateImage(Alice(), r));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kAmiNameDuplicate);
  EXPECT_EQ(st.message(), "AMI name " + r.name + " is already in use by AMI " + *id);
  r.name = "ab";
  EXPECT_EC2_ERROR(svc_->CreateImage(Alice(), r), Ec2Error::kInvalidParameterValue);
  r.name = "bad*name";
  EXPECT_EC2_ERROR(svc_->CreateImage(Alice(), r), Ec2Error::kInvalidParameterValue);
  r.name = "other";
  r.instance_id = "i-0123456789abcdef0";
  EXPECT_EC2_ERROR(svc_->CreateImage(Alice(), r), Ec2Error::kInstanceNotFound);
}

TEST_F(ImagesTest, CreateImageHonoursNoDevice) {
  InstanceRecord i = TwoVolumeInstance("");
  ASSERT_TRUE(svc_->StopInstances(Alice(), {i.id}, false).ok());
  WaitIdle();
  CreateImageRequest r;
  r.instance_id = i.id;
  r.name = "root-only";
  BlockDeviceMapping skip;
  skip.device_name = "/dev/sdf";
  skip.no_device = true;
  r.block_device_mappings = {skip};
  auto id = svc_->CreateImage(Alice(), r);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  WaitIdle();
  ImageRecord image = Image(Alice(), *id);
  ASSERT_EQ(image.block_device_mappings.size(), 1u);
  EXPECT_EQ(image.block_device_mappings[0].device_name, "/dev/xvda");
}

TEST_F(ImagesTest, CopyImageReencryptsEverySnapshotUnderTheOneKey) {
  const std::string k1 = NewKey();
  InstanceRecord i = TwoVolumeInstance(k1);
  CreateImageRequest create;
  create.instance_id = i.id;
  create.name = "source";
  create.tags = {{"env", "prod"}};
  auto source = svc_->CreateImage(Alice(), create);
  ASSERT_TRUE(source.ok());
  WaitIdle();

  const std::string k2 = NewKey();
  CopyImageRequest r;
  r.name = "copy";
  r.source_image_id = *source;
  r.source_region = kEast;
  r.encrypted = true;
  r.kms_key_id = k2;
  r.copy_image_tags = true;
  auto copy = svc_->CopyImage(Alice(), r);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  WaitIdle();
  ImageRecord image = Image(Alice(), *copy);
  EXPECT_EQ(image.state, ImageState::kAvailable) << image.state_message;
  EXPECT_EQ(image.source_image_id, *source);
  EXPECT_EQ(image.tags, (std::vector<Tag>{{"env", "prod"}}));
  auto snapshots = SnapshotsOf(Alice(), image);
  ASSERT_EQ(snapshots.size(), 2u);
  for (const auto& s : snapshots) {
    EXPECT_EQ(s.state, SnapshotState::kCompleted);
    EXPECT_TRUE(s.encrypted);
    EXPECT_EQ(s.encryption.kms_key_arn, k2);
  }
  for (const auto& m : image.block_device_mappings) EXPECT_EQ(m.ebs->kms_key_id, k2);
  // And an instance from the copy runs on volumes under K2.
  InstanceRecord launched = Launch(Alice(), *copy);
  ASSERT_EQ(launched.state, InstanceState::kRunning);
  for (const auto& bd : launched.block_devices) EXPECT_EQ(Volume(Alice(), bd.volume_id)->encryption.kms_key_arn, k2);

  r.encrypted.reset();
  r.name = "copy-2";
  EXPECT_EC2_ERROR(svc_->CopyImage(Alice(), r), Ec2Error::kInvalidParameterDependency);
  r.name = "copy";
  r.encrypted = true;
  EXPECT_EC2_ERROR(svc_->CopyImage(Alice(), r), Ec2Error::kAmiNameDuplicate);
}

TEST_F(ImagesTest, CopyImageToAnotherRegion) {
  const std::string image = NewImage(Alice(), "east-image", true, NewKey());
  const std::string tokyo_key = NewKey(kAlice, kTokyo);
  CopyImageRequest r;
  r.name = "tokyo-image";
  r.source_image_id = image;
  r.source_region = kEast;
  r.encrypted = true;
  r.kms_key_id = tokyo_key;
  auto copy = svc_->CopyImage(As(Root(kAlice), kTokyo), r);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  WaitIdle();
  ImageRecord copied = Image(As(Root(kAlice), kTokyo), *copy);
  EXPECT_EQ(copied.state, ImageState::kAvailable) << copied.state_message;
  EXPECT_EQ(copied.region, kTokyo);
  EXPECT_EQ(copied.block_device_mappings.at(0).ebs->kms_key_id, tokyo_key);
  // Not visible in the source region.
  EXPECT_EC2_ERROR(svc_->DescribeImages(Alice(), {*copy}, {}, {}, {}, {}), Ec2Error::kAmiNotFound);
}

TEST_F(ImagesTest, CopyImageClientTokenMakesRetriesSafe) {
  const std::string image = NewImage(Alice(), "source-image");
  CopyImageRequest r;
  r.name = "copy";
  r.source_image_id = image;
  r.source_region = kEast;
  r.client_token = "token-1";
  auto first = svc_->CopyImage(Alice(), r);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto retry = svc_->CopyImage(Alice(), r);
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_EQ(*retry, *first);
  WaitIdle();
  auto listed = svc_->DescribeImages(Alice(), {}, {"self"}, {}, {Filter{"name", {"copy"}}}, {});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->items.size(), 1u);  // one copy, not two
  r.name = "another-name";
  EXPECT_EC2_ERROR(svc_->CopyImage(Alice(), r), Ec2Error::kIdempotentParameterMismatch);
}

TEST_F(ImagesTest, CopyWithADisabledKeyFails) {
  const std::string image = NewImage(Alice(), "plain");
  const std::string key = NewKey();
  ASSERT_TRUE(kms_->DisableKey(KmsRoot(), key).ok());
  CopyImageRequest r;
  r.name = "copy";
  r.source_image_id = image;
  r.source_region = kEast;
  r.encrypted = true;
  r.kms_key_id = key;
  auto copy = svc_->CopyImage(Alice(), r);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  WaitIdle();
  ImageRecord failed = Image(Alice(), *copy);
  EXPECT_EQ(failed.state, ImageState::kFailed);
  EXPECT_FALSE(failed.state_message.empty());
}

TEST_F(ImagesTest, RegisterImageChecksItsMappings) {
  const std::string snap = NewSnapshot(Alice(), NewVolume(Alice()));
  RegisterImageRequest r;
  r.name = "registered";
  r.root_device_name = "/dev/sda1";
  BlockDeviceMapping m;
  m.device_name = "/dev/xvda";
  m.ebs = EbsBlockDevice{};
  m.ebs->snapshot_id = snap;
  r.block_device_mappings = {m};
  EXPECT_EC2_ERROR(svc_->RegisterImage(Alice(), r), Ec2Error::kInvalidParameterValue);
  r.root_device_name = "/dev/xvda";
  r.block_device_mappings[0].ebs->snapshot_id = "snap-0123456789abcdef0";
  EXPECT_EC2_ERROR(svc_->RegisterImage(Alice(), r), Ec2Error::kSnapshotNotFound);
  r.block_device_mappings[0].ebs->snapshot_id = snap;
  EXPECT_EC2_ERROR(svc_->RegisterImage(Bob(), r), Ec2Error::kSnapshotNotFound);  // not shared with Bob
  r.block_device_mappings[0].ebs->volume_size_gib = 4;
  auto id = svc_->RegisterImage(Alice(), r);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ImageRecord image = Image(Alice(), *id);
  EXPECT_EQ(image.state, ImageState::kAvailable);  // at once
  EXPECT_EQ(*image.block_device_mappings[0].ebs->volume_size_gib, 4);
  EXPECT_EQ(image.block_device_mappings[0].ebs->encrypted, false);
}

TEST_F(ImagesTest, DescribeImagesVisibilityAndErrors) {
  const std::string mine = NewImage(Alice(), "mine");
  const std::string bobs = NewImage(Bob(), "bobs");
  auto st = StatusOf(svc_->DescribeImages(Alice(), {"ami-0123456789abcdef0"}, {}, {}, {}, {}));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kAmiNotFound);
  EXPECT_EQ(st.message(), "The image id '[ami-0123456789abcdef0]' does not exist");
  st = StatusOf(svc_->DescribeImages(Alice(), {"ami-12"}, {}, {}, {}, {}));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kAmiIdMalformed);
  EXPECT_EQ(st.message(), "Invalid id: \"ami-12\" (expecting \"ami-...\")");
  EXPECT_EC2_ERROR(svc_->DescribeImages(Alice(), {bobs}, {}, {}, {}, {}), Ec2Error::kAmiNotFound);

  auto all = svc_->DescribeImages(Alice(), {}, {}, {}, {}, {});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->items.size(), 1u);
  EXPECT_EQ(all->items[0].id, mine);

  // Bob shares his image with Alice: visible, executable by her, not owned by her.
  PermissionChange share;
  share.add_users = {kAlice};
  ASSERT_TRUE(svc_->ModifyImageAttribute(Bob(), bobs, "launchPermission", share, std::nullopt).ok());
  auto executable = svc_->DescribeImages(Alice(), {}, {}, {"self"}, {}, {});
  ASSERT_TRUE(executable.ok());
  ASSERT_EQ(executable->items.size(), 1u);
  EXPECT_EQ(executable->items[0].id, bobs);
  auto own = svc_->DescribeImages(Alice(), {}, {"self"}, {}, {}, {});
  ASSERT_TRUE(own.ok());
  ASSERT_EQ(own->items.size(), 1u);
  EXPECT_EQ(own->items[0].id, mine);
  auto by_owner = svc_->DescribeImages(Alice(), {}, {kBob}, {}, {}, {});
  ASSERT_TRUE(by_owner.ok());
  ASSERT_EQ(by_owner->items.size(), 1u);
  auto filtered =
      svc_->DescribeImages(Alice(), {}, {}, {}, {{"name", {"b*"}}, {"block-device-mapping.encrypted", {"false"}}}, {});
  ASSERT_TRUE(filtered.ok());
  ASSERT_EQ(filtered->items.size(), 1u);
  EXPECT_EQ(filtered->items[0].id, bobs);
  // Alice may not change or deregister Bob's image.
  EXPECT_EC2_ERROR(svc_->DeregisterImage(Alice(), bobs, false), Ec2Error::kAmiNotFound);
  EXPECT_EC2_ERROR(svc_->ModifyImageAttribute(Alice(), bobs, "launchPermission", AddAll(), std::nullopt),
                   Ec2Error::kAmiNotFound);
}

TEST_F(ImagesTest, SharingFollowsTheEncryptionRules) {
  // AWS managed key: never shared with another account.
  const std::string managed = NewImage(Alice(), "managed", true);
  auto st = StatusOf(svc_->ModifyImageAttribute(Alice(), managed, "launchPermission", AddUser(kBob), std::nullopt));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kInvalidParameter);
  EXPECT_EQ(st.message(), "Snapshots encrypted with the AWS Managed CMK can't be shared. Specify another snapshot.");

  // Customer managed key: shared with an account, never made public.
  const std::string cmk = NewImage(Alice(), "cmk", true, NewKey());
  st = StatusOf(svc_->ModifyImageAttribute(Alice(), cmk, "launchPermission", AddAll(), std::nullopt));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kUnsupportedOperation);
  EXPECT_EQ(st.message(), "Encrypted snapshots can't be shared publicly. Specify another snapshot.");
  EXPECT_TRUE(svc_->ModifyImageAttribute(Alice(), cmk, "launchPermission", AddUser(kBob), std::nullopt).ok());
  auto attribute = svc_->DescribeImageAttribute(Alice(), cmk, "launchPermission");
  ASSERT_TRUE(attribute.ok());
  EXPECT_EQ(attribute->launch_users, std::vector<std::string>{kBob});
  EXPECT_EQ(Image(Bob(), cmk).id, cmk);

  EXPECT_EC2_ERROR(svc_->ModifyImageAttribute(Alice(), cmk, "launchPermission", AddUser("12345"), std::nullopt),
                   Ec2Error::kAmiAttributeItemValue);
  PermissionChange bad_group;
  bad_group.add_groups = {"everyone"};
  EXPECT_EC2_ERROR(svc_->ModifyImageAttribute(Alice(), cmk, "launchPermission", bad_group, std::nullopt),
                   Ec2Error::kAmiAttributeItemValue);

  // Unencrypted: public.
  const std::string plain = NewImage(Alice(), "plain");
  ASSERT_TRUE(svc_->ModifyImageAttribute(Alice(), plain, "launchPermission", AddAll(), std::nullopt).ok());
  auto public_ones = svc_->DescribeImages(Bob(), {}, {}, {"all"}, {{"is-public", {"true"}}}, {});
  ASSERT_TRUE(public_ones.ok());
  ASSERT_EQ(public_ones->items.size(), 1u);
  EXPECT_EQ(public_ones->items[0].id, plain);

  // Description, and reset.
  ASSERT_TRUE(svc_->ModifyImageAttribute(Alice(), plain, "description", {}, std::string("new text")).ok());
  EXPECT_EQ(Image(Alice(), plain).description, "new text");
  ASSERT_TRUE(svc_->ResetImageAttribute(Alice(), cmk, "launchPermission").ok());
  EXPECT_EC2_ERROR(svc_->DescribeImages(Bob(), {cmk}, {}, {}, {}, {}), Ec2Error::kAmiNotFound);
}

TEST_F(ImagesTest, SharedImageLaunchesUnderTheRecipientsDefaultKey) {
  const std::string key = NewKey(kAlice, kEast,
                                 std::string(R"({"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},
         "Action":["kms:Decrypt","kms:DescribeKey","kms:CreateGrant","kms:ReEncrypt*","kms:GenerateDataKey*"],
         "Resource":"*"}]})"));
  const std::string image = NewImage(Alice(), "shared", true, key);
  ASSERT_TRUE(svc_->ModifyImageAttribute(Alice(), image, "launchPermission", AddUser(kBob), std::nullopt).ok());
  InstanceRecord i = Launch(Bob(), image);
  ASSERT_EQ(i.state, InstanceState::kRunning) << (i.state_reason ? i.state_reason->message : "");
  auto v = Volume(Bob(), i.block_devices.at(0).volume_id);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->encrypted);
  EXPECT_NE(v->encryption.kms_key_arn, key);  // re-encrypted under Bob's aws/ebs key
  EXPECT_TRUE(v->encryption.aws_managed_key);
}

TEST_F(ImagesTest, DeregisterDeletesOnlyUnsharedSnapshots) {
  const std::string snap = NewSnapshot(Alice(), NewVolume(Alice()));
  auto register_on = [&](const std::string& name) {
    RegisterImageRequest r;
    r.name = name;
    BlockDeviceMapping m;
    m.device_name = "/dev/xvda";
    m.ebs = EbsBlockDevice{};
    m.ebs->snapshot_id = snap;
    r.block_device_mappings = {m};
    auto id = svc_->RegisterImage(Alice(), r);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  };
  const std::string first = register_on("first");
  const std::string second = register_on("second");
  auto deleted = svc_->DeregisterImage(Alice(), first, true);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_TRUE(deleted->empty());  // the second image still uses it
  EXPECT_EC2_ERROR(svc_->DescribeImages(Alice(), {first}, {}, {}, {}, {}), Ec2Error::kAmiNotFound);
  deleted = svc_->DeregisterImage(Alice(), second, true);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, std::vector<std::string>{snap});
  EXPECT_FALSE(Snapshot(Alice(), snap));
  EXPECT_EC2_ERROR(svc_->DeregisterImage(Alice(), second, false), Ec2Error::kAmiNotFound);
}

class LegacySharingTest : public ImagesTest {
 protected:
  void Configure(Ec2Options& o) override { o.legacy_encrypted_ami_sharing = true; }
};

TEST_F(LegacySharingTest, EncryptedImagesCannotBeSharedAtAll) {
  const std::string cmk = NewImage(Alice(), "cmk", true, NewKey());
  EXPECT_EC2_ERROR(svc_->ModifyImageAttribute(Alice(), cmk, "launchPermission", AddUser(kBob), std::nullopt),
                   Ec2Error::kUnsupportedOperation);
  const std::string plain = NewImage(Alice(), "plain");
  EXPECT_TRUE(svc_->ModifyImageAttribute(Alice(), plain, "launchPermission", AddUser(kBob), std::nullopt).ok());
}

}  // namespace
}  // namespace kura::ec2::testing
