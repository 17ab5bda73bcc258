// The step planner, the KMS cost estimate and rollback planning: pure functions.
#include "tools/encrypt_planner.h"

#include <gtest/gtest.h>

#include "tools/encrypt_cost.h"
#include "tools/encrypt_rollback.h"

namespace kura::tools {
namespace {

using K = StepKind;

InstanceInfo Instance(const std::string& state = "running") {
  InstanceInfo i;
  i.instance_id = "i-1";
  i.state = state;
  i.launch.instance_type = "t3.micro";
  i.launch.zone = "us-east-1a";
  i.root_device_name = "/dev/xvda";
  i.devices = {{"/dev/xvda", "vol-boot", "attached", true}, {"/dev/sdf", "vol-data", "attached", false}};
  return i;
}

std::vector<VolumeInfo> Volumes(bool boot_encrypted = false, bool data_encrypted = false) {
  VolumeInfo boot;
  boot.volume_id = "vol-boot";
  boot.volume_type = "gp2";
  boot.size_gib = 8;
  boot.encrypted = boot_encrypted;
  VolumeInfo data;
  data.volume_id = "vol-data";
  data.volume_type = "gp3";
  data.size_gib = 100;
  data.iops = 4000;
  data.throughput = 250;
  data.tags = {{"Name", "db"}};
  data.encrypted = data_encrypted;
  return {boot, data};
}

std::vector<std::pair<K, std::string>> Kinds(const JournalInstance& plan) {
  std::vector<std::pair<K, std::string>> out;
  for (const auto& s : plan.steps) out.emplace_back(s.kind, s.volume_id);
  return out;
}

Downtime DowntimeOf(const JournalInstance& plan, K kind, const std::string& volume = "") {
  for (const auto& s : plan.steps) {
    if (s.kind == kind && s.volume_id == volume) return s.downtime;
  }
  ADD_FAILURE() << "no step " << StepKindName(kind) << " " << volume;
  return Downtime::kNone;
}

TEST(EncryptPlannerTest, ABootVolumeStopsTheInstanceOnlyAroundTheSwap) {
  auto plan = PlanInstance(Instance(), Volumes(), {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const std::vector<std::pair<K, std::string>> expected = {
      {K::kCreateSnapshot, "vol-boot"}, {K::kCopySnapshot, "vol-boot"},   {K::kCreateVolume, "vol-boot"},
      {K::kCreateSnapshot, "vol-data"}, {K::kCopySnapshot, "vol-data"},   {K::kCreateVolume, "vol-data"},
      {K::kChecksumOld, "vol-boot"},    {K::kChecksumOld, "vol-data"},    {K::kStopInstance, ""},
      {K::kDetachOld, "vol-boot"},      {K::kAttachNew, "vol-boot"},      {K::kDeleteOnTermination, "vol-boot"},
      {K::kDetachOld, "vol-data"},      {K::kAttachNew, "vol-data"},      {K::kStartInstance, ""},
      {K::kVerify, "vol-boot"},         {K::kVerify, "vol-data"}};
  EXPECT_EQ(Kinds(*plan), expected);
  EXPECT_TRUE(StopsInstance(*plan));
  EXPECT_EQ(DowntimeOf(*plan, K::kCreateSnapshot, "vol-boot"), Downtime::kNone);  // copies run while it serves
  EXPECT_EQ(DowntimeOf(*plan, K::kAttachNew, "vol-data"), Downtime::kInstanceStopped);
  // Every setting to keep is in the journal.
  const JournalVolume& data = plan->volumes[1];
  EXPECT_EQ(data.device, "/dev/sdf");
  EXPECT_FALSE(data.boot);
  EXPECT_EQ(data.iops, 4000);
  EXPECT_EQ(data.throughput, 250);
  EXPECT_EQ(data.tags.at("Name"), "db");
  EXPECT_FALSE(data.delete_on_termination);
  EXPECT_TRUE(plan->volumes[0].boot);
  EXPECT_TRUE(plan->volumes[0].delete_on_termination);
}

TEST(EncryptPlannerTest, DataVolumesAloneAreSwappedWithoutStopping) {
  auto plan = PlanInstance(Instance(), Volumes(/*boot_encrypted=*/true), {});
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(StopsInstance(*plan));
  for (const auto& s : plan->steps) EXPECT_EQ(s.volume_id, "vol-data") << StepKindName(s.kind);  // boot untouched
  EXPECT_EQ(DowntimeOf(*plan, K::kDetachOld, "vol-data"), Downtime::kVolumeOffline);
  EXPECT_EQ(Kinds(*plan).size(), 7u);  // snapshot, copy, create, checksum, detach, attach, verify
}

TEST(EncryptPlannerTest, StopInstanceStopsFirstSoTheSnapshotsAreConsistent) {
  PlanOptions options;
  options.stop_instance = true;
  auto plan = PlanInstance(Instance(), Volumes(true), options);
  ASSERT_TRUE(plan.ok());
  const auto kinds = Kinds(*plan);
  ASSERT_GE(kinds.size(), 3u);
  EXPECT_EQ(kinds[0].first, K::kChecksumOld);  // read while it still runs
  EXPECT_EQ(kinds[1].first, K::kStopInstance);
  EXPECT_EQ(DowntimeOf(*plan, K::kCreateSnapshot, "vol-data"), Downtime::kInstanceStopped);
  EXPECT_EQ(kinds.back().first, K::kVerify);
}

TEST(EncryptPlannerTest, AStoppedInstanceStaysStoppedAndItsCopiesAreVerified) {
  auto plan = PlanInstance(Instance("stopped"), Volumes(), {});
  ASSERT_TRUE(plan.ok());
  for (const auto& s : plan->steps) {
    EXPECT_NE(s.kind, K::kStopInstance);
    EXPECT_NE(s.kind, K::kStartInstance);
    EXPECT_NE(s.kind, K::kChecksumOld);  // no NBD export while stopped
  }
  EXPECT_EQ(plan->steps.back().kind, K::kVerify);  // the copies against the snapshots
  EXPECT_FALSE(StopsInstance(*plan));
}

TEST(EncryptPlannerTest, ImageMethodMovesTrafficAndTouchesTheOldInstanceOnlyWhenAsked) {
  PlanOptions options;
  options.method = EncryptMethod::kImage;
  auto plan = PlanInstance(Instance(), Volumes(true), options);
  ASSERT_TRUE(plan.ok());
  const std::vector<std::pair<K, std::string>> expected = {
      {K::kCreateImage, ""},       {K::kCopyImage, ""},         {K::kLaunchReplacement, ""},
      {K::kTagReplacementVolumes, ""}, {K::kMoveAddresses, ""}, {K::kMoveLoadBalancers, ""},
      {K::kVerify, "vol-boot"},    {K::kVerify, "vol-data"}};
  EXPECT_EQ(Kinds(*plan), expected);
  EXPECT_EQ(DowntimeOf(*plan, K::kCreateImage), Downtime::kInstanceReboot);
  options.no_reboot = true;
  options.terminate_old = true;
  plan = PlanInstance(Instance(), Volumes(), options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(DowntimeOf(*plan, K::kCreateImage), Downtime::kNone);
  EXPECT_EQ(plan->steps.back().kind, K::kTerminateOld);
  EXPECT_FALSE(StopsInstance(*plan));
  options.terminate_old = false;
  options.stop_instance = true;
  EXPECT_EQ(PlanInstance(Instance(), Volumes(), options)->steps.back().kind, K::kStopOld);
}

TEST(EncryptPlannerTest, NothingToEncryptOrATransitionalStateIsRefused) {
  EXPECT_EQ(PlanInstance(Instance(), Volumes(true, true), {}).status().code(), base::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanInstance(Instance("pending"), Volumes(), {}).status().code(), base::StatusCode::kInvalidArgument);
  auto missing = Volumes();
  missing.pop_back();
  EXPECT_FALSE(PlanInstance(Instance(), missing, {}).ok());
}

TEST(EncryptCostTest, RequestsPerVolumeAndTheListPrice) {
  auto plan = PlanInstance(Instance(), Volumes(), {});
  ASSERT_TRUE(plan.ok());
  const KmsRequestEstimate e = EstimateKmsRequests({*plan}, EncryptMethod::kSnapshot, true);
  const std::map<std::string, int> per_volume = {
      {"CreateGrant", 1}, {"Decrypt", 3}, {"DescribeKey", 1}, {"GenerateDataKeyWithoutPlaintext", 1}};
  EXPECT_EQ(e.per_volume.at("vol-boot"), per_volume);
  EXPECT_EQ(e.per_volume.at("vol-data"), per_volume);
  EXPECT_EQ(e.per_volume_total.at("Decrypt"), 6);
  EXPECT_EQ(e.permission_check.size(), 6u);
  EXPECT_EQ(e.Total(), 2 * 6 + 6);
  EXPECT_DOUBLE_EQ(e.CostUsd(), 18 * 0.03 / 10000);
  // An encrypted volume costs nothing in place; the image method re-encrypts it.
  plan = PlanInstance(Instance("stopped"), Volumes(true), {});
  ASSERT_TRUE(plan.ok());
  const KmsRequestEstimate stopped = EstimateKmsRequests({*plan}, EncryptMethod::kSnapshot, true);
  EXPECT_EQ(stopped.per_volume.count("vol-boot"), 0u);
  // No running host, but the staged export that verifies the copy.
  EXPECT_EQ(stopped.per_volume.at("vol-data").at("CreateGrant"), 1);
  EXPECT_EQ(stopped.per_volume.at("vol-data").at("RetireGrant"), 1);
  EXPECT_EQ(stopped.per_volume.at("vol-data").at("Decrypt"), 4);
  const KmsRequestEstimate on_aws = EstimateKmsRequests({*plan}, EncryptMethod::kSnapshot, false);
  EXPECT_EQ(on_aws.per_volume.at("vol-data").count("CreateGrant"), 0u);
  EXPECT_EQ(on_aws.per_volume.at("vol-data").at("Decrypt"), 2);
  PlanOptions image;
  image.method = EncryptMethod::kImage;
  plan = PlanInstance(Instance(), Volumes(true), image);
  ASSERT_TRUE(plan.ok());
  const KmsRequestEstimate image_cost = EstimateKmsRequests({*plan}, EncryptMethod::kImage, true);
  EXPECT_EQ(image_cost.per_volume.at("vol-boot").at("Decrypt"), 4);  // its source is read too
  EXPECT_EQ(image_cost.per_volume.at("vol-data").at("Decrypt"), 3);
}

// ---- rollback planning

Journal SwappedJournal(EncryptMethod method = EncryptMethod::kSnapshot) {
  Journal j;
  j.method = method;
  PlanOptions options;
  options.method = method;
  auto plan = PlanInstance(Instance(), Volumes(), options);
  EXPECT_TRUE(plan.ok());
  plan->volumes[0].new_volume_id = "vol-boot-new";
  plan->volumes[1].new_volume_id = "vol-data-new";
  j.instances = {*plan};
  return j;
}

std::vector<RollbackAction> Actions(const std::vector<RollbackStep>& steps) {
  std::vector<RollbackAction> out;
  for (const auto& s : steps) out.push_back(s.action);
  return out;
}

TEST(EncryptRollbackTest, SwappedVolumesGoBackWithTheirDevicesAndDeleteOnTermination) {
  // Killed mid-swap: boot swapped, data detached, instance stopped by the run.
  ObservedInstance now{"stopped", {{"/dev/xvda", "vol-boot-new"}}};
  auto steps = PlanRollback(SwappedJournal(), {{"i-1", now}});
  ASSERT_TRUE(steps.ok()) << steps.status().ToString();
  using A = RollbackAction;
  EXPECT_EQ(Actions(*steps), (std::vector<A>{A::kDetach, A::kAttach, A::kDeleteOnTermination, A::kAttach,
                                             A::kStartInstance}));
  EXPECT_EQ((*steps)[0].volume_id, "vol-boot-new");
  EXPECT_EQ((*steps)[1].volume_id, "vol-boot");
  EXPECT_EQ((*steps)[1].device, "/dev/xvda");
  EXPECT_EQ((*steps)[3].volume_id, "vol-data");
  EXPECT_EQ((*steps)[3].device, "/dev/sdf");
}

TEST(EncryptRollbackTest, ARunningInstanceStopsForItsBootVolumeAndNothingIsDoneTwice) {
  ObservedInstance done{"running", {{"/dev/xvda", "vol-boot-new"}, {"/dev/sdf", "vol-data-new"}}};
  auto steps = PlanRollback(SwappedJournal(), {{"i-1", done}});
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(steps->front().action, RollbackAction::kStopInstance);
  EXPECT_EQ(steps->back().action, RollbackAction::kStartInstance);
  // Already back: nothing to do.
  ObservedInstance original{"running", {{"/dev/xvda", "vol-boot"}, {"/dev/sdf", "vol-data"}}};
  steps = PlanRollback(SwappedJournal(), {{"i-1", original}});
  ASSERT_TRUE(steps.ok());
  EXPECT_TRUE(steps->empty());
  // Only the data volume swapped: no stop.
  ObservedInstance data_only{"running", {{"/dev/xvda", "vol-boot"}, {"/dev/sdf", "vol-data-new"}}};
  steps = PlanRollback(SwappedJournal(), {{"i-1", data_only}});
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(Actions(*steps), (std::vector<RollbackAction>{RollbackAction::kDetach, RollbackAction::kAttach}));
  EXPECT_FALSE(PlanRollback(SwappedJournal(), {}).ok());  // the instance is gone
}

TEST(EncryptRollbackTest, TheImageMethodMovesTrafficBackAndTerminatesTheReplacement) {
  Journal j = SwappedJournal(EncryptMethod::kImage);
  j.instances[0].replacement_instance_id = "i-2";
  j.instances[0].addresses = {{"eipalloc-1", "198.51.100.7", "i-1"}};
  j.instances[0].load_balancers = {"web"};
  auto steps = PlanRollback(j, {{"i-1", {"running", {}}}, {"i-2", {"running", {}}}});
  ASSERT_TRUE(steps.ok());
  using A = RollbackAction;
  EXPECT_EQ(Actions(*steps), (std::vector<A>{A::kAssociateAddress, A::kRegister, A::kDeregister, A::kTerminate}));
  EXPECT_EQ((*steps)[0].instance_id, "i-1");
  EXPECT_EQ((*steps)[2].instance_id, "i-2");
  EXPECT_EQ((*steps)[3].instance_id, "i-2");
  // An old instance that was terminated cannot be rolled back to.
  EXPECT_FALSE(PlanRollback(j, {{"i-1", {"terminated", {}}}, {"i-2", {"running", {}}}}).ok());
}

}  // namespace
}  // namespace kura::tools
