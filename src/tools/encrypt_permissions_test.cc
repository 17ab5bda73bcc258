// The permission check over a fake transport (AwsClientHooks): how DryRun and
// KMS answers read, and that the check never sends a mutating EC2 call
// without DryRun.
#include "tools/encrypt_permissions.h"

#include <gtest/gtest.h>

#include "tools/encrypt_planner.h"
#include "tools/test_env.h"

namespace kura::tools {
namespace {

AwsError Error(const std::string& code, int status) {
  AwsError e;
  e.code = code;
  e.message = "said " + code;
  e.http_status = status;
  return e;
}

TEST(EncryptPermissionsTest, DryRunAnswers) {
  EXPECT_EQ(InterpretDryRun("ec2:CreateSnapshot", AwsResult<XmlResponse>(Error("DryRunOperation", 412))).verdict,
            Verdict::kAllowed);
  const PermissionResult denied =
      InterpretDryRun("ec2:StopInstances", AwsResult<XmlResponse>(Error("UnauthorizedOperation", 403)));
  EXPECT_EQ(denied.verdict, Verdict::kDenied);
  EXPECT_EQ(denied.detail, "UnauthorizedOperation: said UnauthorizedOperation");
  EXPECT_EQ(InterpretDryRun("ec2:CopySnapshot", AwsResult<XmlResponse>(Error("InvalidSnapshot.NotFound", 400))).verdict,
            Verdict::kUndetermined);
  // A 200 to a dry run: the server acted. Never read as "allowed".
  EXPECT_EQ(InterpretDryRun("ec2:CreateVolume", AwsResult<XmlResponse>(XmlResponse{})).verdict,
            Verdict::kDryRunIgnored);
}

TEST(EncryptPermissionsTest, KmsProbeAnswers) {
  EXPECT_EQ(InterpretKmsProbe("kms:Decrypt", nullptr).verdict, Verdict::kAllowed);
  const AwsError denied = Error("AccessDeniedException", 400);
  EXPECT_EQ(InterpretKmsProbe("kms:CreateGrant", &denied).verdict, Verdict::kDenied);
  const AwsError disabled = Error("DisabledException", 400);
  EXPECT_EQ(InterpretKmsProbe("kms:Decrypt", &disabled).verdict, Verdict::kUndetermined);
}

class CheckPermissionsTest : public ::testing::Test {
 protected:
  AwsClient Make() {
    AwsClientHooks hooks;
    hooks.transport = [this](const client::Endpoint&, const client::SignableRequest& r)
        -> base::Result<client::HttpResult> {
      requests_.push_back(r);
      std::string target;
      for (const auto& [n, v] : r.headers) {
        if (n == "X-Amz-Target") target = v;
      }
      if (!target.empty()) return Kms(target.substr(target.find('.') + 1));
      return Ec2(r.body);
    };
    hooks.sleep = [](std::chrono::milliseconds) {};
    hooks.clock = [] { return int64_t{1795000000}; };
    auto aws = AwsClient::Create({"http://127.0.0.1:8080", "us-east-1", ""},
                                 testing::EnvOf({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                                 {"AWS_SECRET_ACCESS_KEY", "secret"}}),
                                 hooks);
    EXPECT_TRUE(aws.ok());
    return std::move(aws).value();
  }

  client::HttpResult Kms(const std::string& operation) {
    if (operation == denied_kms_) {
      return {400, {}, R"({"__type":"AccessDeniedException","message":"User is not authorized to perform: kms:)" +
                           operation + R"("})"};
    }
    if (operation == "GenerateDataKeyWithoutPlaintext") return {200, {}, R"({"CiphertextBlob":"AQID","KeyId":"k"})"};
    if (operation == "Decrypt") return {200, {}, R"({"Plaintext":"c2VjcmV0","KeyId":"k"})"};
    if (operation == "CreateGrant") return {200, {}, R"({"GrantId":"g-1","GrantToken":"t"})"};
    return {200, {}, "{}"};
  }

  client::HttpResult Ec2(const std::string& body) {
    EXPECT_NE(body.find("DryRun=true"), std::string::npos) << body;  // never for real
    const bool denied = body.find("Action=" + denied_ec2_ + "&") != std::string::npos;
    const std::string code = denied ? "UnauthorizedOperation" : "DryRunOperation";
    return {denied ? 403 : 412, {},
            "<Response><Errors><Error><Code>" + code + "</Code><Message>m</Message></Error></Errors>"
            "<RequestID>r</RequestID></Response>"};
  }

  Journal Plan() {
    InstanceInfo i;
    i.instance_id = "i-1";
    i.state = "running";
    i.image_id = "ami-1";
    i.root_device_name = "/dev/xvda";
    i.launch.instance_type = "t3.micro";
    i.devices = {{"/dev/xvda", "vol-1", "attached", true}};
    VolumeInfo v;
    v.volume_id = "vol-1";
    v.volume_type = "gp3";
    v.size_gib = 8;
    auto plan = PlanInstance(i, {v}, {});
    EXPECT_TRUE(plan.ok());
    Journal j;
    j.region = "us-east-1";
    j.kms_key_id = "arn:aws:kms:us-east-1:111122223333:key/k";
    j.instances = {*plan};
    return j;
  }

  std::string denied_kms_;
  std::string denied_ec2_;
  std::vector<client::SignableRequest> requests_;
};

TEST_F(CheckPermissionsTest, NamesEveryMissingPermissionAndRetiresItsGrant) {
  denied_kms_ = "CreateGrant";
  denied_ec2_ = "StopInstances";
  AwsClient aws = Make();
  KeyInfo key{"k", "arn:aws:kms:us-east-1:111122223333:key/k", "Enabled", "CUSTOMER", "", std::nullopt};
  const PermissionReport report = CheckPermissions(aws, Plan(), key, "arn:aws:iam::111122223333:user/u");
  EXPECT_TRUE(report.Blocked());
  EXPECT_EQ(report.Missing(), (std::vector<std::string>{"kms:CreateGrant", "ec2:StopInstances"}));
  std::set<std::string> allowed;
  for (const auto& r : report.results) {
    if (r.verdict == Verdict::kAllowed) allowed.insert(r.action);
  }
  for (const char* a : {"kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*",
                        "ec2:CreateSnapshot", "ec2:CopySnapshot", "ec2:CreateVolume", "ec2:AttachVolume",
                        "ec2:DetachVolume", "ec2:ModifyInstanceAttribute", "ec2:StartInstances"}) {
    EXPECT_TRUE(allowed.count(a)) << a;
  }

  // With the grant allowed, the check retires the grant it made.
  denied_kms_.clear();
  requests_.clear();
  const PermissionReport clean = CheckPermissions(aws, Plan(), key, "arn:aws:iam::111122223333:user/u");
  EXPECT_EQ(clean.Missing(), (std::vector<std::string>{"ec2:StopInstances"}));
  bool retired = false;
  for (const auto& r : requests_) {
    for (const auto& [n, v] : r.headers) retired = retired || (n == "X-Amz-Target" && v == "TrentService.RetireGrant");
  }
  EXPECT_TRUE(retired);
}

TEST_F(CheckPermissionsTest, TheAwsManagedKeyIsUsedOnlyThroughEc2) {
  AwsClient aws = Make();
  KeyInfo key{"k", "arn:aws:kms:us-east-1:111122223333:key/aws-ebs", "Enabled", "AWS", "", std::nullopt};
  const PermissionReport report = CheckPermissions(aws, Plan(), key, "arn:aws:iam::111122223333:root");
  EXPECT_FALSE(report.Blocked());
  for (const auto& r : requests_) {
    for (const auto& [n, v] : r.headers) EXPECT_NE(n, "X-Amz-Target") << "no direct KMS call on alias/aws/ebs";
  }
}

}  // namespace
}  // namespace kura::tools
