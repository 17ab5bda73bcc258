#include "tools/share_image_plan.h"

#include <gtest/gtest.h>

#include "tools/fake_aws.h"
#include "tools/test_env.h"

namespace kura::tools {
namespace {

using testing::EnvOf;
using testing::FakeAws;

// An EC2 DescribeImages answer as AWS gives it for an AMI with a gp3 root
// (custom IOPS and throughput), an io2 data disk kept on termination, an
// empty encrypted gp2 mapping (whose baseline IOPS RegisterImage would refuse),
// an instance-store disk and a suppressed device.
constexpr char kDescribeImages[] = R"(<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
<requestId>r1</requestId><imagesSet><item>
  <imageId>ami-0src</imageId><imageOwnerId>111111111111</imageOwnerId><imageState>available</imageState>
  <name>web-2026</name><description>web root</description><architecture>arm64</architecture>
  <virtualizationType>hvm</virtualizationType><rootDeviceName>/dev/xvda</rootDeviceName>
  <enaSupport>true</enaSupport><bootMode>uefi</bootMode><sriovNetSupport>simple</sriovNetSupport>
  <tpmSupport>v2.0</tpmSupport><imdsSupport>v2.0</imdsSupport>
  <blockDeviceMapping>
    <item><deviceName>/dev/xvda</deviceName><ebs><snapshotId>snap-root</snapshotId><volumeSize>8</volumeSize>
      <deleteOnTermination>true</deleteOnTermination><volumeType>gp3</volumeType><iops>4000</iops>
      <throughput>250</throughput><encrypted>true</encrypted></ebs></item>
    <item><deviceName>/dev/sdf</deviceName><ebs><snapshotId>snap-data</snapshotId><volumeSize>20</volumeSize>
      <deleteOnTermination>false</deleteOnTermination><volumeType>io2</volumeType><iops>1000</iops>
      <encrypted>true</encrypted></ebs></item>
    <item><deviceName>/dev/sdg</deviceName><ebs><volumeSize>5</volumeSize><volumeType>gp2</volumeType><iops>100</iops>
      <encrypted>true</encrypted><kmsKeyId>arn:aws:kms:us-east-1:111111111111:key/src</kmsKeyId></ebs></item>
    <item><deviceName>/dev/sdb</deviceName><virtualName>ephemeral0</virtualName></item>
    <item><deviceName>/dev/sdc</deviceName><noDevice/></item>
  </blockDeviceMapping>
</item></imagesSet></DescribeImagesResponse>)";

constexpr char kTargetKey[] = "arn:aws:kms:us-east-1:222233334444:key/dst";

class ShareImagePlanTest : public ::testing::Test {
 protected:
  ImageDetail Describe() {
    fake_.Answer("AKIDSRC", "DescribeImages", kDescribeImages);
    auto aws = AwsClient::Create({"http://127.0.0.1:8080", "us-east-1", ""},
                                 EnvOf({{"AWS_ACCESS_KEY_ID", "AKIDSRC"}, {"AWS_SECRET_ACCESS_KEY", "s"}}),
                                 fake_.Hooks());
    EXPECT_TRUE(aws.ok());
    auto image = DescribeImage(*aws, "ami-0src");
    EXPECT_TRUE(image.ok()) << image.error().ToString();
    EXPECT_NE(fake_.calls().at(0).body.find("ImageId.1=ami-0src"), std::string::npos);
    return image.ok() ? *image : ImageDetail{};
  }
  FakeAws fake_;
};

TEST_F(ShareImagePlanTest, RegisterImageRecreatesTheAmiOverTheCopies) {
  const ImageDetail source = Describe();
  auto params = RegisterImageParams(source, "web-2026", {{"snap-root", "snap-c1"}, {"snap-data", "snap-c2"}}, kTargetKey);
  ASSERT_TRUE(params.ok()) << params.status().ToString();
  const QueryParams expected{
      {"Name", "web-2026"},
      {"Description", "web root"},
      {"Architecture", "arm64"},
      {"VirtualizationType", "hvm"},
      {"RootDeviceName", "/dev/xvda"},
      {"BootMode", "uefi"},
      {"SriovNetSupport", "simple"},
      {"TpmSupport", "v2.0"},
      {"ImdsSupport", "v2.0"},
      {"EnaSupport", "true"},
      {"BlockDeviceMapping.1.DeviceName", "/dev/xvda"},
      {"BlockDeviceMapping.1.Ebs.SnapshotId", "snap-c1"},
      {"BlockDeviceMapping.1.Ebs.VolumeSize", "8"},
      {"BlockDeviceMapping.1.Ebs.VolumeType", "gp3"},
      {"BlockDeviceMapping.1.Ebs.Iops", "4000"},
      {"BlockDeviceMapping.1.Ebs.Throughput", "250"},
      {"BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true"},
      {"BlockDeviceMapping.2.DeviceName", "/dev/sdf"},
      {"BlockDeviceMapping.2.Ebs.SnapshotId", "snap-c2"},
      {"BlockDeviceMapping.2.Ebs.VolumeSize", "20"},
      {"BlockDeviceMapping.2.Ebs.VolumeType", "io2"},
      {"BlockDeviceMapping.2.Ebs.Iops", "1000"},
      {"BlockDeviceMapping.2.Ebs.DeleteOnTermination", "false"},
      {"BlockDeviceMapping.3.DeviceName", "/dev/sdg"},
      {"BlockDeviceMapping.3.Ebs.Encrypted", "true"},
      {"BlockDeviceMapping.3.Ebs.KmsKeyId", kTargetKey},
      {"BlockDeviceMapping.3.Ebs.VolumeSize", "5"},
      {"BlockDeviceMapping.3.Ebs.VolumeType", "gp2"},
      {"BlockDeviceMapping.4.DeviceName", "/dev/sdb"},
      {"BlockDeviceMapping.4.VirtualName", "ephemeral0"},
      {"BlockDeviceMapping.5.DeviceName", "/dev/sdc"},
      {"BlockDeviceMapping.5.NoDevice", ""},
  };
  EXPECT_EQ(*params, expected);
}

TEST_F(ShareImagePlanTest, ASnapshotWithoutACopyIsAnError) {
  auto params = RegisterImageParams(Describe(), "web", {{"snap-root", "snap-c1"}}, kTargetKey);
  ASSERT_FALSE(params.ok());
  EXPECT_NE(params.status().message().find("snap-data (/dev/sdf)"), std::string::npos);
}

TEST_F(ShareImagePlanTest, AnEarlierImageIsRecognisedByItsCopies) {
  const ImageDetail source = Describe();
  const CopyMap copies{{"snap-root", "snap-c1"}, {"snap-data", "snap-c2"}};
  auto device = [](const std::string& name, const std::string& snapshot) {
    ImageDevice d;
    d.device_name = name;
    d.ebs.emplace().snapshot_id = snapshot;
    return d;
  };
  ImageDetail existing;
  existing.devices = {device("/dev/xvda", "snap-c1"), device("/dev/sdf", "snap-c2")};
  EXPECT_TRUE(ImageUsesCopies(existing, source, copies));
  existing.devices[1].ebs->snapshot_id = "snap-other";
  EXPECT_FALSE(ImageUsesCopies(existing, source, copies));
  existing.devices[1] = device("/dev/sdh", "snap-c2");
  EXPECT_FALSE(ImageUsesCopies(existing, source, copies));
}

TEST(ShareCopyTokenTest, StablePerSourceAndTarget) {
  const std::string token = ShareCopyToken("us-east-1", "snap-1", "222233334444");
  EXPECT_EQ(token.size(), 32u);
  EXPECT_EQ(token, ShareCopyToken("us-east-1", "snap-1", "222233334444"));
  EXPECT_NE(token, ShareCopyToken("us-east-1", "snap-1", "222233334445"));
  EXPECT_NE(token, ShareCopyToken("us-east-1", "snap-2", "222233334444"));
  EXPECT_NE(token, ShareCopyToken("ap-northeast-1", "snap-1", "222233334444"));
}

}  // namespace
}  // namespace kura::tools
