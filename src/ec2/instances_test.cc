#include <fstream>

#include "ec2/compute_test_fixture.h"
#include "ec2/hosts.h"

namespace kura::ec2::testing {
namespace {

constexpr char kKmsForEbs[] =
    R"(["ec2:*","kms:DescribeKey","kms:GenerateDataKeyWithoutPlaintext","kms:Decrypt","kms:ReEncrypt*"])";

class InstancesTest : public ComputeTest {};

// Records what the hosts tell their observer (the NBD server in kura serve).
class RecordingObserver : public HostObserver {
 public:
  void VolumeAttached(const std::string& account, const std::string& instance_id, const std::string& volume_id,
                      std::shared_ptr<blocks::Volume> volume) override {
    std::lock_guard lock(mu);
    events.push_back("attached " + account + " " + instance_id + " " + volume_id);
    held = std::move(volume);
  }
  void VolumeDetaching(const std::string& instance_id, const std::string& volume_id) override {
    std::lock_guard lock(mu);
    events.push_back("detaching " + instance_id + " " + volume_id);
    held.reset();  // an observer lets go before the host closes the volume
  }
  std::mutex mu;
  std::vector<std::string> events;
  std::shared_ptr<blocks::Volume> held;
};

TEST_F(InstancesTest, TheHostObserverHearsOfVolumesOpenedAtLaunchAndClosedAtStop) {
  auto observer = std::make_shared<RecordingObserver>();
  svc_->SetHostObserver(observer);
  const std::string image = NewImage(Alice(), "observed", true, NewKey());
  RunInstancesRequest r;
  r.image_id = image;
  r.instance_type = "t3.micro";
  auto reservation = svc_->RunInstances(Alice(), r);
  ASSERT_TRUE(reservation.ok()) << reservation.status().ToString();
  WaitIdle();
  const InstanceRecord i = Instance(Alice(), reservation->instances[0].id);
  const std::string volume = i.block_devices.at(0).volume_id;
  auto ids = svc_->HostVolumeIds(kAlice, i.id);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<std::string>{volume});
  EXPECT_FALSE(svc_->HostVolumeIds("999999999999", i.id).ok());  // another account's instance is not found
  {
    std::lock_guard lock(observer->mu);
    EXPECT_EQ(observer->events, std::vector<std::string>{"attached " + std::string(kAlice) + " " + i.id + " " + volume});
    ASSERT_TRUE(observer->held);
  }
  ASSERT_TRUE(svc_->StopInstances(Alice(), {i.id}, false).ok());
  WaitIdle();
  std::lock_guard lock(observer->mu);
  ASSERT_EQ(observer->events.size(), 2u);
  EXPECT_EQ(observer->events[1], "detaching " + i.id + " " + volume);
  EXPECT_FALSE(svc_->HostVolumeIds(kAlice, i.id).ok());  // stopped: IncorrectInstanceState
}

TEST_F(InstancesTest, RunsFromAnEncryptedImageWithTheImageKey) {
  const std::string key = NewKey();
  const std::string image = NewImage(Alice(), "encrypted-root", true, key);
  RunInstancesRequest r;
  r.image_id = image;
  r.instance_type = "t3.micro";
  r.instance_tags = {{"Name", "web"}};
  auto reservation = svc_->RunInstances(Alice(), r);
  ASSERT_TRUE(reservation.ok()) << reservation.status().ToString();
  ASSERT_EQ(reservation->instances.size(), 1u);
  const InstanceRecord& pending = reservation->instances[0];
  EXPECT_EQ(pending.state, InstanceState::kPending);
  ASSERT_TRUE(pending.state_reason);
  EXPECT_EQ(pending.state_reason->code, "pending");
  EXPECT_EQ(reservation->owner_id, kAlice);
  WaitIdle();

  InstanceRecord i = Instance(Alice(), pending.id);
  EXPECT_EQ(i.state, InstanceState::kRunning);
  EXPECT_FALSE(i.state_reason);
  EXPECT_EQ(i.zone, "us-east-1a");
  EXPECT_EQ(i.private_ip.rfind("10.", 0), 0u);
  ASSERT_EQ(i.block_devices.size(), 1u);
  EXPECT_EQ(i.block_devices[0].device_name, "/dev/xvda");
  EXPECT_EQ(i.block_devices[0].status, "attached");
  EXPECT_TRUE(i.block_devices[0].delete_on_termination);
  auto v = Volume(Alice(), i.block_devices[0].volume_id);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->state, VolumeState::kInUse);
  EXPECT_TRUE(v->encrypted);
  EXPECT_EQ(v->encryption.kms_key_arn, key);
  ASSERT_TRUE(v->attachment);
  EXPECT_EQ(v->attachment->instance_id, i.id);
  EXPECT_EQ(v->attachment->state, AttachmentState::kAttached);

  // The volume is open on the host with its plaintext data key: data round-trips.
  auto opened = svc_->OpenAttachedVolume(kAlice, i.id, v->id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
}

TEST_F(InstancesTest, BlockDeviceOverridesEncryptUnderTheRequestedKey) {
  const std::string image = NewImage(Alice(), "plain-root");
  const std::string key = NewKey();
  RunInstancesRequest r;
  r.image_id = image;
  BlockDeviceMapping root;
  root.device_name = "/dev/xvda";
  root.ebs = EbsBlockDevice{};
  root.ebs->encrypted = true;
  root.ebs->kms_key_id = key;
  root.ebs->volume_size_gib = 2;
  BlockDeviceMapping data;
  data.device_name = "/dev/sdf";
  data.ebs = EbsBlockDevice{};
  data.ebs->volume_size_gib = 1;
  data.ebs->delete_on_termination = false;
  r.block_device_mappings = {root, data};
  r.volume_tags = {{"team", "blue"}};
  InstanceRecord i = Launch(Alice(), r);
  ASSERT_EQ(i.state, InstanceState::kRunning) << (i.state_reason ? i.state_reason->message : "");
  ASSERT_EQ(i.block_devices.size(), 2u);
  for (const auto& bd : i.block_devices) {
    auto v = Volume(Alice(), bd.volume_id);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->tags, (std::vector<Tag>{{"team", "blue"}}));
    if (bd.device_name == "/dev/xvda") {
      EXPECT_TRUE(v->encrypted);
      EXPECT_EQ(v->encryption.kms_key_arn, key);
      EXPECT_EQ(v->size_gib, 2);
    } else {
      EXPECT_FALSE(v->encrypted);
      EXPECT_FALSE(bd.delete_on_termination);
    }
  }
}

TEST_F(InstancesTest, RunRejectsBadRequestsSynchronously) {
  const std::string image = NewImage(Alice(), "plain-root");
  RunInstancesRequest r;
  r.image_id = image;
  r.instance_type = "t9.huge";
  EXPECT_EC2_ERROR(svc_->RunInstances(Alice(), r), Ec2Error::kInvalidParameterValue);
  r.instance_type = "t3.micro";
  r.zone = "us-east-1z";
  EXPECT_EC2_ERROR(svc_->RunInstances(Alice(), r), Ec2Error::kInvalidParameterValue);
  r.zone = "";
  r.min_count = 2;
  r.max_count = 1;
  EXPECT_EC2_ERROR(svc_->RunInstances(Alice(), r), Ec2Error::kInvalidParameterValue);
  r.min_count = r.max_count = 21;
  EXPECT_EC2_ERROR(svc_->RunInstances(Alice(), r), Ec2Error::kInstanceLimitExceeded);
  r.min_count = r.max_count = 1;
  BlockDeviceMapping m;
  m.device_name = "/dev/xvda";
  m.ebs = EbsBlockDevice{};
  m.ebs->kms_key_id = NewKey();
  r.block_device_mappings = {m};
  auto st = StatusOf(svc_->RunInstances(Alice(), r));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kInvalidParameterDependency);
  EXPECT_EQ(st.message(), "The parameter KmsKeyId requires the parameter Encrypted to be set.");
  r.block_device_mappings.clear();
  r.image_id = "ami-0123456789abcdef0";
  st = StatusOf(svc_->RunInstances(Alice(), r));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kAmiNotFound);
  EXPECT_EQ(st.message(), "The image id '[ami-0123456789abcdef0]' does not exist");
  r.image_id = "ami-nope";
  EXPECT_EC2_ERROR(svc_->RunInstances(Alice(), r), Ec2Error::kAmiIdMalformed);
  // Another account's unshared image is invisible.
  r.image_id = image;
  EXPECT_EC2_ERROR(svc_->RunInstances(Bob(), r), Ec2Error::kAmiNotFound);
  WaitIdle();
}

TEST_F(InstancesTest, ClientTokenReturnsTheSameReservation) {
  const std::string image = NewImage(Alice(), "plain-root");
  RunInstancesRequest r;
  r.image_id = image;
  r.min_count = r.max_count = 2;
  r.client_token = "token-1";
  auto first = svc_->RunInstances(Alice(), r);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto again = svc_->RunInstances(Alice(), r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->reservation_id, first->reservation_id);
  ASSERT_EQ(again->instances.size(), 2u);
  EXPECT_EQ(again->instances[1].id, first->instances[1].id);
  WaitIdle();
  auto all = svc_->DescribeInstances(Alice(), {}, {}, {});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->items.size(), 1u);
  EXPECT_EQ(all->items[0].instances.size(), 2u);
}

TEST_F(InstancesTest, CallerWithoutCreateGrantGetsATerminatedInstance) {
  const std::string key = NewKey();
  const std::string image = NewImage(Alice(), "encrypted-root", true, key);
  const auto dev = User(kAlice, "dev");
  AllowActions(dev, kKmsForEbs);
  InstanceRecord i = Launch(As(dev), image);
  EXPECT_EQ(i.state, InstanceState::kTerminated);
  ASSERT_TRUE(i.state_reason);
  EXPECT_EQ(i.state_reason->code, "Client.InternalError");
  EXPECT_EQ(i.state_reason->message, "Client.InternalError: Client error on launch");
  EXPECT_EQ(i.state_transition_reason, "Server.InternalError");
  EXPECT_TRUE(i.block_devices.empty());
  // The volumes it created went with it.
  auto volumes = svc_->DescribeVolumes(Alice(), {}, {}, {});
  ASSERT_TRUE(volumes.ok());
  for (const auto& v : volumes->items) EXPECT_FALSE(v.attachment) << v.id;
  EXPECT_EQ(volumes->items.size(), 1u);  // only the image's source volume
}

TEST_F(InstancesTest, DisabledKeyTerminatesWithInvalidKmsKeyState) {
  const std::string key = NewKey();
  const std::string image = NewImage(Alice(), "encrypted-root", true, key);
  ASSERT_TRUE(kms_->DisableKey(KmsRoot(), key).ok());
  InstanceRecord i = Launch(Alice(), image);
  EXPECT_EQ(i.state, InstanceState::kTerminated);
  ASSERT_TRUE(i.state_reason);
  EXPECT_EQ(i.state_reason->code, "Client.InvalidKMSKey.InvalidState");
  EXPECT_EQ(i.state_reason->message,
            "Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state");
}

TEST_F(InstancesTest, StopWipesHostKeysAndStartNeedsCreateGrant) {
  const std::string key = NewKey();
  const std::string image = NewImage(Alice(), "encrypted-root", true, key);
  InstanceRecord i = Launch(Alice(), image);
  ASSERT_EQ(i.state, InstanceState::kRunning);
  const std::string volume = i.block_devices.at(0).volume_id;
  ASSERT_TRUE(svc_->OpenAttachedVolume(kAlice, i.id, volume).ok());

  auto stopped = svc_->StopInstances(Alice(), {i.id}, false);
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  EXPECT_EQ(stopped->at(0).previous, InstanceState::kRunning);
  EXPECT_EQ(stopped->at(0).current, InstanceState::kStopping);
  WaitIdle();
  i = Instance(Alice(), i.id);
  EXPECT_EQ(i.state, InstanceState::kStopped);
  EXPECT_EQ(i.state_transition_reason, "User initiated (2023-11-14 22:13:20 GMT)");
  ASSERT_TRUE(i.state_reason);
  EXPECT_EQ(i.state_reason->code, "Client.UserInitiatedShutdown");
  EXPECT_EQ(i.state_reason->message, "Client.UserInitiatedShutdown: User initiated shutdown");
  EXPECT_FALSE(svc_->OpenAttachedVolume(kAlice, i.id, volume).ok());
  // The volume stays attached while stopped.
  EXPECT_EQ(Volume(Alice(), volume)->state, VolumeState::kInUse);
  // Stopping a stopped instance is a no-op.
  auto again = svc_->StopInstances(Alice(), {i.id}, false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->at(0).current, InstanceState::kStopped);

  // A start by a user who may not create grants goes back to stopped, saying why.
  const auto dev = User(kAlice, "dev");
  AllowActions(dev, kKmsForEbs);
  auto started = svc_->StartInstances(As(dev), {i.id});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->at(0).previous, InstanceState::kStopped);
  EXPECT_EQ(started->at(0).current, InstanceState::kPending);
  WaitIdle();
  i = Instance(Alice(), i.id);
  EXPECT_EQ(i.state, InstanceState::kStopped);
  ASSERT_TRUE(i.state_reason);
  EXPECT_EQ(i.state_reason->code, "Client.InternalError");
  EXPECT_FALSE(svc_->OpenAttachedVolume(kAlice, i.id, volume).ok());

  // Once granted, the same user starts it.
  AllowActions(dev, R"(["kms:CreateGrant"])");
  ASSERT_TRUE(svc_->StartInstances(As(dev), {i.id}).ok());
  WaitIdle();
  i = Instance(Alice(), i.id);
  EXPECT_EQ(i.state, InstanceState::kRunning);
  EXPECT_FALSE(i.state_reason);
  EXPECT_TRUE(svc_->OpenAttachedVolume(kAlice, i.id, volume).ok());
  // Starting a running instance reports running twice.
  auto running = svc_->StartInstances(Alice(), {i.id});
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->at(0).previous, InstanceState::kRunning);
  EXPECT_EQ(running->at(0).current, InstanceState::kRunning);
}

TEST_F(InstancesTest, AStoppedInstanceTakesANewRootVolumeAtItsRootDevice) {
  InstanceRecord i = Launch(Alice(), [&] {
    RunInstancesRequest r;
    r.image_id = NewImage(Alice(), "new-root");
    return r;
  }());
  const std::string root = i.block_devices.at(0).volume_id;
  const std::string replacement = NewVolume(Alice());
  // Taken while the old root is attached.
  EXPECT_EC2_ERROR(svc_->AttachVolume(Alice(), replacement, i.id, "/dev/xvda"), Ec2Error::kInvalidParameterValue);
  ASSERT_TRUE(svc_->StopInstances(Alice(), {i.id}, false).ok());
  WaitIdle();
  DetachVolumeRequest detach;
  detach.volume_id = root;
  ASSERT_TRUE(svc_->DetachVolume(Alice(), detach).ok());
  WaitIdle();
  auto attached = svc_->AttachVolume(Alice(), replacement, i.id, "/dev/xvda");
  ASSERT_TRUE(attached.ok()) << attached.status().ToString();
  WaitIdle();
  EXPECT_EQ(Instance(Alice(), i.id).block_devices.at(0).volume_id, replacement);
}

TEST_F(InstancesTest, ModifyDeleteOnTerminationChangesTheAttachmentAndWhatTerminateDeletes) {
  const std::string image = NewImage(Alice(), "dot-root");
  RunInstancesRequest r;
  r.image_id = image;
  InstanceRecord i = Launch(Alice(), r);
  ASSERT_EQ(i.state, InstanceState::kRunning);
  const std::string data = NewVolume(Alice());
  ASSERT_TRUE(svc_->AttachVolume(Alice(), data, i.id, "/dev/sdf").ok());
  WaitIdle();
  EXPECT_FALSE(Volume(Alice(), data)->attachment->delete_on_termination);  // AttachVolume's default

  ASSERT_TRUE(svc_->ModifyDeleteOnTermination(Alice(), i.id, {{"sdf", data, true}}).ok());
  EXPECT_TRUE(Volume(Alice(), data)->attachment->delete_on_termination);
  for (const auto& bd : Instance(Alice(), i.id).block_devices) EXPECT_TRUE(bd.delete_on_termination);
  // The wrong volume at a device, a device with nothing attached, and no change at all are refused.
  EXPECT_EC2_ERROR(svc_->ModifyDeleteOnTermination(Alice(), i.id, {{"/dev/sdf", "vol-00000000", false}}),
                   Ec2Error::kInvalidParameterValue);
  EXPECT_EC2_ERROR(svc_->ModifyDeleteOnTermination(Alice(), i.id, {{"/dev/sdz", "", false}}),
                   Ec2Error::kInvalidParameterValue);
  EXPECT_EC2_ERROR(svc_->ModifyDeleteOnTermination(Alice(), i.id, {}), Ec2Error::kMissingParameter);
  EXPECT_EC2_ERROR(svc_->ModifyDeleteOnTermination(Alice(), "i-00000000000000000", {{"/dev/sdf", "", true}}),
                   Ec2Error::kInstanceNotFound);

  ASSERT_TRUE(svc_->TerminateInstances(Alice(), {i.id}).ok());
  WaitIdle();
  EXPECT_EC2_ERROR(svc_->DescribeVolumes(Alice(), {data}, {}, {}), Ec2Error::kVolumeNotFound);
}

TEST_F(InstancesTest, TerminateDeletesDeleteOnTerminationVolumesOnly) {
  const std::string image = NewImage(Alice(), "plain-root");
  RunInstancesRequest r;
  r.image_id = image;
  BlockDeviceMapping keep;
  keep.device_name = "/dev/sdf";
  keep.ebs = EbsBlockDevice{};
  keep.ebs->volume_size_gib = 1;
  keep.ebs->delete_on_termination = false;
  r.block_device_mappings = {keep};
  InstanceRecord i = Launch(Alice(), r);
  ASSERT_EQ(i.state, InstanceState::kRunning);
  std::string root, data;
  for (const auto& bd : i.block_devices) (bd.device_name == "/dev/xvda" ? root : data) = bd.volume_id;

  auto changes = svc_->TerminateInstances(Alice(), {i.id});
  ASSERT_TRUE(changes.ok()) << changes.status().ToString();
  EXPECT_EQ(changes->at(0).previous, InstanceState::kRunning);
  EXPECT_EQ(changes->at(0).current, InstanceState::kShuttingDown);
  WaitIdle();
  i = Instance(Alice(), i.id);
  EXPECT_EQ(i.state, InstanceState::kTerminated);
  EXPECT_EC2_ERROR(svc_->DescribeVolumes(Alice(), {root}, {}, {}), Ec2Error::kVolumeNotFound);
  auto kept = Volume(Alice(), data);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->state, VolumeState::kAvailable);
  EXPECT_FALSE(kept->attachment);
  // Idempotent.
  auto again = svc_->TerminateInstances(Alice(), {i.id});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->at(0).current, InstanceState::kTerminated);
  // Terminated instances cannot be started or stopped.
  EXPECT_EC2_ERROR(svc_->StartInstances(Alice(), {i.id}), Ec2Error::kIncorrectInstanceState);
  auto st = StatusOf(svc_->StopInstances(Alice(), {i.id}, false));
  EXPECT_EQ(st.message(), "This instance '" + i.id + "' is not in a state from which it can be stopped.");

  // Visible for an hour, then gone.
  now_ms_ += 61 * 60 * 1000;
  EXPECT_EC2_ERROR(svc_->DescribeInstances(Alice(), {i.id}, {}, {}), Ec2Error::kInstanceNotFound);
  ASSERT_TRUE(svc_->ProcessDue().ok());
  auto all = svc_->DescribeInstances(Alice(), {}, {}, {});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->items.empty());
}

TEST_F(InstancesTest, TerminateIsAllOrNothing) {
  const std::string image = NewImage(Alice(), "plain-root");
  InstanceRecord i = Launch(Alice(), image);
  auto st = StatusOf(svc_->TerminateInstances(Alice(), {i.id, "i-0123456789abcdef0"}));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kInstanceNotFound);
  EXPECT_EQ(st.message(), "The instance ID 'i-0123456789abcdef0' does not exist");
  WaitIdle();
  EXPECT_EQ(Instance(Alice(), i.id).state, InstanceState::kRunning);

  RunInstancesRequest r;
  r.image_id = image;
  r.disable_api_termination = true;
  InstanceRecord protected_one = Launch(Alice(), r);
  EXPECT_EC2_ERROR(svc_->TerminateInstances(Alice(), {i.id, protected_one.id}), Ec2Error::kOperationNotPermitted);
  WaitIdle();
  EXPECT_EQ(Instance(Alice(), i.id).state, InstanceState::kRunning);
}

TEST_F(InstancesTest, DescribeInstancesErrorsFiltersAndPages) {
  const std::string image = NewImage(Alice(), "plain-root");
  RunInstancesRequest r;
  r.image_id = image;
  r.min_count = r.max_count = 3;
  r.instance_type = "m5.large";
  ASSERT_TRUE(svc_->RunInstances(Alice(), r).ok());
  r.min_count = r.max_count = 1;
  r.instance_type = "t3.micro";
  r.instance_tags = {{"role", "db"}};
  InstanceRecord db = Launch(Alice(), r);
  WaitIdle();

  EXPECT_EC2_ERROR(svc_->DescribeInstances(Alice(), {"i-xyz"}, {}, {}), Ec2Error::kInstanceIdMalformed);
  auto st = StatusOf(svc_->DescribeInstances(Alice(), {"i-0123456789abcdef0", "i-0123456789abcdef1"}, {}, {}));
  EXPECT_EQ(st.message(), "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist");
  EXPECT_EC2_ERROR(svc_->DescribeInstances(Bob(), {db.id}, {}, {}), Ec2Error::kInstanceNotFound);

  auto by_type = svc_->DescribeInstances(Alice(), {}, {{"instance-type", {"m5.large"}}}, {});
  ASSERT_TRUE(by_type.ok());
  ASSERT_EQ(by_type->items.size(), 1u);  // one reservation of three
  EXPECT_EQ(by_type->items[0].instances.size(), 3u);
  auto by_tag = svc_->DescribeInstances(Alice(), {}, {{"tag:role", {"db"}}, {"instance-state-code", {"16"}}}, {});
  ASSERT_TRUE(by_tag.ok());
  ASSERT_EQ(by_tag->items.size(), 1u);
  EXPECT_EQ(by_tag->items[0].instances[0].id, db.id);
  auto by_volume = svc_->DescribeInstances(
      Alice(), {}, {{"block-device-mapping.volume-id", {db.block_devices.at(0).volume_id}}}, {});
  ASSERT_TRUE(by_volume.ok());
  ASSERT_EQ(by_volume->items.size(), 1u);
  EXPECT_EC2_ERROR(svc_->DescribeInstances(Alice(), {}, {{"no-such-filter", {"x"}}}, {}),
                   Ec2Error::kInvalidParameterValue);

  PageRequest page;
  page.max_results = 5;
  auto first = svc_->DescribeInstances(Alice(), {}, {}, page);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items.size(), 2u);
  EXPECT_TRUE(first->next_token.empty());
  page.max_results = 4;
  EXPECT_EC2_ERROR(svc_->DescribeInstances(Alice(), {}, {}, page), Ec2Error::kInvalidParameterValue);

  auto attribute = svc_->DescribeInstanceAttribute(Alice(), db.id, "instanceType");
  ASSERT_TRUE(attribute.ok());
  EXPECT_EQ(attribute->instance_type, "t3.micro");
  EXPECT_EC2_ERROR(svc_->DescribeInstanceAttribute(Alice(), db.id, "bogus"), Ec2Error::kInvalidParameterValue);
  EXPECT_TRUE(svc_->RebootInstances(Alice(), {db.id}).ok());
}

TEST_F(InstancesTest, RunningInstancesComeBackAfterARestart) {
  const std::string key = NewKey();
  InstanceRecord i = Launch(Alice(), NewImage(Alice(), "encrypted-root", true, key));
  ASSERT_EQ(i.state, InstanceState::kRunning);
  const std::string volume = i.block_devices.at(0).volume_id;
  Close();
  Open();
  WaitIdle();
  EXPECT_EQ(Instance(Alice(), i.id).state, InstanceState::kRunning);
  EXPECT_TRUE(svc_->OpenAttachedVolume(kAlice, i.id, volume).ok());

  // The key disabled since: at the next start the instance cannot come back and stops.
  ASSERT_TRUE(kms_->DisableKey(KmsRoot(), key).ok());
  Close();
  Open();
  WaitIdle();
  InstanceRecord after = Instance(Alice(), i.id);
  EXPECT_EQ(after.state, InstanceState::kStopped);
  ASSERT_TRUE(after.state_reason);
  EXPECT_EQ(after.state_reason->code, "Client.InvalidKMSKey.InvalidState");
}

// An older AWS era, where t1.micro cannot carry encrypted volumes (ec2-api.md §6.8).
class LegacyCatalogTest : public ComputeTest {
 protected:
  void Configure(Ec2Options& o) override {
    const std::string path = dir_.path() + "/types.json";
    std::ofstream(path) << R"({"instanceTypes": [
      {"instanceType": "t1.micro", "currentGeneration": false, "encryptionSupport": "unsupported"},
      {"instanceType": "t3.micro"}]})";
    o.instance_types_file = path;
  }
};

TEST_F(LegacyCatalogTest, EncryptedLaunchOnUnsupportedTypeIsRefused) {
  const std::string image = NewImage(Alice(), "plain-root");
  // Unencrypted: fine.
  InstanceRecord plain = Launch(Alice(), image, "t1.micro");
  EXPECT_EQ(plain.state, InstanceState::kRunning);
  // Encryption by default makes every volume encrypted: refused up front.
  ASSERT_TRUE(svc_->SetEbsEncryptionByDefault(Alice(), true).ok());
  RunInstancesRequest r;
  r.image_id = image;
  r.instance_type = "t1.micro";
  auto st = StatusOf(svc_->RunInstances(Alice(), r));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kInvalidParameterCombination);
  EXPECT_NE(st.message().find("t1.micro"), std::string::npos);
  r.instance_type = "t3.micro";
  EXPECT_TRUE(svc_->RunInstances(Alice(), r).ok());
  WaitIdle();
}

}  // namespace
}  // namespace kura::ec2::testing
