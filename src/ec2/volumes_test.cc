// Volumes end to end over a real block engine and a real KMS: creation with
// the KMS calls made as the caller (F1), failures that end in state error,
// validation, ClientToken idempotency, Describe filters and paging,
// attachment through a grant for the instance host (F3), and Resume after a restart.
#include <fstream>

#include "ec2/hosts.h"
#include "ec2/test_fixture.h"

namespace kura::ec2::testing {
namespace {

// The plaintext data key of a volume or snapshot, unwrapped as EC2 would
// for the owner (tests only: lets the test read the engine directly).
crypto::SecretBytes Unwrap(kms::KmsService& kms, const std::string& account, const Encryption& e) {
  kms::DecryptRequest req;
  req.ciphertext_blob = e.wrapped_key;
  req.encryption_context = {{"aws:ebs:id", e.context_id}};
  const std::string region = e.kms_key_arn.substr(12, e.kms_key_arn.find(':', 12) - 12);
  auto r = kms.Decrypt(kms::Caller::ViaEc2(Root(account), region), req);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r->plaintext) : crypto::SecretBytes();
}

class VolumesTest : public Ec2Test {
 protected:
  CreateVolumeRequest Request(int64_t size = 1) {
    CreateVolumeRequest r;
    r.zone = kZoneA;
    r.size_gib = size;
    return r;
  }

  VolumeRecord Describe(const std::string& id, const Caller& caller) {
    auto page = svc_->DescribeVolumes(caller, {id}, {}, {});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() && page->items.size() == 1 ? page->items[0] : VolumeRecord{};
  }

  // Creates and waits: the volume as DescribeVolumes shows it afterwards.
  VolumeRecord Made(const CreateVolumeRequest& r, const Caller& caller) {
    auto v = svc_->CreateVolume(caller, r);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    if (!v.ok()) return {};
    WaitIdle();
    return Describe(v->id, caller);
  }

  std::string AwsEbsArn(const std::string& account = kAlice) {
    auto k = kms_->DescribeKey(kms::Caller::Direct(Root(account), kEast), "alias/aws/ebs");
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k.ok() ? k->arn : "";
  }

  // A running instance of `type` launched from an unencrypted 1 GiB root snapshot.
  std::string Launch(const std::string& type = "t3.micro") {
    auto root = Made(Request(), Alice());
    auto snap = svc_->CreateSnapshot(Alice(), root.id, "root", {});
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    WaitIdle();
    RegisterImageRequest image;
    image.name = "img-" + snap->id;
    image.root_device_name = "/dev/xvda";
    BlockDeviceMapping m;
    m.device_name = "/dev/xvda";
    m.ebs = EbsBlockDevice{};
    m.ebs->snapshot_id = snap->id;
    image.block_device_mappings = {m};
    auto ami = svc_->RegisterImage(Alice(), image);
    EXPECT_TRUE(ami.ok()) << ami.status().ToString();
    WaitIdle();
    RunInstancesRequest run;
    run.image_id = *ami;
    run.instance_type = type;
    run.zone = kZoneA;
    auto r = svc_->RunInstances(Alice(), run);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    WaitIdle();
    return r.ok() ? r->instances.at(0).id : "";
  }
};

TEST_F(VolumesTest, EmptyEncryptedVolumeGetsADataKeyUnderTheDefaultKey) {
  auto r = Request(2);
  r.encrypted = true;
  auto v = svc_->CreateVolume(Alice(), r);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->state, VolumeState::kCreating);
  EXPECT_TRUE(v->encrypted);
  EXPECT_EQ(v->encryption.kms_key_arn, AwsEbsArn());  // the ARN already in the answer
  EXPECT_TRUE(v->encryption.aws_managed_key);
  WaitIdle();
  auto done = Describe(v->id, Alice());
  ASSERT_EQ(done.state, VolumeState::kAvailable) << done.state_message;
  EXPECT_EQ(done.encryption.context_id, v->id);
  EXPECT_FALSE(done.encryption.wrapped_key.empty());
  ASSERT_GT(done.engine_id, 0);

  // The block volume is really encrypted under that data key (64 bytes, XTS).
  auto key = Unwrap(*kms_, kAlice, done.encryption);
  ASSERT_EQ(key.size(), 64u);
  auto info = engine_->DescribeVolume(done.engine_id);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->encrypted);
  EXPECT_EQ(info->size_bytes, 2 * blocks::kGiB);
  EXPECT_TRUE(engine_->OpenVolume(done.engine_id, &key).ok());
  crypto::SecretBytes wrong(64);
  EXPECT_EQ(engine_->OpenVolume(done.engine_id, &wrong).status().code(), base::StatusCode::kPermissionDenied);
}

TEST_F(VolumesTest, UnencryptedUnlessAskedOrByDefault) {
  auto plain = Made(Request(), Alice());
  EXPECT_EQ(plain.state, VolumeState::kAvailable);
  EXPECT_FALSE(plain.encrypted);
  EXPECT_FALSE(engine_->DescribeVolume(plain.engine_id)->encrypted);

  const std::string cmk = NewKey();
  ASSERT_TRUE(svc_->ModifyEbsDefaultKmsKeyId(Alice(), cmk).ok());
  ASSERT_TRUE(svc_->SetEbsEncryptionByDefault(Alice(), true).ok());
  auto r = Request();
  r.encrypted = false;  // ignored: encryption by default wins
  auto by_default = Made(r, Alice());
  EXPECT_TRUE(by_default.encrypted);
  EXPECT_EQ(by_default.encryption.kms_key_arn, cmk);
  EXPECT_FALSE(by_default.encryption.aws_managed_key);
  EXPECT_EQ(by_default.state, VolumeState::kAvailable) << by_default.state_message;
}

TEST_F(VolumesTest, KmsKeyIdNeedsEncrypted) {
  auto r = Request();
  r.kms_key_id = NewKey();
  auto v = svc_->CreateVolume(Alice(), r);
  EXPECT_EC2_ERROR(v, Ec2Error::kInvalidParameterDependency);
  EXPECT_EQ(v.status().message(), "The parameter KmsKeyId requires the parameter Encrypted to be set.");
}

TEST_F(VolumesTest, CallerWithoutGenerateDataKeyGetsAVolumeInError) {
  const auto alice = User(kAlice, "alice");
  AllowActions(alice, R"(["ec2:*","kms:DescribeKey"])");
  const std::string cmk = NewKey();
  auto r = Request();
  r.encrypted = true;
  r.kms_key_id = cmk;
  auto v = svc_->CreateVolume(As(alice), r);
  ASSERT_TRUE(v.ok()) << v.status().ToString();  // KMS is not asked synchronously for the data key
  EXPECT_EQ(v->encryption.kms_key_arn, cmk);
  WaitIdle();
  auto failed = Describe(v->id, As(alice));
  EXPECT_EQ(failed.state, VolumeState::kError);
  EXPECT_NE(failed.state_message.find("kms:GenerateDataKeyWithoutPlaintext"), std::string::npos)
      << failed.state_message;
  EXPECT_EQ(failed.engine_id, 0);
  // Stays visible in error; DeleteVolume removes it.
  ASSERT_TRUE(svc_->DeleteVolume(As(alice), v->id).ok());
  EXPECT_EC2_ERROR(svc_->DescribeVolumes(As(alice), {v->id}, {}, {}), Ec2Error::kVolumeNotFound);

  // With the permission (as the caller, via EC2) the same request works.
  AllowActions(alice, R"(["kms:GenerateDataKeyWithoutPlaintext","kms:Decrypt"])");
  auto ok = Made(r, As(alice));
  EXPECT_EQ(ok.state, VolumeState::kAvailable) << ok.state_message;
}

TEST_F(VolumesTest, UnknownOrDisabledKeyFailsAsynchronously) {
  auto r = Request();
  r.encrypted = true;
  r.kms_key_id = "alias/does-not-exist";
  auto v = svc_->CreateVolume(Alice(), r);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->encryption.kms_key_arn, "alias/does-not-exist");  // kept as given
  WaitIdle();
  auto failed = Describe(v->id, Alice());
  EXPECT_EQ(failed.state, VolumeState::kError);
  EXPECT_NE(failed.state_message.find("is not found"), std::string::npos) << failed.state_message;

  const std::string cmk = NewKey();
  ASSERT_TRUE(kms_->DisableKey(kms::Caller::Direct(Root(kAlice), kEast), cmk).ok());
  r.kms_key_id = cmk;
  auto disabled = Made(r, Alice());
  EXPECT_EQ(disabled.state, VolumeState::kError);
  EXPECT_EQ(disabled.state_message, cmk + " is disabled.");
}

TEST_F(VolumesTest, Validation) {
  auto r = Request();
  r.zone = "us-east-1z";
  auto bad_zone = svc_->CreateVolume(Alice(), r);
  EXPECT_EC2_ERROR(bad_zone, Ec2Error::kInvalidParameterValue);
  EXPECT_EQ(bad_zone.status().message(), "Invalid availability zone: [us-east-1z]");
  r.zone = "ap-northeast-1a";  // a zone of another region
  EXPECT_EC2_ERROR(svc_->CreateVolume(Alice(), r), Ec2Error::kInvalidParameterValue);

  r = Request();
  r.size_gib.reset();
  EXPECT_EC2_ERROR(svc_->CreateVolume(Alice(), r), Ec2Error::kMissingParameter);
  r.size_gib = 0;
  EXPECT_EC2_ERROR(svc_->CreateVolume(Alice(), r), Ec2Error::kInvalidParameterValue);
  r.size_gib = 16385;
  EXPECT_EC2_ERROR(svc_->CreateVolume(Alice(), r), Ec2Error::kInvalidParameterValue);
  r = Request(1025);
  r.volume_type = "standard";
  EXPECT_EC2_ERROR(svc_->CreateVolume(Alice(), r), Ec2Error::kInvalidParameterValue);
  r = Request(100);
  r.volume_type = "st1";
  EXPECT_EC2_ERROR(svc_->CreateVolume(Alice(), r), Ec2Error::kInvalidParameterValue);
  r.volume_type = "gp9";
  EXPECT_EC2_ERROR(svc_->CreateVolume(Alice(), r), Ec2Error::kInvalidParameterValue);

  r = Request(10);
  r.iops = 300;
  EXPECT_EC2_ERROR(svc_->CreateVolume(Alice(), r), Ec2Error::kInvalidParameterCombination);  // gp2
  r.volume_type = "io1";
  r.iops.reset();
  EXPECT_EC2_ERROR(svc_->CreateVolume(Alice(), r), Ec2Error::kMissingParameter);
  r.iops = 501;  // > 50 per GiB
  auto ratio = svc_->CreateVolume(Alice(), r);
  EXPECT_EC2_ERROR(ratio, Ec2Error::kInvalidParameterValue);
  EXPECT_EQ(ratio.status().message(), "Iops to volume size ratio of 50.100000 is too high; maximum is 50.000000");
  r.iops = 500;
  EXPECT_TRUE(svc_->CreateVolume(Alice(), r).ok());
  r = Request(1000);
  r.volume_type = "io2";
  r.iops = 300000;
  auto high = svc_->CreateVolume(Alice(), r);
  EXPECT_EQ(high.status().message(), "Volume iops of 300000 is too high; maximum is 256000");
  r.throughput = 200;
  EXPECT_EC2_ERROR(svc_->CreateVolume(Alice(), r), Ec2Error::kInvalidParameterCombination);

  r = Request(1);
  r.volume_type = "gp3";
  auto gp3 = svc_->CreateVolume(Alice(), r);  // 3000 IOPS at any size
  ASSERT_TRUE(gp3.ok()) << gp3.status().ToString();
  EXPECT_EQ(gp3->iops, 3000);
  EXPECT_EQ(gp3->throughput, 125);
  r.iops = 4000;  // > 500 per GiB above the baseline
  EXPECT_EC2_ERROR(svc_->CreateVolume(Alice(), r), Ec2Error::kInvalidParameterValue);
  r = Request(100);
  r.volume_type = "gp3";
  r.throughput = 751;  // > 0.25 MiB/s per IOPS at 3000 IOPS
  EXPECT_EC2_ERROR(svc_->CreateVolume(Alice(), r), Ec2Error::kInvalidParameterValue);
  r.throughput = 750;
  EXPECT_TRUE(svc_->CreateVolume(Alice(), r).ok());
  WaitIdle();
}

TEST_F(VolumesTest, ClientTokenIsIdempotent) {
  auto r = Request(3);
  r.client_token = "token-1";
  auto first = svc_->CreateVolume(Alice(), r);
  ASSERT_TRUE(first.ok());
  auto again = svc_->CreateVolume(Alice(), r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, first->id);
  r.size_gib = 4;
  auto different = svc_->CreateVolume(Alice(), r);
  EXPECT_EC2_ERROR(different, Ec2Error::kIdempotentParameterMismatch);
  // Another account's token space is its own.
  auto bob = svc_->CreateVolume(Bob(), r);
  ASSERT_TRUE(bob.ok());
  EXPECT_NE(bob->id, first->id);
  WaitIdle();
  EXPECT_EQ(svc_->DescribeVolumes(Alice(), {}, {}, {})->items.size(), 1u);
}

TEST_F(VolumesTest, DescribeFiltersAndPaging) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    auto r = Request(i + 1);
    r.encrypted = i % 2 == 0;
    r.tags = {{"n", std::to_string(i)}};
    auto v = svc_->CreateVolume(Alice(), r);
    ASSERT_TRUE(v.ok());
    ids.push_back(v->id);
  }
  auto bob = svc_->CreateVolume(Bob(), Request());
  ASSERT_TRUE(bob.ok());
  WaitIdle();

  auto all = svc_->DescribeVolumes(Alice(), {}, {}, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 7u);
  auto enc = svc_->DescribeVolumes(Alice(), {}, {{"encrypted", {"true"}}, {"status", {"available"}}}, {});
  EXPECT_EQ(enc->items.size(), 4u);
  auto tagged = svc_->DescribeVolumes(Alice(), {}, {{"tag:n", {"3", "5"}}}, {});
  EXPECT_EQ(tagged->items.size(), 2u);
  EXPECT_EQ(svc_->DescribeVolumes(Alice(), {}, {{"size", {"1"}}, {"volume-type", {"gp2"}}}, {})->items.size(), 1u);
  EXPECT_EQ(svc_->DescribeVolumes(Alice(), {}, {{"availability-zone", {"us-east-1*"}}}, {})->items.size(), 7u);
  EXPECT_EC2_ERROR(svc_->DescribeVolumes(Alice(), {}, {{"nonsense", {"x"}}}, {}), Ec2Error::kInvalidParameterValue);

  // Any listed id that is missing or not the caller's fails the call.
  auto missing = svc_->DescribeVolumes(Alice(), {ids[0], "vol-0123456789abcdef0"}, {}, {});
  EXPECT_EC2_ERROR(missing, Ec2Error::kVolumeNotFound);
  EXPECT_EQ(missing.status().message(), "The volume 'vol-0123456789abcdef0' does not exist.");
  EXPECT_EC2_ERROR(svc_->DescribeVolumes(Alice(), {bob->id}, {}, {}), Ec2Error::kVolumeNotFound);
  EXPECT_EQ(svc_->DescribeVolumes(Alice(), {ids[1], ids[2]}, {}, {})->items.size(), 2u);

  PageRequest page;
  page.max_results = 5;
  auto first = svc_->DescribeVolumes(Alice(), {}, {}, page);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items.size(), 5u);
  ASSERT_FALSE(first->next_token.empty());
  page.next_token = first->next_token;
  auto second = svc_->DescribeVolumes(Alice(), {}, {}, page);
  EXPECT_EQ(second->items.size(), 2u);
  EXPECT_TRUE(second->next_token.empty());
  page = {};
  page.max_results = 4;
  EXPECT_EC2_ERROR(svc_->DescribeVolumes(Alice(), {}, {}, page), Ec2Error::kInvalidParameterValue);
  page.max_results = 5000;  // above the limit (1000): a full page, as AWS answers
  EXPECT_TRUE(svc_->DescribeVolumes(Alice(), {}, {}, page).ok());
  EXPECT_EC2_ERROR(svc_->DescribeVolumes(Alice(), {}, {Filter{"bogus", {"x"}}}, {}), Ec2Error::kInvalidParameterValue);
  page.max_results = 5;
  EXPECT_EC2_ERROR(svc_->DescribeVolumes(Alice(), {ids[0]}, {}, page), Ec2Error::kInvalidParameterCombination);

  auto status = svc_->DescribeVolumeStatus(Alice(), {}, {{"volume-status.status", {"ok"}}}, {});
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->items.size(), 7u);
}

TEST_F(VolumesTest, DeleteFreesTheBlockVolume) {
  auto v = Made(Request(), Alice());
  ASSERT_EQ(v.state, VolumeState::kAvailable);
  EXPECT_EC2_ERROR(svc_->DeleteVolume(Bob(), v.id), Ec2Error::kVolumeNotFound);
  ASSERT_TRUE(svc_->DeleteVolume(Alice(), v.id).ok());
  EXPECT_EQ(engine_->DescribeVolume(v.engine_id).status().code(), base::StatusCode::kNotFound);
  auto gone = svc_->DeleteVolume(Alice(), v.id);
  EXPECT_EC2_ERROR(gone, Ec2Error::kVolumeNotFound);
  EXPECT_EQ(gone.message(), "The volume '" + v.id + "' does not exist.");
}

TEST_F(VolumesTest, AttachThroughAGrantAndDetach) {
  const std::string instance = Launch();
  ASSERT_FALSE(instance.empty());
  auto r = Request(2);
  r.encrypted = true;
  r.kms_key_id = NewKey();
  auto v = Made(r, Alice());
  ASSERT_EQ(v.state, VolumeState::kAvailable) << v.state_message;

  EXPECT_EC2_ERROR(svc_->AttachVolume(Alice(), v.id, instance, "/dev/bogus"), Ec2Error::kInvalidParameterValue);
  EXPECT_EC2_ERROR(svc_->AttachVolume(Alice(), v.id, instance, "/dev/xvda"), Ec2Error::kInvalidParameterValue);
  EXPECT_EC2_ERROR(svc_->AttachVolume(Alice(), v.id, "i-0123456789abcdef0", "/dev/sdf"), Ec2Error::kInstanceNotFound);
  auto other_zone = Request();
  other_zone.zone = "us-east-1b";
  auto b = Made(other_zone, Alice());
  EXPECT_EC2_ERROR(svc_->AttachVolume(Alice(), b.id, instance, "/dev/sdf"), Ec2Error::kVolumeZoneMismatch);

  auto a = svc_->AttachVolume(Alice(), v.id, instance, "/dev/sdf");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->state, AttachmentState::kAttaching);
  EXPECT_EQ(Describe(v.id, Alice()).state, VolumeState::kInUse);
  WaitIdle();
  auto attached = Describe(v.id, Alice());
  ASSERT_TRUE(attached.attachment);
  EXPECT_EQ(attached.attachment->state, AttachmentState::kAttached) << attached.state_message;
  EXPECT_EC2_ERROR(svc_->AttachVolume(Alice(), v.id, instance, "/dev/sdg"), Ec2Error::kVolumeInUse);
  EXPECT_EC2_ERROR(svc_->DeleteVolume(Alice(), v.id), Ec2Error::kVolumeInUse);

  // The host holds the key through a grant for the instance, constrained to this volume.
  kms::ListGrantsRequest lg;
  lg.key_id = r.kms_key_id;
  auto grants = kms_->ListGrants(kms::Caller::Direct(Root(kAlice), kEast), lg);
  ASSERT_TRUE(grants.ok());
  ASSERT_EQ(grants->items.size(), 1u);
  EXPECT_EQ(grants->items[0].grantee_principal, kms::Ec2InfrastructureGrantee(kAlice, instance));
  EXPECT_EQ(grants->items[0].constraints->encryption_context_subset,
            (kms::EncryptionContext{{"aws:ebs:id", v.id}}));

  auto open = svc_->OpenAttachedVolume(kAlice, instance, v.id);
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  const std::vector<uint8_t> data(4096, 0x5a);
  ASSERT_TRUE((*open)->Write(8192, data).ok());
  ASSERT_TRUE((*open)->Flush().ok());
  open->reset();

  DetachVolumeRequest d;
  d.volume_id = v.id;
  d.instance_id = "i-0000000000000000a";
  EXPECT_EC2_ERROR(svc_->DetachVolume(Alice(), d), Ec2Error::kAttachmentNotFound);
  d.instance_id = instance;
  auto detaching = svc_->DetachVolume(Alice(), d);
  ASSERT_TRUE(detaching.ok()) << detaching.status().ToString();
  EXPECT_EQ(detaching->state, AttachmentState::kDetaching);
  WaitIdle();
  auto detached = Describe(v.id, Alice());
  EXPECT_EQ(detached.state, VolumeState::kAvailable);
  EXPECT_FALSE(detached.attachment);
  EXPECT_EQ(kms_->ListGrants(kms::Caller::Direct(Root(kAlice), kEast), lg)->items.size(), 0u);  // retired
  EXPECT_FALSE(svc_->OpenAttachedVolume(kAlice, instance, v.id).ok());
  auto again = svc_->DetachVolume(Alice(), d);
  EXPECT_EC2_ERROR(again, Ec2Error::kIncorrectState);
  EXPECT_EQ(again.status().message(), "Volume '" + v.id + "' is in the 'available' state.");

  // What the instance wrote is on the block volume, under the volume's data key.
  auto key = Unwrap(*kms_, kAlice, detached.encryption);
  auto vol = engine_->OpenVolume(detached.engine_id, &key);
  ASSERT_TRUE(vol.ok());
  std::vector<uint8_t> back(4096);
  ASSERT_TRUE((*vol)->Read(8192, back).ok());
  EXPECT_EQ(back, data);
}

TEST_F(VolumesTest, AttachFailsBackToAvailableWhenTheCallerMayNotCreateGrants) {
  const std::string instance = Launch();
  const auto carol = User(kAlice, "carol");
  AllowActions(carol, R"(["ec2:*","kms:DescribeKey","kms:GenerateDataKeyWithoutPlaintext","kms:Decrypt"])");
  auto r = Request();
  r.encrypted = true;
  r.kms_key_id = NewKey();
  auto v = Made(r, As(carol));
  ASSERT_EQ(v.state, VolumeState::kAvailable) << v.state_message;
  auto a = svc_->AttachVolume(As(carol), v.id, instance, "/dev/sdf");
  ASSERT_TRUE(a.ok()) << a.status().ToString();  // accepted, fails asynchronously
  WaitIdle();
  auto back = Describe(v.id, As(carol));
  EXPECT_EQ(back.state, VolumeState::kAvailable);
  EXPECT_FALSE(back.attachment);
  EXPECT_NE(back.state_message.find("kms:CreateGrant"), std::string::npos) << back.state_message;
}

TEST_F(VolumesTest, CreateSnapshotsOfAnInstance) {
  const std::string instance = Launch();
  ASSERT_FALSE(instance.empty());
  auto r = Request();
  r.tags = {{"role", "data"}};
  auto data = Made(r, Alice());
  ASSERT_TRUE(svc_->AttachVolume(Alice(), data.id, instance, "/dev/sdf").ok());
  WaitIdle();
  auto without_boot = svc_->CreateSnapshots(Alice(), instance, true, "all", {{"set", "1"}}, true);
  ASSERT_TRUE(without_boot.ok()) << without_boot.status().ToString();
  ASSERT_EQ(without_boot->size(), 1u);
  EXPECT_EQ(without_boot->at(0).volume_id, data.id);
  EXPECT_EQ(without_boot->at(0).tags, (std::vector<Tag>{{"role", "data"}, {"set", "1"}}));
  auto with_boot = svc_->CreateSnapshots(Alice(), instance, false, "all", {}, false);
  ASSERT_TRUE(with_boot.ok());
  EXPECT_EQ(with_boot->size(), 2u);
  EXPECT_EC2_ERROR(svc_->CreateSnapshots(Bob(), instance, false, "", {}, false), Ec2Error::kInstanceNotFound);
  WaitIdle();
  auto done = svc_->DescribeSnapshots(Alice(), {}, {}, {}, {{"description", {"all"}}, {"status", {"completed"}}}, {});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->items.size(), 3u);
}

TEST_F(VolumesTest, HostsKeepKeysAndOpenVolumesPerInstance) {
  Hosts hosts;
  auto a = engine_->CreateVolume(blocks::kGiB, nullptr);
  auto b = engine_->CreateVolume(blocks::kGiB, nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  auto add = [&](const std::string& instance, const std::string& volume, blocks::VolumeId id, const std::string& grant) {
    HostVolume e;
    e.account = kAlice;
    e.instance_id = instance;
    e.volume_id = volume;
    e.key = crypto::SecretBytes(64);
    e.volume = *engine_->OpenVolume(id, nullptr);
    e.grant_id = grant;
    e.key_arn = "arn:aws:kms:us-east-1:111122223333:key/k";
    return hosts.Add(std::move(e));
  };
  EXPECT_FALSE(add("i-1", "vol-a", *a, "g1"));
  EXPECT_FALSE(add("i-1", "vol-b", *b, "g2"));
  EXPECT_TRUE(hosts.Has("i-1", "vol-a"));
  EXPECT_FALSE(hosts.Has("i-2", "vol-a"));
  ASSERT_TRUE(hosts.Find("i-1", "vol-b"));
  // The engine refuses to delete a volume while the host has it open.
  EXPECT_EQ(engine_->DeleteVolume(*a).code(), base::StatusCode::kFailedPrecondition);
  auto removed = hosts.Remove("i-1", "vol-a");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->grant_id, "g1");
  EXPECT_FALSE(hosts.Remove("i-1", "vol-a"));
  EXPECT_TRUE(engine_->DeleteVolume(*a).ok());  // closed
  auto rest = hosts.RemoveInstance("i-1");
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].volume_id, "vol-b");
  EXPECT_TRUE(hosts.Clear().empty());
  EXPECT_TRUE(engine_->DeleteVolume(*b).ok());
}

class OldEraVolumesTest : public VolumesTest {
 protected:
  void Configure(Ec2Options& o) override {
    const std::string path = dir_.path() + "/types.json";
    std::ofstream(path) << R"({"instanceTypes": [
      {"instanceType": "m1.small", "encryptionSupport": "unsupported"},
      {"instanceType": "t3.micro", "encryptionSupport": "supported"}]})";
    o.instance_types_file = path;
  }
};

TEST_F(OldEraVolumesTest, EncryptedVolumesNeedAnInstanceTypeThatSupportsThem) {
  const std::string instance = Launch("m1.small");
  ASSERT_FALSE(instance.empty());
  auto r = Request();
  r.encrypted = true;
  auto v = Made(r, Alice());
  auto a = svc_->AttachVolume(Alice(), v.id, instance, "/dev/sdf");
  EXPECT_EC2_ERROR(a, Ec2Error::kEncryptedVolumesNotSupported);
  EXPECT_EQ(a.status().message(), "'" + v.id + "' is encrypted and 'm1.small' does not support encrypted volumes.");
  auto plain = Made(Request(), Alice());
  EXPECT_TRUE(svc_->AttachVolume(Alice(), plain.id, instance, "/dev/sdf").ok());
  WaitIdle();
}

TEST_F(VolumesTest, ModifyGrowsTheBlockVolume) {
  auto v = Made(Request(2), Alice());
  ModifyVolumeRequest m;
  m.volume_id = v.id;
  m.size_gib = 1;
  EXPECT_EC2_ERROR(svc_->ModifyVolume(Alice(), m), Ec2Error::kInvalidParameterValue);
  m.size_gib = 5;
  m.volume_type = "gp3";
  auto mod = svc_->ModifyVolume(Alice(), m);
  ASSERT_TRUE(mod.ok()) << mod.status().ToString();
  EXPECT_EQ(mod->state, "modifying");
  EXPECT_EQ(mod->original_size_gib, 2);
  EXPECT_EQ(mod->target_size_gib, 5);
  WaitIdle();
  auto after = Describe(v.id, Alice());
  EXPECT_EQ(after.size_gib, 5);
  EXPECT_EQ(after.volume_type, "gp3");
  EXPECT_EQ(after.iops, 3000);
  ASSERT_TRUE(after.modification);
  EXPECT_EQ(after.modification->state, "completed");
  EXPECT_EQ(engine_->DescribeVolume(after.engine_id)->size_bytes, 5 * blocks::kGiB);
}

// A restart while creations are still queued: Resume() finishes them.
class SlowVolumesTest : public VolumesTest {
 protected:
  void Configure(Ec2Options& o) override { o.min_transition_ms = slow_ ? 300 : 0; }
  bool slow_ = true;
};

TEST_F(SlowVolumesTest, ResumeAfterRestartFinishesCreatingVolumes) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    auto r = Request();
    r.encrypted = i % 2 == 1;
    auto v = svc_->CreateVolume(Alice(), r);
    ASSERT_TRUE(v.ok());
    ids.push_back(v->id);
  }
  // Two workers hold their volumes for 300 ms; the other two are still queued when the service stops.
  Close();
  slow_ = false;
  Open();
  WaitIdle();
  for (const auto& id : ids) {
    auto v = Describe(id, Alice());
    EXPECT_EQ(v.state, VolumeState::kAvailable) << id << " " << v.state_message;
    EXPECT_GT(v.engine_id, 0);
  }
}

}  // namespace
}  // namespace kura::ec2::testing
