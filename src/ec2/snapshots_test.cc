// Snapshots end to end: same data key as the volume (F4), copies that share
// the block snapshot or re-encrypt under a new data key (F5), data readable
// after snapshot -> copy -> new volume, cross-region copies, sharing rules
// (F7), visibility, deletion, the copy limit, and Resume after a restart.
#include "ec2/data_keys.h"
#include "ec2/test_fixture.h"

namespace kura::ec2::testing {
namespace {

class SnapshotsTest : public Ec2Test {
 protected:
  // The plaintext data key of `e`, unwrapped as EC2 would for `account`.
  crypto::SecretBytes Unwrap(const std::string& account, const Encryption& e) {
    kms::DecryptRequest req;
    req.ciphertext_blob = e.wrapped_key;
    req.encryption_context = DataKeys::ContextFor(e.context_id);
    auto r = kms_->Decrypt(kms::Caller::ViaEc2(Root(account), RegionOfKey(e.kms_key_arn, kEast)), req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r->plaintext) : crypto::SecretBytes();
  }

  VolumeRecord MakeVolume(const Caller& caller, std::optional<bool> encrypted, const std::string& key = "",
                          const std::string& snapshot = "", std::optional<int64_t> size = 1) {
    CreateVolumeRequest r;
    r.zone = caller.region + "a";
    r.size_gib = size;
    r.encrypted = encrypted;
    r.kms_key_id = key;
    r.snapshot_id = snapshot;
    auto v = svc_->CreateVolume(caller, r);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    if (!v.ok()) return {};
    WaitIdle();
    auto page = svc_->DescribeVolumes(caller, {v->id}, {}, {});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->items.at(0) : VolumeRecord{};
  }

  SnapshotRecord Snap(const Caller& caller, const std::string& id) {
    auto page = svc_->DescribeSnapshots(caller, {id}, {}, {}, {}, {});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() && page->items.size() == 1 ? page->items[0] : SnapshotRecord{};
  }

  SnapshotRecord TakeSnapshot(const Caller& caller, const std::string& volume_id) {
    auto s = svc_->CreateSnapshot(caller, volume_id, "d", {});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    WaitIdle();
    return s.ok() ? Snap(caller, s->id) : SnapshotRecord{};
  }

  base::Result<SnapshotRecord> Copy(const Caller& caller, const std::string& source, const std::string& source_region,
                                    std::optional<bool> encrypted = std::nullopt, const std::string& key = "") {
    CopySnapshotRequest r;
    r.source_region = source_region;
    r.source_snapshot_id = source;
    r.encrypted = encrypted;
    r.kms_key_id = key;
    r.description = "copy";
    return svc_->CopySnapshot(caller, r);
  }

  // Writes `pattern` through the engine at `offset` of a volume with its data key.
  void Write(const VolumeRecord& v, uint64_t offset, uint8_t pattern) {
    auto key = v.encrypted ? Unwrap(v.account, v.encryption) : crypto::SecretBytes();
    auto vol = engine_->OpenVolume(v.engine_id, v.encrypted ? &key : nullptr);
    ASSERT_TRUE(vol.ok()) << vol.status().ToString();
    ASSERT_TRUE((*vol)->Write(offset, std::vector<uint8_t>(65536, pattern)).ok());
    ASSERT_TRUE((*vol)->Flush().ok());
  }

  // Reads back through the engine with the volume's own data key (unwrapped by its owner).
  std::vector<uint8_t> Read(const VolumeRecord& v, uint64_t offset) {
    auto key = v.encrypted ? Unwrap(v.account, v.encryption) : crypto::SecretBytes();
    auto vol = engine_->OpenVolume(v.engine_id, v.encrypted ? &key : nullptr);
    EXPECT_TRUE(vol.ok()) << vol.status().ToString();
    std::vector<uint8_t> out(65536);
    if (vol.ok()) {
      EXPECT_TRUE((*vol)->Read(offset, out).ok());
    }
    return out;
  }

  std::string AwsEbsArn(const std::string& account, const std::string& region) {
    auto k = kms_->DescribeKey(kms::Caller::Direct(Root(account), region), "alias/aws/ebs");
    EXPECT_TRUE(k.ok());
    return k.ok() ? k->arn : "";
  }

  // A customer managed key of Alice that Bob's account may also use (F7 step 3).
  std::string SharedKey() {
    return NewKey(kAlice, kEast, R"({"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
      {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},
       "Action":["kms:DescribeKey","kms:CreateGrant","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*"],
       "Resource":"*"}]})");
  }
};

TEST_F(SnapshotsTest, SnapshotSharesTheVolumesKeyAndDataKey) {
  const std::string cmk = NewKey();
  auto v = MakeVolume(Alice(), true, cmk);
  ASSERT_EQ(v.state, VolumeState::kAvailable) << v.state_message;
  auto s = svc_->CreateSnapshot(Alice(), v.id, "first", {{"k", "v"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->state, SnapshotState::kPending);
  EXPECT_EQ(s->progress, -1);
  EXPECT_EQ(s->volume_id, v.id);
  EXPECT_EQ(s->encryption.kms_key_arn, cmk);
  EXPECT_EQ(s->encryption.wrapped_key, v.encryption.wrapped_key);
  EXPECT_EQ(s->encryption.context_id, v.id);
  WaitIdle();
  auto done = Snap(Alice(), s->id);
  EXPECT_EQ(done.state, SnapshotState::kCompleted);
  EXPECT_EQ(done.progress, 100);
  EXPECT_EQ(done.tags, (std::vector<Tag>{{"k", "v"}}));

  EXPECT_EC2_ERROR(svc_->CreateSnapshot(Alice(), "vol-0123456789abcdef0", "", {}), Ec2Error::kVolumeNotFound);
  CreateVolumeRequest bad;
  bad.zone = kZoneA;
  bad.size_gib = 1;
  bad.encrypted = true;
  bad.kms_key_id = "alias/missing";
  auto failed = svc_->CreateVolume(Alice(), bad);
  WaitIdle();
  EXPECT_EC2_ERROR(svc_->CreateSnapshot(Alice(), failed->id, "", {}), Ec2Error::kIncorrectState);
}

TEST_F(SnapshotsTest, DataSurvivesSnapshotCopyAndNewVolumesUnderOtherKeys) {
  const std::string k1 = NewKey(), k2 = NewKey(), k3 = NewKey();
  auto v = MakeVolume(Alice(), true, k1, "", 2);
  Write(v, 0, 0x11);
  Write(v, blocks::kGiB + 4096, 0x22);
  auto snap = TakeSnapshot(Alice(), v.id);
  Write(v, 0, 0x99);  // after the snapshot: not in it

  // Re-encrypting copy: its own data key, context = its own id, its own block snapshot.
  auto copy = Copy(Alice(), snap.id, kEast, true, k2);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->volume_id, "vol-ffffffff");
  EXPECT_EQ(copy->encryption.kms_key_arn, k2);
  EXPECT_TRUE(copy->tags.empty());
  WaitIdle();
  auto copied = Snap(Alice(), copy->id);
  ASSERT_EQ(copied.state, SnapshotState::kCompleted) << copied.state_message;
  EXPECT_EQ(copied.progress, 100);
  EXPECT_EQ(copied.encryption.context_id, copy->id);
  EXPECT_NE(copied.encryption.wrapped_key, snap.encryption.wrapped_key);
  EXPECT_NE(copied.engine_id, snap.engine_id);

  // A volume from the copy under yet another key (re-encrypted again), one
  // under the copy's own key (its data key reused), and one bigger.
  auto other_key = MakeVolume(Alice(), true, k3, copy->id, std::nullopt);
  ASSERT_EQ(other_key.state, VolumeState::kAvailable) << other_key.state_message;
  EXPECT_EQ(other_key.encryption.kms_key_arn, k3);
  EXPECT_EQ(other_key.encryption.context_id, other_key.id);
  auto same_key = MakeVolume(Alice(), std::nullopt, "", copy->id, std::nullopt);
  ASSERT_EQ(same_key.state, VolumeState::kAvailable) << same_key.state_message;
  EXPECT_EQ(same_key.encryption.kms_key_arn, k2);
  EXPECT_EQ(same_key.encryption.wrapped_key, copied.encryption.wrapped_key);
  EXPECT_EQ(same_key.encryption.context_id, copy->id);
  EXPECT_EQ(same_key.size_gib, 2);
  auto bigger = MakeVolume(Alice(), true, k3, copy->id, 4);
  ASSERT_EQ(bigger.state, VolumeState::kAvailable) << bigger.state_message;
  EXPECT_EQ(engine_->DescribeVolume(bigger.engine_id)->size_bytes, 4 * blocks::kGiB);
  for (const auto* vol : {&other_key, &same_key, &bigger}) {
    EXPECT_EQ(Read(*vol, 0), std::vector<uint8_t>(65536, 0x11)) << vol->id;
    EXPECT_EQ(Read(*vol, blocks::kGiB + 4096), std::vector<uint8_t>(65536, 0x22)) << vol->id;
    EXPECT_EQ(Read(*vol, 1 << 20), std::vector<uint8_t>(65536, 0)) << vol->id;
  }
  // Smaller than the snapshot: refused.
  CreateVolumeRequest small;
  small.zone = kZoneA;
  small.size_gib = 1;
  small.snapshot_id = copy->id;
  auto refused = svc_->CreateVolume(Alice(), small);
  EXPECT_EC2_ERROR(refused, Ec2Error::kInvalidParameterValue);
  EXPECT_EQ(refused.status().message(),
            "Volume of size 1GB is smaller than snapshot '" + copy->id + "', expect size >= 2GB");
}

TEST_F(SnapshotsTest, UnencryptedSnapshotToEncryptedVolumeAndCopy) {
  auto v = MakeVolume(Alice(), std::nullopt);
  Write(v, 4096, 0x33);
  auto snap = TakeSnapshot(Alice(), v.id);
  EXPECT_FALSE(snap.encrypted);
  auto enc = MakeVolume(Alice(), true, "", snap.id);
  ASSERT_EQ(enc.state, VolumeState::kAvailable) << enc.state_message;
  EXPECT_EQ(enc.encryption.kms_key_arn, AwsEbsArn(kAlice, kEast));
  EXPECT_TRUE(engine_->DescribeVolume(enc.engine_id)->encrypted);
  EXPECT_EQ(Read(enc, 4096), std::vector<uint8_t>(65536, 0x33));

  auto plain_copy = Copy(Alice(), snap.id, kEast);
  ASSERT_TRUE(plain_copy.ok());
  EXPECT_FALSE(plain_copy->encrypted);
  auto enc_copy = Copy(Alice(), snap.id, kEast, true);
  ASSERT_TRUE(enc_copy.ok());
  EXPECT_TRUE(enc_copy->encrypted);
  WaitIdle();
  auto done = Snap(Alice(), enc_copy->id);
  ASSERT_EQ(done.state, SnapshotState::kCompleted) << done.state_message;
  EXPECT_TRUE(engine_->DescribeSnapshot(done.engine_id)->encrypted);
  EXPECT_EQ(Snap(Alice(), plain_copy->id).engine_id, snap.engine_id);  // metadata only
}

TEST_F(SnapshotsTest, SameKeyCopySharesTheBlockSnapshotUntilTheLastRecordGoes) {
  auto v = MakeVolume(Alice(), true, NewKey());
  auto snap = TakeSnapshot(Alice(), v.id);
  auto copy = Copy(Alice(), snap.id, kEast);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->engine_id, snap.engine_id);
  EXPECT_EQ(copy->encryption.wrapped_key, snap.encryption.wrapped_key);
  WaitIdle();
  EXPECT_EQ(Snap(Alice(), copy->id).state, SnapshotState::kCompleted);
  ASSERT_TRUE(svc_->DeleteSnapshot(Alice(), snap.id).ok());
  EXPECT_TRUE(engine_->DescribeSnapshot(snap.engine_id).ok());  // the copy still uses it
  EXPECT_EC2_ERROR(svc_->DescribeSnapshots(Alice(), {snap.id}, {}, {}, {}, {}), Ec2Error::kSnapshotNotFound);
  ASSERT_TRUE(svc_->DeleteSnapshot(Alice(), copy->id).ok());
  EXPECT_FALSE(engine_->DescribeSnapshot(snap.engine_id).ok());
  EXPECT_EC2_ERROR(svc_->DeleteSnapshot(Alice(), copy->id), Ec2Error::kSnapshotNotFound);
}

TEST_F(SnapshotsTest, CrossRegionCopyReencryptsUnderTheDestinationsKey) {
  auto v = MakeVolume(Alice(), true, NewKey());
  Write(v, 0, 0x44);
  auto snap = TakeSnapshot(Alice(), v.id);
  const Caller tokyo = As(Root(kAlice), kTokyo);
  auto copy = Copy(tokyo, snap.id, kEast);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->region, kTokyo);
  EXPECT_EQ(copy->copy_source_region, kEast);
  EXPECT_EQ(copy->encryption.kms_key_arn, AwsEbsArn(kAlice, kTokyo));
  WaitIdle();
  auto done = Snap(tokyo, copy->id);
  ASSERT_EQ(done.state, SnapshotState::kCompleted) << done.state_message;
  EXPECT_EC2_ERROR(svc_->DescribeSnapshots(Alice(), {copy->id}, {}, {}, {}, {}), Ec2Error::kSnapshotNotFound);
  auto there = MakeVolume(tokyo, std::nullopt, "", copy->id);
  ASSERT_EQ(there.state, VolumeState::kAvailable) << there.state_message;
  EXPECT_EQ(Read(there, 0), std::vector<uint8_t>(65536, 0x44));
  // A key of the source region cannot be used in the destination.
  auto wrong = Copy(tokyo, snap.id, kEast, true, v.encryption.kms_key_arn);
  ASSERT_TRUE(wrong.ok());
  WaitIdle();
  EXPECT_EQ(Snap(tokyo, wrong->id).state, SnapshotState::kError);
  // DestinationRegion names the destination when the call arrives elsewhere.
  CopySnapshotRequest r;
  r.source_region = kEast;
  r.source_snapshot_id = snap.id;
  r.destination_region = kTokyo;
  auto to_tokyo = svc_->CopySnapshot(Alice(), r);
  ASSERT_TRUE(to_tokyo.ok());
  EXPECT_EQ(to_tokyo->region, kTokyo);
  WaitIdle();
}

TEST_F(SnapshotsTest, CopyFailuresEndInError) {
  auto v = MakeVolume(Alice(), true, NewKey());
  auto snap = TakeSnapshot(Alice(), v.id);
  auto copy = Copy(Alice(), snap.id, kEast, true, "alias/nope");
  ASSERT_TRUE(copy.ok());
  WaitIdle();
  auto failed = Snap(Alice(), copy->id);
  EXPECT_EQ(failed.state, SnapshotState::kError);
  EXPECT_NE(failed.state_message.find("alias/nope"), std::string::npos) << failed.state_message;

  EXPECT_EC2_ERROR(Copy(Alice(), "snap-0123456789abcdef0", kEast), Ec2Error::kSnapshotNotFound);
  EXPECT_EC2_ERROR(Copy(Alice(), snap.id, kTokyo), Ec2Error::kSnapshotNotFound);  // not in that region
  EXPECT_EC2_ERROR(Copy(Alice(), snap.id, kEast, false, "alias/x"), Ec2Error::kInvalidParameterDependency);
  EXPECT_EC2_ERROR(Copy(Bob(), snap.id, kEast), Ec2Error::kSnapshotNotFound);  // not shared
}

TEST_F(SnapshotsTest, SharingRules) {
  // aws/ebs snapshots cannot be shared with anyone.
  auto managed = TakeSnapshot(Alice(), MakeVolume(Alice(), true).id);
  ASSERT_TRUE(managed.encryption.aws_managed_key);
  PermissionChange add_bob;
  add_bob.add_users = {kBob};
  auto refused = svc_->ModifySnapshotAttribute(Alice(), managed.id, "createVolumePermission", add_bob);
  EXPECT_EC2_ERROR(refused, Ec2Error::kOperationNotPermitted);
  EXPECT_EQ(refused.message(), "Encrypted snapshots with EBS default key cannot be shared");

  // Customer managed key: shareable with accounts, never public.
  auto cmk = TakeSnapshot(Alice(), MakeVolume(Alice(), true, SharedKey()).id);
  ASSERT_TRUE(svc_->ModifySnapshotAttribute(Alice(), cmk.id, "createVolumePermission", add_bob).ok());
  PermissionChange make_public;
  make_public.add_groups = {"all"};
  auto not_public = svc_->ModifySnapshotAttribute(Alice(), cmk.id, "createVolumePermission", make_public);
  EXPECT_EC2_ERROR(not_public, Ec2Error::kOperationNotPermitted);
  EXPECT_EQ(not_public.message(), "Encrypted snapshots can't be made public");

  // Unencrypted: may be public.
  auto plain = TakeSnapshot(Alice(), MakeVolume(Alice(), std::nullopt).id);
  ASSERT_TRUE(svc_->ModifySnapshotAttribute(Alice(), plain.id, "", make_public).ok());

  PermissionChange mixed;
  mixed.add_users = {kBob};
  mixed.remove_groups = {"all"};
  EXPECT_EC2_ERROR(svc_->ModifySnapshotAttribute(Alice(), plain.id, "", mixed), Ec2Error::kInvalidParameterCombination);
  PermissionChange group;
  group.add_groups = {"friends"};
  EXPECT_EC2_ERROR(svc_->ModifySnapshotAttribute(Alice(), plain.id, "", group), Ec2Error::kInvalidParameterValue);
  PermissionChange short_id;
  short_id.add_users = {"1234"};
  EXPECT_EC2_ERROR(svc_->ModifySnapshotAttribute(Alice(), plain.id, "", short_id), Ec2Error::kInvalidParameterValue);
  EXPECT_EC2_ERROR(svc_->ModifySnapshotAttribute(Alice(), plain.id, "productCodes", add_bob),
                   Ec2Error::kInvalidParameterValue);
  // Only the owner changes or reads the attribute (Bob can see the snapshot, not manage it).
  EXPECT_EC2_ERROR(svc_->ModifySnapshotAttribute(Bob(), cmk.id, "", add_bob), Ec2Error::kSnapshotNotFound);
  EXPECT_EC2_ERROR(svc_->DescribeSnapshotAttribute(Bob(), cmk.id, "createVolumePermission"),
                   Ec2Error::kSnapshotNotFound);
  EXPECT_EC2_ERROR(svc_->DeleteSnapshot(Bob(), cmk.id), Ec2Error::kSnapshotNotFound);
  auto attr = svc_->DescribeSnapshotAttribute(Alice(), cmk.id, "createVolumePermission");
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->shared_with, std::vector<std::string>{kBob});

  // Bob's view: shared and public snapshots, by owner and restorable-by.
  auto bobs = svc_->DescribeSnapshots(Bob(), {}, {}, {}, {}, {});
  ASSERT_TRUE(bobs.ok());
  EXPECT_EQ(bobs->items.size(), 2u);
  EXPECT_EQ(svc_->DescribeSnapshots(Bob(), {}, {kAlice}, {}, {}, {})->items.size(), 2u);
  EXPECT_EQ(svc_->DescribeSnapshots(Bob(), {}, {"self"}, {}, {}, {})->items.size(), 0u);
  EXPECT_EQ(svc_->DescribeSnapshots(Bob(), {}, {}, {"self"}, {}, {})->items.size(), 1u);
  EXPECT_EQ(svc_->DescribeSnapshots(Bob(), {}, {}, {"all"}, {}, {})->items.size(), 1u);
  EXPECT_EQ(svc_->DescribeSnapshots(Bob(), {cmk.id}, {}, {}, {}, {})->items.size(), 1u);
  // Another account's private snapshot is left out, not reported (AWS's documented rule).
  auto hidden = svc_->DescribeSnapshots(Bob(), {managed.id}, {}, {}, {}, {});
  ASSERT_TRUE(hidden.ok()) << hidden.status().ToString();
  EXPECT_TRUE(hidden->items.empty());
  EXPECT_EC2_ERROR(svc_->DescribeSnapshots(Bob(), {"snap-0123456789abcdef0"}, {}, {}, {}, {}),
                   Ec2Error::kSnapshotNotFound);
  EXPECT_EQ(svc_->DescribeSnapshots(Alice(), {}, {"self"}, {}, {}, {})->items.size(), 3u);

  PermissionChange remove_bob;
  remove_bob.remove_users = {kBob};
  ASSERT_TRUE(svc_->ModifySnapshotAttribute(Alice(), cmk.id, "createVolumePermission", remove_bob).ok());
  EXPECT_TRUE(svc_->DescribeSnapshots(Bob(), {cmk.id}, {}, {}, {}, {})->items.empty());
  ASSERT_TRUE(svc_->ResetSnapshotAttribute(Alice(), plain.id, "createVolumePermission").ok());
  EXPECT_EQ(svc_->DescribeSnapshots(Bob(), {}, {}, {}, {}, {})->items.size(), 0u);
}

TEST_F(SnapshotsTest, RecipientOfASharedEncryptedSnapshotGetsItsOwnDefaultKey) {
  const std::string owner_key = SharedKey();
  auto v = MakeVolume(Alice(), true, owner_key);
  Write(v, 0, 0x55);
  auto snap = TakeSnapshot(Alice(), v.id);
  PermissionChange add_bob;
  add_bob.add_users = {kBob};
  ASSERT_TRUE(svc_->ModifySnapshotAttribute(Alice(), snap.id, "", add_bob).ok());

  auto bobs = MakeVolume(Bob(), std::nullopt, "", snap.id);
  ASSERT_EQ(bobs.state, VolumeState::kAvailable) << bobs.state_message;
  EXPECT_EQ(bobs.encryption.kms_key_arn, AwsEbsArn(kBob, kEast));  // re-encrypted under Bob's D
  EXPECT_EQ(bobs.encryption.context_id, bobs.id);
  EXPECT_EQ(Read(bobs, 0), std::vector<uint8_t>(65536, 0x55));

  auto copy = Copy(Bob(), snap.id, kEast);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->encryption.kms_key_arn, AwsEbsArn(kBob, kEast));
  WaitIdle();
  EXPECT_EQ(Snap(Bob(), copy->id).state, SnapshotState::kCompleted);

  // Without the owner's key policy allowing it, the recipient's volume fails.
  const std::string private_key = NewKey();
  auto locked = TakeSnapshot(Alice(), MakeVolume(Alice(), true, private_key).id);
  ASSERT_TRUE(svc_->ModifySnapshotAttribute(Alice(), locked.id, "", add_bob).ok());
  auto denied = MakeVolume(Bob(), std::nullopt, "", locked.id);
  EXPECT_EQ(denied.state, VolumeState::kError);
  EXPECT_NE(denied.state_message.find("kms:Decrypt"), std::string::npos) << denied.state_message;
}

TEST_F(SnapshotsTest, DeleteRefusedWhileAnImageUsesIt) {
  auto snap = TakeSnapshot(Alice(), MakeVolume(Alice(), std::nullopt).id);
  RegisterImageRequest image;
  image.name = "uses-snap";
  image.root_device_name = "/dev/xvda";
  BlockDeviceMapping m;
  m.device_name = "/dev/xvda";
  m.ebs = EbsBlockDevice{};
  m.ebs->snapshot_id = snap.id;
  image.block_device_mappings = {m};
  auto ami = svc_->RegisterImage(Alice(), image);
  ASSERT_TRUE(ami.ok()) << ami.status().ToString();
  auto in_use = svc_->DeleteSnapshot(Alice(), snap.id);
  EXPECT_EC2_ERROR(in_use, Ec2Error::kSnapshotInUse);
  EXPECT_EQ(in_use.message(), "The snapshot " + snap.id + " is currently in use by " + *ami);
  ASSERT_TRUE(svc_->DeregisterImage(Alice(), *ami, false).ok());
  EXPECT_TRUE(svc_->DeleteSnapshot(Alice(), snap.id).ok());
}

TEST_F(SnapshotsTest, DescribeFiltersAndPaging) {
  auto v = MakeVolume(Alice(), true);
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    auto s = svc_->CreateSnapshot(Alice(), v.id, "snap " + std::to_string(i), {{"i", std::to_string(i)}});
    ASSERT_TRUE(s.ok());
    ids.push_back(s->id);
  }
  WaitIdle();
  auto filtered = svc_->DescribeSnapshots(Alice(), {}, {}, {},
                                          {{"volume-id", {v.id}}, {"status", {"completed"}}, {"progress", {"100%"}},
                                           {"encrypted", {"true"}}, {"owner-id", {kAlice}},
                                           {"kms-key-id", {v.encryption.kms_key_arn}}},
                                          {});
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  EXPECT_EQ(filtered->items.size(), 6u);
  EXPECT_EQ(svc_->DescribeSnapshots(Alice(), {}, {}, {}, {{"description", {"snap 1"}}}, {})->items.size(), 1u);
  EXPECT_EQ(svc_->DescribeSnapshots(Alice(), {}, {}, {}, {{"tag:i", {"2", "3"}}}, {})->items.size(), 2u);
  EXPECT_EQ(svc_->DescribeSnapshots(Alice(), {}, {}, {}, {{"volume-size", {"2"}}}, {})->items.size(), 0u);
  PageRequest page;
  page.max_results = 5;
  auto first = svc_->DescribeSnapshots(Alice(), {}, {}, {}, {}, page);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items.size(), 5u);
  page.next_token = first->next_token;
  EXPECT_EQ(svc_->DescribeSnapshots(Alice(), {}, {}, {}, {}, page)->items.size(), 1u);
  page = {};
  page.max_results = 5;
  EXPECT_EC2_ERROR(svc_->DescribeSnapshots(Alice(), {ids[0]}, {}, {}, {}, page),
                   Ec2Error::kInvalidParameterCombination);
  auto missing = svc_->DescribeSnapshots(Alice(), {"snap-0123456789abcdef0"}, {}, {}, {}, {});
  EXPECT_EC2_ERROR(missing, Ec2Error::kSnapshotNotFound);
  EXPECT_EQ(missing.status().message(), "The snapshot 'snap-0123456789abcdef0' does not exist.");
}

TEST_F(SnapshotsTest, CopyUnderNewKeyResumesItsOwnUnfinishedJobOnly) {
  auto vol = engine_->CreateVolume(blocks::kGiB, nullptr);
  ASSERT_TRUE(vol.ok());
  {
    auto open = engine_->OpenVolume(*vol, nullptr);
    ASSERT_TRUE((*open)->Write(0, std::vector<uint8_t>(4096, 7)).ok());
  }
  auto snap = engine_->CreateSnapshot(*vol);
  ASSERT_TRUE(snap.ok());
  crypto::SecretBytes mine(64), theirs(64);
  for (size_t i = 0; i < 64; ++i) {
    mine.data()[i] = static_cast<uint8_t>(i + 1);
    theirs.data()[i] = static_cast<uint8_t>(200 - i);
  }
  // Two interrupted copies of the same source, under different keys.
  ASSERT_TRUE(engine_->StartCopy(*snap, &theirs, false).ok());
  auto my_job = engine_->StartCopy(*snap, &mine, false);
  ASSERT_TRUE(my_job.ok());
  int last = -1;
  auto copied = CopyUnderNewKey(*engine_, *snap, false, nullptr, mine, [&](int p) { last = p; });
  ASSERT_TRUE(copied.ok()) << copied.status().ToString();
  EXPECT_EQ(last, 100);
  auto left = engine_->UnfinishedCopies();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);  // the other copy's job is untouched
  EXPECT_NE(left->at(0).id, *my_job);
  auto info = engine_->DescribeSnapshot(*copied);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->encrypted);
}

// Transitions held for a while so that work is still pending when a test looks.
class SlowSnapshotsTest : public SnapshotsTest {
 protected:
  void Configure(Ec2Options& o) override { o.min_transition_ms = slow_ ? 200 : 0; }
  bool slow_ = true;
};

TEST_F(SlowSnapshotsTest, PendingSourcesAndTheConcurrentCopyLimit) {
  auto v = MakeVolume(Alice(), std::nullopt);
  auto pending = svc_->CreateSnapshot(Alice(), v.id, "", {});
  ASSERT_TRUE(pending.ok());
  auto copy = Copy(Alice(), pending->id, kEast);
  EXPECT_EC2_ERROR(copy, Ec2Error::kIncorrectState);
  EXPECT_EQ(copy.status().message(), "Snapshot is in invalid state - pending");
  CreateVolumeRequest from_pending;
  from_pending.zone = kZoneA;
  from_pending.snapshot_id = pending->id;
  auto vol = svc_->CreateVolume(Alice(), from_pending);
  EXPECT_EC2_ERROR(vol, Ec2Error::kIncorrectState);
  EXPECT_EQ(vol.status().message(), "Snapshot is in invalid state - pending");
  WaitIdle();

  int accepted = 0;
  base::Status last;
  for (int i = 0; i < 21; ++i) {
    auto c = Copy(Alice(), pending->id, kEast, true);
    if (c.ok()) {
      ++accepted;
    } else {
      last = c.status();
    }
  }
  EXPECT_EQ(accepted, 20);
  EXPECT_EC2_ERROR(last, Ec2Error::kResourceLimitExceeded);
  // Restart with copies still queued: Resume() finishes them.
  Close();
  slow_ = false;
  Open();
  WaitIdle();
  auto all = svc_->DescribeSnapshots(Alice(), {}, {}, {}, {{"status", {"completed"}}}, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 21u);
}

}  // namespace
}  // namespace kura::ec2::testing
