// The EC2 requests kura encrypt builds (what keeps a volume's settings) and
// how its events read.
#include <sstream>

#include <gtest/gtest.h>

#include "tools/ec2_calls.h"
#include "tools/encrypt_progress.h"

namespace kura::tools {
namespace {

std::string Param(const Ec2Call& call, const std::string& name) {
  for (const auto& [n, v] : call.params) {
    if (n == name) return v;
  }
  return "<absent>";
}

TEST(EncryptCallsTest, CreateVolumeKeepsTheSettingsTheTypeAccepts) {
  NewVolumeSpec gp3{"us-east-1a", "gp3", 100, 4000, 250, "snap-1", "arn:key", {{"Name", "db"}, {"team", "x"}}, "tok"};
  const Ec2Call call = CreateVolumeCall(gp3);
  EXPECT_EQ(call.action, "CreateVolume");
  EXPECT_EQ(Param(call, "Iops"), "4000");
  EXPECT_EQ(Param(call, "Throughput"), "250");
  EXPECT_EQ(Param(call, "Size"), "100");
  EXPECT_EQ(Param(call, "Encrypted"), "true");
  EXPECT_EQ(Param(call, "KmsKeyId"), "arn:key");
  EXPECT_EQ(Param(call, "ClientToken"), "tok");
  EXPECT_EQ(Param(call, "TagSpecification.1.ResourceType"), "volume");
  EXPECT_EQ(Param(call, "TagSpecification.1.Tag.1.Key"), "Name");
  EXPECT_EQ(Param(call, "TagSpecification.1.Tag.2.Value"), "x");
  // gp2 reports an Iops it does not accept; io2 takes Iops but no Throughput.
  NewVolumeSpec gp2{"us-east-1a", "gp2", 8, 100, std::nullopt, "snap-1", "", {}, ""};
  EXPECT_EQ(Param(CreateVolumeCall(gp2), "Iops"), "<absent>");
  EXPECT_EQ(Param(CreateVolumeCall(gp2), "KmsKeyId"), "<absent>");
  EXPECT_EQ(Param(CreateVolumeCall(gp2), "TagSpecification.1.ResourceType"), "<absent>");
  NewVolumeSpec io2{"us-east-1a", "io2", 8, 2000, 125, "", "", {}, ""};
  EXPECT_EQ(Param(CreateVolumeCall(io2), "Iops"), "2000");
  EXPECT_EQ(Param(CreateVolumeCall(io2), "Throughput"), "<absent>");
}

TEST(EncryptCallsTest, DeleteOnTerminationAndDryRunShapes) {
  const Ec2Call dot = DeleteOnTerminationCall("i-1", "/dev/xvda", "vol-1", true);
  EXPECT_EQ(dot.action, "ModifyInstanceAttribute");
  EXPECT_EQ(Param(dot, "BlockDeviceMapping.1.DeviceName"), "/dev/xvda");
  EXPECT_EQ(Param(dot, "BlockDeviceMapping.1.Ebs.VolumeId"), "vol-1");
  EXPECT_EQ(Param(dot, "BlockDeviceMapping.1.Ebs.DeleteOnTermination"), "true");
  EXPECT_EQ(Param(CopySnapshotCall("snap-1", "us-east-1", "", "d", {}), "Encrypted"), "true");
  const Ec2Call run = RunInstancesCall({"ami-1", {"t3.micro", "us-east-1a", "", "subnet-1", {"sg-1", "sg-2"}, {}}, "t"});
  EXPECT_EQ(Param(run, "SecurityGroupId.2"), "sg-2");
  EXPECT_EQ(Param(run, "KeyName"), "<absent>");
  EXPECT_EQ(Param(run, "Placement.AvailabilityZone"), "us-east-1a");
}

TEST(EncryptProgressTest, EventsAreTimestampedLines) {
  std::ostringstream out;
  ProgressReporter progress(out, /*terminal=*/false);
  progress.Line("i-1 StopInstance");
  const std::string text = out.str();
  ASSERT_EQ(text.size(), std::string("hh:mm:ss i-1 StopInstance\n").size()) << text;
  EXPECT_EQ(text.substr(8), " i-1 StopInstance\n");
  EXPECT_EQ(text[2], ':');
  EXPECT_FALSE(progress.terminal());
}

}  // namespace
}  // namespace kura::tools
