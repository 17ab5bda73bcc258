#include "tools/share_image_run.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "base/temp_dir.h"
#include "tools/fake_aws.h"
#include "tools/key_policy_check.h"
#include "tools/share_image_plan.h"
#include "tools/test_env.h"

namespace kura::tools {
namespace {

using json = nlohmann::ordered_json;
using testing::EnvOf;
using testing::FakeAws;

constexpr char kSrc[] = "AKIDSRC";
constexpr char kDst[] = "AKIDDST";
constexpr char kSourceKey[] = "arn:aws:kms:us-east-1:111111111111:key/src";
constexpr char kTargetKey[] = "arn:aws:kms:us-east-1:222233334444:key/dst";

std::string Identity(const std::string& account) {
  return "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>" + account +
         "</Account><Arn>arn:aws:iam::" + account + ":root</Arn><UserId>" + account +
         "</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>";
}

std::string Snapshots(const std::string& items) {
  return "<DescribeSnapshotsResponse><snapshotSet>" + items + "</snapshotSet></DescribeSnapshotsResponse>";
}

std::string Snapshot(const std::string& id, const std::string& owner, const std::string& key,
                     const std::string& state = "completed") {
  return "<item><snapshotId>" + id + "</snapshotId><ownerId>" + owner + "</ownerId><status>" + state +
         "</status><progress>100%</progress><encrypted>true</encrypted><kmsKeyId>" + key + "</kmsKeyId></item>";
}

std::string Images(const std::string& id, const std::string& owner, const std::string& snapshot,
                   const std::string& state = "available") {
  if (id.empty()) return "<DescribeImagesResponse><imagesSet/></DescribeImagesResponse>";
  return "<DescribeImagesResponse><imagesSet><item><imageId>" + id + "</imageId><imageOwnerId>" + owner +
         "</imageOwnerId><imageState>" + state +
         "</imageState><name>app</name><architecture>x86_64</architecture><virtualizationType>hvm"
         "</virtualizationType><rootDeviceName>/dev/xvda</rootDeviceName><enaSupport>true</enaSupport>"
         "<blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><snapshotId>" + snapshot +
         "</snapshotId><volumeSize>1</volumeSize><deleteOnTermination>true</deleteOnTermination><volumeType>gp3"
         "</volumeType><encrypted>true</encrypted></ebs></item></blockDeviceMapping></item></imagesSet>"
         "</DescribeImagesResponse>";
}

std::string KeyMeta(const std::string& arn, const std::string& manager) {
  return json{{"KeyMetadata", {{"KeyId", arn.substr(arn.rfind('/') + 1)}, {"Arn", arn}, {"KeyState", "Enabled"},
                               {"KeyManager", manager}}}}
      .dump();
}

std::string OwnerOnlyPolicy() {
  return json{{"Version", "2012-10-17"},
              {"Statement", {{{"Sid", "owner"}, {"Effect", "Allow"},
                              {"Principal", {{"AWS", "arn:aws:iam::111111111111:root"}}},
                              {"Action", "kms:*"}, {"Resource", "*"}}}}}
      .dump();
}

class ShareImageCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() + "/credentials") << "[src]\naws_access_key_id = " << kSrc
                                                << "\naws_secret_access_key = s1\n[dst]\naws_access_key_id = " << kDst
                                                << "\naws_secret_access_key = s2\n";
    options_.aws = {"http://127.0.0.1:8080", "us-east-1", "src"};
    options_.image_id = "ami-0src";
    options_.target_account_id = "222233334444";
    options_.target_profile = "dst";
  }
  void IdentityAnswers(const std::string& target_account = "222233334444") {
    fake_.Answer(kSrc, "GetCallerIdentity", Identity("111111111111"));
    fake_.Answer(kDst, "GetCallerIdentity", Identity(target_account));
  }
  // The source side up to the key: identities, the image, its snapshot under `key`.
  void SourceAnswers(const std::string& key, const std::string& manager) {
    IdentityAnswers();
    fake_.Answer(kSrc, "DescribeImages", Images("ami-0src", "111111111111", "snap-src"));
    fake_.Answer(kSrc, "DescribeSnapshots", Snapshots(Snapshot("snap-src", "111111111111", key)));
    fake_.Answer(kSrc, "DescribeKey", KeyMeta(key, manager));
  }
  // A policy that lets the target use the source key.
  void AllowingPolicyAnswer() {
    json allowing = json::parse(OwnerOnlyPolicy());
    allowing["Statement"].push_back(StatementForAccount("222233334444", {"kms:*"}));
    fake_.Answer(kSrc, "GetKeyPolicy", json{{"Policy", allowing.dump()}}.dump());
  }
  int Run() {
    std::istringstream in;
    ShareImageIo io{out_, err_, in, false, fake_.Hooks(), {[](std::chrono::milliseconds) {}, [] { return 0.0; }}};
    return RunShareImage(options_, EnvOf({{"AWS_SHARED_CREDENTIALS_FILE", dir_.path() + "/credentials"},
                                          {"AWS_CONFIG_FILE", "/dev/null"}}),
                         io);
  }

  base::TempDir dir_;
  FakeAws fake_;
  ShareImageOptions options_;
  std::ostringstream out_, err_;
};

TEST_F(ShareImageCommandTest, TheAwsManagedKeyIsRefusedWithTheWayOut) {
  SourceAnswers("arn:aws:kms:us-east-1:111111111111:key/aws-ebs", "AWS");
  EXPECT_EQ(Run(), 1);
  EXPECT_NE(err_.str().find("snap-src is encrypted under the AWS managed key alias/aws/ebs"), std::string::npos)
      << err_.str();
  EXPECT_NE(err_.str().find("aws ec2 copy-image --source-region us-east-1 --source-image-id ami-0src"),
            std::string::npos);
  EXPECT_NE(err_.str().find("nothing was shared"), std::string::npos);
  EXPECT_EQ(fake_.Count("ModifySnapshotAttribute"), 0u);
  EXPECT_EQ(fake_.Count("GetKeyPolicy"), 0u);
}

TEST_F(ShareImageCommandTest, AKeyPolicyWithoutTheTargetPrintsTheStatementAndSharesNothing) {
  SourceAnswers(kSourceKey, "CUSTOMER");
  fake_.Answer(kSrc, "GetKeyPolicy", json{{"Policy", OwnerOnlyPolicy()}, {"PolicyName", "default"}}.dump());
  EXPECT_EQ(Run(), 1);
  const json statement = StatementForAccount("222233334444", {"kms:DescribeKey", "kms:CreateGrant", "kms:Decrypt",
                                                              "kms:ReEncrypt*", "kms:GenerateDataKeyWithoutPlaintext"});
  EXPECT_EQ(out_.str(), statement.dump(2) + "\n");
  EXPECT_NE(err_.str().find("does not let account 222233334444 use it for kms:DescribeKey"), std::string::npos);
  EXPECT_EQ(fake_.Count("ModifySnapshotAttribute"), 0u);
  EXPECT_EQ(fake_.Count("PutKeyPolicy"), 0u);
}

TEST_F(ShareImageCommandTest, UpdateKeyPolicyNeedsYesOffATerminal) {
  SourceAnswers(kSourceKey, "CUSTOMER");
  fake_.Answer(kSrc, "GetKeyPolicy", json{{"Policy", OwnerOnlyPolicy()}}.dump());
  options_.update_key_policy = true;
  EXPECT_EQ(Run(), 1);
  EXPECT_NE(err_.str().find("needs --yes when not run on a terminal"), std::string::npos) << err_.str();
  EXPECT_EQ(fake_.Count("PutKeyPolicy"), 0u);
}

TEST_F(ShareImageCommandTest, AnImageNotYetAvailableIsRefused) {
  IdentityAnswers();
  fake_.Answer(kSrc, "DescribeImages", Images("ami-0src", "111111111111", "snap-src", "pending"));
  EXPECT_EQ(Run(), 1);
  EXPECT_NE(err_.str().find("ami-0src is pending, not available"), std::string::npos) << err_.str();
  EXPECT_EQ(fake_.Count("DescribeSnapshots"), 0u);
}

TEST_F(ShareImageCommandTest, AWrongTargetProfileIsAConfigurationError) {
  IdentityAnswers("999999999999");
  EXPECT_EQ(Run(), 2);
  EXPECT_NE(err_.str().find("--target-profile dst is account 999999999999"), std::string::npos) << err_.str();
  EXPECT_EQ(fake_.Count("DescribeImages"), 0u);
}

TEST_F(ShareImageCommandTest, SharesCopiesUnderTheTargetKeyAndRegisters) {
  SourceAnswers(kSourceKey, "CUSTOMER");
  AllowingPolicyAnswer();
  fake_.Answer(kSrc, "ModifySnapshotAttribute", "<ModifySnapshotAttributeResponse><return>true</return>"
                                                "</ModifySnapshotAttributeResponse>");
  fake_.Answer(kDst, "GetEbsDefaultKmsKeyId",
               "<GetEbsDefaultKmsKeyIdResponse><kmsKeyId>" + std::string(kTargetKey) + "</kmsKeyId>"
               "</GetEbsDefaultKmsKeyIdResponse>");
  fake_.Answer(kDst, "DescribeKey", KeyMeta(kTargetKey, "CUSTOMER"));
  fake_.Answer(kDst, "DescribeSnapshots", Snapshots(""));  // no earlier copy
  fake_.Answer(kDst, "CopySnapshot", "<CopySnapshotResponse><snapshotId>snap-copy</snapshotId></CopySnapshotResponse>");
  fake_.Answer(kDst, "DescribeSnapshots", Snapshots(Snapshot("snap-copy", "222233334444", kTargetKey, "pending")));
  fake_.Answer(kDst, "DescribeSnapshots", Snapshots(Snapshot("snap-copy", "222233334444", kTargetKey)));
  fake_.Answer(kDst, "DescribeImages", Images("", "", ""));  // no image of that name yet
  fake_.Answer(kDst, "RegisterImage", "<RegisterImageResponse><imageId>ami-0new</imageId></RegisterImageResponse>");
  fake_.Answer(kDst, "DescribeImages", Images("ami-0new", "222233334444", "snap-copy"));
  options_.output = "json";
  ASSERT_EQ(Run(), 0) << err_.str();

  const json out = json::parse(out_.str());
  EXPECT_EQ(out["ImageId"], "ami-0new");
  EXPECT_EQ(out["Snapshots"][0]["SnapshotId"], "snap-copy");
  EXPECT_EQ(out["Snapshots"][0]["KmsKeyId"], kTargetKey);
  EXPECT_EQ(out["LaunchPermissionShared"], false);
  std::string share, copy, tagged, registered;
  for (const auto& c : fake_.calls()) {
    if (c.operation == "ModifySnapshotAttribute") share = c.body;
    if (c.operation == "CopySnapshot") copy = c.body;
    if (c.operation == "RegisterImage") registered = c.body;
    if (c.operation == "DescribeSnapshots" && c.access_key == kDst && tagged.empty()) tagged = c.body;
  }
  EXPECT_NE(share.find("UserId.1=222233334444"), std::string::npos) << share;
  EXPECT_NE(share.find("OperationType=add"), std::string::npos);
  const std::string token = ShareCopyToken("us-east-1", "snap-src", "222233334444");
  EXPECT_NE(tagged.find("Filter.1.Value.1=" + token), std::string::npos) << tagged;
  EXPECT_NE(copy.find("SourceSnapshotId=snap-src"), std::string::npos) << copy;
  EXPECT_NE(copy.find("Encrypted=true"), std::string::npos);
  EXPECT_NE(copy.find("KmsKeyId=arn%3Aaws%3Akms%3Aus-east-1%3A222233334444%3Akey%2Fdst"), std::string::npos) << copy;
  EXPECT_NE(copy.find("TagSpecification.1.Tag.1.Value=" + token), std::string::npos);
  EXPECT_NE(registered.find("BlockDeviceMapping.1.Ebs.SnapshotId=snap-copy"), std::string::npos) << registered;
  EXPECT_NE(registered.find("Name=app"), std::string::npos);
  EXPECT_NE(err_.str().find("copying: snap-copy 100%"), std::string::npos) << err_.str();
}

TEST_F(ShareImageCommandTest, ARerunReusesTheEarlierCopyAndImage) {
  SourceAnswers(kSourceKey, "CUSTOMER");
  AllowingPolicyAnswer();
  fake_.Answer(kSrc, "ModifySnapshotAttribute", "<ModifySnapshotAttributeResponse/>");
  options_.target_kms_key_id = kTargetKey;
  fake_.Answer(kDst, "DescribeKey", KeyMeta(kTargetKey, "CUSTOMER"));
  fake_.Answer(kDst, "DescribeSnapshots", Snapshots(Snapshot("snap-copy", "222233334444", kTargetKey, "pending")));
  fake_.Answer(kDst, "DescribeSnapshots", Snapshots(Snapshot("snap-copy", "222233334444", kTargetKey)));
  fake_.Answer(kDst, "DescribeImages", Images("ami-0new", "222233334444", "snap-copy"));
  fake_.Answer(kDst, "DescribeImages", Images("ami-0new", "222233334444", "snap-copy"));
  ASSERT_EQ(Run(), 0) << err_.str();
  EXPECT_EQ(fake_.Count("CopySnapshot"), 0u);
  EXPECT_EQ(fake_.Count("RegisterImage"), 0u);
  EXPECT_EQ(fake_.Count("GetEbsDefaultKmsKeyId"), 0u);
  EXPECT_NE(out_.str().find("ami-0new \"app\" in account 222233334444"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("snap-src -> snap-copy"), std::string::npos);
  EXPECT_NE(err_.str().find("reusing snap-src as snap-copy"), std::string::npos);
}

}  // namespace
}  // namespace kura::tools
