#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <string>
#include <utility>
#include <vector>

#include "api/codec.h"
#include "api/service_model.h"

namespace kura::api {
namespace {

using nlohmann::json;
using Params = std::vector<std::pair<std::string, std::string>>;

// Form bodies captured from botocore 1.43.11 (the PATH python) with the
// before-send snippet in json_codec_test.cc:
//   capture('iam', 'put_user_policy', UserName='alice', PolicyName='p1',
//           PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
//                          '"Action":"kms:*","Resource":"*"}]}')
//   capture('iam', 'create_access_key', UserName='alice')
//   capture('ec2', 'describe_volumes', VolumeIds=['vol-1', 'vol-2'],
//           Filters=[{'Name': 'encrypted', 'Values': ['true']},
//                    {'Name': 'status', 'Values': ['available', 'in-use']}], MaxResults=10)
//   capture('ec2', 'create_volume', AvailabilityZone='us-east-1a', Size=8, VolumeType='gp3',
//           Encrypted=True, KmsKeyId='alias/mykey',
//           TagSpecifications=[{'ResourceType': 'volume', 'Tags': [{'Key': 'Name', 'Value': 'v1'}]}])
//   capture('ec2', 'run_instances', ImageId='ami-1', MinCount=1, MaxCount=1, InstanceType='t3.micro',
//           BlockDeviceMappings=[{'DeviceName': '/dev/xvda', 'Ebs': {'Encrypted': True,
//               'KmsKeyId': 'alias/k', 'VolumeSize': 8, 'DeleteOnTermination': True,
//               'VolumeType': 'gp3'}}],
//           TagSpecifications=[{'ResourceType': 'instance', 'Tags': [{'Key': 'Name', 'Value': 'web'}]}])
//   capture('elb', 'register_instances_with_load_balancer', LoadBalancerName='lb',
//           Instances=[{'InstanceId': 'i-1'}, {'InstanceId': 'i-2'}])
constexpr std::string_view kPutUserPolicyBody =
    "Action=PutUserPolicy&Version=2010-05-08&UserName=alice&PolicyName=p1&PolicyDocument=%7B%22Version%22%3A%"
    "222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3A%2A%22%2C%"
    "22Resource%22%3A%22%2A%22%7D%5D%7D";
constexpr std::string_view kCreateAccessKeyBody = "Action=CreateAccessKey&Version=2010-05-08&UserName=alice";
constexpr std::string_view kDescribeVolumesBody =
    "Action=DescribeVolumes&Version=2016-11-15&VolumeId.1=vol-1&VolumeId.2=vol-2&Filter.1.Name=encrypted&Filter.1."
    "Value.1=true&Filter.2.Name=status&Filter.2.Value.1=available&Filter.2.Value.2=in-use&MaxResults=10";
constexpr std::string_view kCreateVolumeBody =
    "Action=CreateVolume&Version=2016-11-15&AvailabilityZone=us-east-1a&Size=8&VolumeType=gp3&Encrypted=true&"
    "KmsKeyId=alias%2Fmykey&TagSpecification.1.ResourceType=volume&TagSpecification.1.Tag.1.Key=Name&"
    "TagSpecification.1.Tag.1.Value=v1&ClientToken=e7587014-52e5-4fa7-981f-4b7a092b14ce";
constexpr std::string_view kRunInstancesBody =
    "Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=1&InstanceType=t3.micro&"
    "BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda&BlockDeviceMapping.1.Ebs.Encrypted=true&BlockDeviceMapping.1."
    "Ebs.KmsKeyId=alias%2Fk&BlockDeviceMapping.1.Ebs.VolumeSize=8&BlockDeviceMapping.1.Ebs.DeleteOnTermination="
    "true&BlockDeviceMapping.1.Ebs.VolumeType=gp3&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag."
    "1.Key=Name&TagSpecification.1.Tag.1.Value=web&ClientToken=0ffcb0cf-abe1-42a3-9cae-3158919af1f1";
constexpr std::string_view kRegisterInstancesBody =
    "Action=RegisterInstancesWithLoadBalancer&Version=2012-06-01&LoadBalancerName=lb&Instances.member.1.InstanceId="
    "i-1&Instances.member.2.InstanceId=i-2";

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// What the HTTP layer hands the codec: decoded pairs without Action/Version.
Params FormParams(std::string_view body) {
  Params params;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string name = PercentDecode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    if (name != "Action" && name != "Version") params.emplace_back(std::move(name), std::move(value));
  }
  return params;
}

int Detail(CodecError e) { return static_cast<int>(e); }

std::shared_ptr<const ServiceModel> Model(std::string_view service) {
  auto model = ServiceModel::Load(service);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

base::Result<json> Decode(std::string_view service, std::string_view op, const Params& params) {
  auto model = Model(service);
  const Operation* operation = model->FindOperation(op);
  EXPECT_NE(operation, nullptr) << op;
  return DecodeQueryRequest(*model, *operation, params);
}

std::string Encode(std::string_view service, std::string_view op, const json& output, std::string_view id) {
  auto model = Model(service);
  const Operation* operation = model->FindOperation(op);
  EXPECT_NE(operation, nullptr) << op;
  return EncodeQueryResponse(*model, *operation, output, id);
}

std::string Text(const pugi::xml_document& doc, const char* xpath) {
  return doc.select_node(xpath).node().text().as_string();
}

// ---- Query decode --------------------------------------------------------------

TEST(QueryDecodeTest, IamPutUserPolicy) {
  auto doc = Decode("iam", "PutUserPolicy", FormParams(kPutUserPolicyBody));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json({{"UserName", "alice"},
                        {"PolicyName", "p1"},
                        {"PolicyDocument", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
                                           R"("Action":"kms:*","Resource":"*"}]})"}}));
}

TEST(QueryDecodeTest, IamCreateAccessKey) {
  auto doc = Decode("iam", "CreateAccessKey", FormParams(kCreateAccessKeyBody));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json({{"UserName", "alice"}}));
  auto none = Decode("iam", "CreateAccessKey", {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, json::object());
}

TEST(QueryDecodeTest, ElbMemberLists) {
  auto doc = Decode("elb", "RegisterInstancesWithLoadBalancer", FormParams(kRegisterInstancesBody));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json({{"LoadBalancerName", "lb"},
                        {"Instances", {{{"InstanceId", "i-1"}}, {{"InstanceId", "i-2"}}}}}));

  // From elb.md §1 (botocore wire example).
  auto create = Decode("elb", "CreateLoadBalancer",
                       FormParams("LoadBalancerName=lb&Listeners.member.1.Protocol=HTTP&Listeners.member.1."
                                  "LoadBalancerPort=80&Listeners.member.1.InstanceProtocol=HTTP&Listeners.member.1."
                                  "InstancePort=80&AvailabilityZones.member.1=us-east-1a"));
  ASSERT_TRUE(create.ok()) << create.status().ToString();
  EXPECT_EQ((*create)["Listeners"][0],
            json({{"Protocol", "HTTP"}, {"LoadBalancerPort", 80}, {"InstanceProtocol", "HTTP"}, {"InstancePort", 80}}));
  EXPECT_EQ((*create)["AvailabilityZones"], json::array({"us-east-1a"}));
}

TEST(QueryDecodeTest, ListOrderFollowsIndexNotText) {
  Params params;
  for (int i = 12; i >= 1; --i) params.emplace_back("LoadBalancerNames.member." + std::to_string(i), "lb" + std::to_string(i));
  auto doc = Decode("elb", "DescribeLoadBalancers", params);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ((*doc)["LoadBalancerNames"].size(), 12u);
  EXPECT_EQ((*doc)["LoadBalancerNames"][1], "lb2");
  EXPECT_EQ((*doc)["LoadBalancerNames"][11], "lb12");
}

TEST(QueryDecodeTest, EmptyListAsEmptyValue) {
  // botocore sends an empty list as `Name=`.
  auto doc = Decode("elb", "DescribeLoadBalancers", {{"LoadBalancerNames", ""}});
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json({{"LoadBalancerNames", json::array()}}));
}

TEST(QueryDecodeTest, UnknownParameter) {
  auto doc = Decode("iam", "CreateAccessKey", {{"UserName", "alice"}, {"Bogus", "1"}});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), base::StatusCode::kInvalidArgument);
  EXPECT_EQ(doc.status().detail(), Detail(CodecError::kUnknownParameter));
  EXPECT_NE(doc.status().message().find("Bogus"), std::string::npos);
  // Wrong list syntax for the query protocol is unknown too.
  auto ec2_style = Decode("elb", "DescribeLoadBalancers", {{"LoadBalancerNames.1", "lb"}});
  ASSERT_FALSE(ec2_style.ok());
  EXPECT_EQ(ec2_style.status().detail(), Detail(CodecError::kUnknownParameter));
  // Authentication parameters of presigned / GET requests are not operation parameters.
  auto presigned = Decode("sts", "GetCallerIdentity",
                          {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"}, {"X-Amz-Credential", "a/b"},
                           {"X-Amz-Signature", "00"}, {"X-Amz-Date", "20240101T000000Z"}});
  ASSERT_TRUE(presigned.ok()) << presigned.status().ToString();
}

TEST(QueryDecodeTest, MissingRequired) {
  auto doc = Decode("iam", "PutUserPolicy", {{"UserName", "alice"}, {"PolicyName", "p"}});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().detail(), Detail(CodecError::kMissingParameter));
  EXPECT_EQ(doc.status().message(),
            "1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must "
            "not be null");
  auto nested = Decode("elb", "CreateLoadBalancer",
                       {{"LoadBalancerName", "lb"}, {"Listeners.member.1.Protocol", "HTTP"},
                        {"Listeners.member.1.InstancePort", "80"}});
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(),
            "1 validation error detected: Value null at 'listeners.1.member.loadBalancerPort' failed to satisfy "
            "constraint: Member must not be null");
}

TEST(QueryDecodeTest, Constraints) {
  const std::string long_name(65, 'u');
  auto doc = Decode("iam", "CreateUser", {{"UserName", long_name}});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().detail(), Detail(CodecError::kConstraint));
  EXPECT_EQ(doc.status().message(), "1 validation error detected: Value '" + long_name +
                                        "' at 'userName' failed to satisfy constraint: Member must have length less "
                                        "than or equal to 64");
  auto items = Decode("iam", "ListUsers", {{"MaxItems", "0"}});
  ASSERT_FALSE(items.ok());
  EXPECT_EQ(items.status().message(),
            "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value "
            "greater than or equal to 1");
  auto scheme = Decode("elb", "CreateLoadBalancer",
                       {{"LoadBalancerName", "lb"}, {"Listeners.member.1.Protocol", "HTTP"},
                        {"Listeners.member.1.LoadBalancerPort", "80"}, {"Listeners.member.1.InstancePort", "80"},
                        {"Tags.member.1.Key", ""}});
  ASSERT_FALSE(scheme.ok());
  EXPECT_EQ(scheme.status().message(),
            "1 validation error detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must "
            "have length greater than or equal to 1");
}

TEST(QueryDecodeTest, WrongScalarTypes) {
  auto items = Decode("iam", "ListUsers", {{"MaxItems", "ten"}});
  ASSERT_FALSE(items.ok());
  EXPECT_EQ(items.status().detail(), Detail(CodecError::kMalformed));
  EXPECT_EQ(items.status().message(), "Value (ten) for parameter MaxItems is invalid. Expected an integer.");
  auto boolean = Decode("ec2", "DescribeVolumes", {{"DryRun", "yes"}});
  ASSERT_FALSE(boolean.ok());
  EXPECT_EQ(boolean.status().detail(), Detail(CodecError::kMalformed));
}

// ---- EC2 decode -------------------------------------------------------------------

TEST(Ec2DecodeTest, DescribeVolumesWithFilters) {
  auto doc = Decode("ec2", "DescribeVolumes", FormParams(kDescribeVolumesBody));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json({{"VolumeIds", {"vol-1", "vol-2"}},
                        {"Filters",
                         {{{"Name", "encrypted"}, {"Values", {"true"}}},
                          {{"Name", "status"}, {"Values", {"available", "in-use"}}}}},
                        {"MaxResults", 10}}));
}

TEST(Ec2DecodeTest, CreateVolumeWithTagSpecifications) {
  auto doc = Decode("ec2", "CreateVolume", FormParams(kCreateVolumeBody));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json({{"AvailabilityZone", "us-east-1a"},
                        {"Size", 8},
                        {"VolumeType", "gp3"},
                        {"Encrypted", true},
                        {"KmsKeyId", "alias/mykey"},
                        {"TagSpecifications", {{{"ResourceType", "volume"}, {"Tags", {{{"Key", "Name"}, {"Value", "v1"}}}}}}},
                        {"ClientToken", "e7587014-52e5-4fa7-981f-4b7a092b14ce"}}));
}

TEST(Ec2DecodeTest, RunInstancesWithBlockDeviceMappings) {
  auto doc = Decode("ec2", "RunInstances", FormParams(kRunInstancesBody));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["ImageId"], "ami-1");
  EXPECT_EQ((*doc)["MinCount"], 1);
  EXPECT_EQ((*doc)["MaxCount"], 1);
  EXPECT_EQ((*doc)["InstanceType"], "t3.micro");
  EXPECT_EQ((*doc)["BlockDeviceMappings"],
            json::array({{{"DeviceName", "/dev/xvda"},
                          {"Ebs",
                           {{"Encrypted", true},
                            {"KmsKeyId", "alias/k"},
                            {"VolumeSize", 8},
                            {"DeleteOnTermination", true},
                            {"VolumeType", "gp3"}}}}}));
  EXPECT_EQ((*doc)["TagSpecifications"][0]["Tags"][0]["Value"], "web");
  EXPECT_EQ((*doc)["ClientToken"], "0ffcb0cf-abe1-42a3-9cae-3158919af1f1");
}

TEST(Ec2DecodeTest, NamesFromQueryNameAndShapeLocationName) {
  // DescribeInstanceTypes' list shape carries locationName "InstanceType".
  auto types = Decode("ec2", "DescribeInstanceTypes",
                      FormParams("InstanceType.1=t3.micro&Filter.1.Name=ebs-info.encryption-support&"
                                 "Filter.1.Value.1=supported"));
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  EXPECT_EQ((*types)["InstanceTypes"], json::array({"t3.micro"}));
  EXPECT_EQ((*types)["Filters"][0]["Values"], json::array({"supported"}));
  // queryName: NetworkInterface.N.Ipv6Addresses.N (locationName is ipv6AddressesSet).
  auto run = Decode("ec2", "RunInstances",
                    {{"ImageId", "ami-1"}, {"MinCount", "1"}, {"MaxCount", "1"},
                     {"NetworkInterface.1.DeviceIndex", "0"},
                     {"NetworkInterface.1.Ipv6Addresses.1.Ipv6Address", "::1"}});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ((*run)["NetworkInterfaces"][0]["Ipv6Addresses"][0]["Ipv6Address"], "::1");
  EXPECT_EQ((*run)["NetworkInterfaces"][0]["DeviceIndex"], 0);
}

TEST(Ec2DecodeTest, SpecWireExamples) {
  auto snap = Decode("ec2", "ModifySnapshotAttribute",
                     FormParams("SnapshotId=snap-1&Attribute=createVolumePermission&OperationType=add&"
                                "UserId.1=444455556666&UserGroup.1=all"));
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ((*snap)["UserIds"], json::array({"444455556666"}));
  EXPECT_EQ((*snap)["GroupNames"], json::array({"all"}));
  auto structured = Decode("ec2", "ModifySnapshotAttribute",
                           FormParams("SnapshotId=snap-1&CreateVolumePermission.Add.1.UserId=444455556666&"
                                      "CreateVolumePermission.Remove.1.Group=all"));
  ASSERT_TRUE(structured.ok()) << structured.status().ToString();
  EXPECT_EQ((*structured)["CreateVolumePermission"]["Add"][0]["UserId"], "444455556666");
  EXPECT_EQ((*structured)["CreateVolumePermission"]["Remove"][0]["Group"], "all");
  auto images = Decode("ec2", "DescribeImages", FormParams("Owner.1=self&ExecutableBy.1=self&ImageId.1=ami-1"));
  ASSERT_TRUE(images.ok()) << images.status().ToString();
  EXPECT_EQ(*images, json({{"Owners", {"self"}}, {"ExecutableUsers", {"self"}}, {"ImageIds", {"ami-1"}}}));
  auto tags = Decode("ec2", "CreateTags", FormParams("ResourceId.1=vol-1&ResourceId.2=snap-1&Tag.1.Key=a&Tag.1.Value=b"));
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  EXPECT_EQ(*tags, json({{"Resources", {"vol-1", "snap-1"}}, {"Tags", {{{"Key", "a"}, {"Value", "b"}}}}}));
  auto regions = Decode("ec2", "DescribeRegions", FormParams("RegionName.1=us-east-1&AllRegions=true"));
  ASSERT_TRUE(regions.ok()) << regions.status().ToString();
  EXPECT_EQ(*regions, json({{"RegionNames", {"us-east-1"}}, {"AllRegions", true}}));
}

TEST(Ec2DecodeTest, UnknownParametersIgnored) {
  auto doc = Decode("ec2", "DescribeVolumes", {{"VolumeId.1", "vol-1"}, {"SomethingNew", "x"}, {"VolumeIds.1", "y"}});
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json({{"VolumeIds", {"vol-1"}}}));
}

TEST(Ec2DecodeTest, MissingRequired) {
  auto doc = Decode("ec2", "RunInstances", {{"ImageId", "ami-1"}, {"MaxCount", "1"}});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().detail(), Detail(CodecError::kMissingParameter));
  EXPECT_EQ(doc.status().message(), "The request must contain the parameter MinCount");
  auto nested = Decode("ec2", "DeleteVolume", {});
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(), "The request must contain the parameter VolumeId");
}

TEST(Ec2DecodeTest, EnumsAreOpen) {
  auto doc = Decode("ec2", "CreateVolume", {{"AvailabilityZone", "us-east-1a"}, {"VolumeType", "gp9"}});
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["VolumeType"], "gp9");
}

TEST(Ec2DecodeTest, Ec2Constraint) {
  auto doc = Decode("ec2", "DescribeInstanceTypes", {{"MaxResults", "1000"}});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().detail(), Detail(CodecError::kConstraint));
  EXPECT_EQ(doc.status().message(),
            "Value (1000) for parameter MaxResults is invalid. Member must have value less than or equal to 100");
}

// ---- Query encode ------------------------------------------------------------------
//
// Every XML document below was fed to botocore 1.43.11's own parser and gave
// the dict in the comment above the test:
//   import botocore.session, botocore.parsers
//   m = botocore.session.get_session().get_service_model(SERVICE)
//   p = botocore.parsers.create_parser(m.metadata['protocol'])
//   p.parse({'body': XML.encode(), 'headers': {}, 'status_code': STATUS},
//           m.operation_model(OP).output_shape)

// {'User': {'Path': '/', 'UserName': 'alice', 'UserId': 'AIDAEXAMPLE',
//   'Arn': 'arn:aws:iam::111122223333:user/alice',
//   'CreateDate': datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=tzlocal()),
//   'Tags': [{'Key': 'team', 'Value': 'a&b'}]},
//  'ResponseMetadata': {'RequestId': 'req-1'}}
constexpr std::string_view kCreateUserXml =
    R"(<?xml version="1.0" encoding="UTF-8"?><CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">)"
    R"(<CreateUserResult><User><Path>/</Path><UserName>alice</UserName><UserId>AIDAEXAMPLE</UserId>)"
    R"(<Arn>arn:aws:iam::111122223333:user/alice</Arn><CreateDate>2024-05-01T12:00:00.123Z</CreateDate>)"
    R"(<Tags><member><Key>team</Key><Value>a&amp;b</Value></member></Tags></User></CreateUserResult>)"
    R"(<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></CreateUserResponse>)";

TEST(QueryEncodeTest, IamCreateUser) {
  json out = {{"User",
               {{"UserName", "alice"},
                {"Path", "/"},
                {"UserId", "AIDAEXAMPLE"},
                {"Arn", "arn:aws:iam::111122223333:user/alice"},
                {"CreateDate", 1714564800.123},
                {"PasswordLastUsed", nullptr},
                {"Tags", {{{"Key", "team"}, {"Value", "a&b"}}}}}}};
  const std::string xml = Encode("iam", "CreateUser", out, "req-1");
  EXPECT_EQ(xml, kCreateUserXml);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  EXPECT_EQ(Text(doc, "/CreateUserResponse/CreateUserResult/User/Tags/member/Value"), "a&b");
  EXPECT_EQ(Text(doc, "/CreateUserResponse/ResponseMetadata/RequestId"), "req-1");
}

// {'AccessKeyMetadata': [{'UserName': 'alice', 'AccessKeyId': 'AKIA1', 'Status': 'Active',
//   'CreateDate': datetime(2024, 5, 1, 12, 0, tzinfo=tzlocal())}], 'IsTruncated': False, ...}
constexpr std::string_view kListAccessKeysXml =
    R"(<?xml version="1.0" encoding="UTF-8"?><ListAccessKeysResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">)"
    R"(<ListAccessKeysResult><AccessKeyMetadata><member><UserName>alice</UserName><AccessKeyId>AKIA1</AccessKeyId>)"
    R"(<Status>Active</Status><CreateDate>2024-05-01T12:00:00.000Z</CreateDate></member></AccessKeyMetadata>)"
    R"(<IsTruncated>false</IsTruncated></ListAccessKeysResult><ResponseMetadata><RequestId>req-2</RequestId>)"
    R"(</ResponseMetadata></ListAccessKeysResponse>)";

TEST(QueryEncodeTest, IamListAccessKeys) {
  json out = {{"AccessKeyMetadata",
               {{{"UserName", "alice"}, {"AccessKeyId", "AKIA1"}, {"Status", "Active"}, {"CreateDate", 1714564800}}}},
              {"IsTruncated", false}};
  EXPECT_EQ(Encode("iam", "ListAccessKeys", out, "req-2"), kListAccessKeysXml);
}

// {'ResponseMetadata': {'RequestId': 'req-3'}}
TEST(QueryEncodeTest, IamNoOutput) {
  EXPECT_EQ(Encode("iam", "DeleteUser", json::object(), "req-3"),
            R"(<?xml version="1.0" encoding="UTF-8"?><DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">)"
            R"(<ResponseMetadata><RequestId>req-3</RequestId></ResponseMetadata></DeleteUserResponse>)");
}

// {'UserId': 'AIDAEXAMPLE', 'Account': '111122223333', 'Arn': 'arn:aws:iam::111122223333:user/alice', ...}
TEST(QueryEncodeTest, StsGetCallerIdentity) {
  json out = {{"Arn", "arn:aws:iam::111122223333:user/alice"}, {"UserId", "AIDAEXAMPLE"}, {"Account", "111122223333"}};
  EXPECT_EQ(Encode("sts", "GetCallerIdentity", out, "req-4"),
            R"(<?xml version="1.0" encoding="UTF-8"?><GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">)"
            R"(<GetCallerIdentityResult><UserId>AIDAEXAMPLE</UserId><Account>111122223333</Account>)"
            R"(<Arn>arn:aws:iam::111122223333:user/alice</Arn></GetCallerIdentityResult>)"
            R"(<ResponseMetadata><RequestId>req-4</RequestId></ResponseMetadata></GetCallerIdentityResponse>)");
}

// {'LoadBalancerDescriptions': [{'LoadBalancerName': 'lb', 'DNSName': 'lb-1.us-east-1.elb.amazonaws.com',
//   'ListenerDescriptions': [{'Listener': {'Protocol': 'HTTP', 'LoadBalancerPort': 80,
//      'InstanceProtocol': 'HTTP', 'InstancePort': 80}, 'PolicyNames': []}],
//   'AvailabilityZones': ['us-east-1a'], 'Instances': [{'InstanceId': 'i-1'}, {'InstanceId': 'i-2'}],
//   'HealthCheck': {'Target': 'TCP:80', 'Interval': 30, 'Timeout': 5, 'UnhealthyThreshold': 2,
//      'HealthyThreshold': 10},
//   'CreatedTime': datetime(2024, 5, 1, 12, 0, tzinfo=tzlocal()), 'Scheme': 'internet-facing'}], ...}
TEST(QueryEncodeTest, ElbDescribeLoadBalancers) {
  json out = {{"LoadBalancerDescriptions",
               {{{"LoadBalancerName", "lb"},
                 {"DNSName", "lb-1.us-east-1.elb.amazonaws.com"},
                 {"ListenerDescriptions",
                  {{{"Listener",
                     {{"Protocol", "HTTP"}, {"LoadBalancerPort", 80}, {"InstanceProtocol", "HTTP"}, {"InstancePort", 80}}},
                    {"PolicyNames", json::array()}}}},
                 {"AvailabilityZones", {"us-east-1a"}},
                 {"Instances", {{{"InstanceId", "i-1"}}, {{"InstanceId", "i-2"}}}},
                 {"HealthCheck",
                  {{"Target", "TCP:80"}, {"Interval", 30}, {"Timeout", 5}, {"UnhealthyThreshold", 2}, {"HealthyThreshold", 10}}},
                 {"CreatedTime", 1714564800},
                 {"Scheme", "internet-facing"}}}}};
  const std::string xml = Encode("elb", "DescribeLoadBalancers", out, "req-5");
  EXPECT_EQ(
      xml,
      R"(<?xml version="1.0" encoding="UTF-8"?><DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/">)"
      R"(<DescribeLoadBalancersResult><LoadBalancerDescriptions><member><LoadBalancerName>lb</LoadBalancerName>)"
      R"(<DNSName>lb-1.us-east-1.elb.amazonaws.com</DNSName><ListenerDescriptions><member><Listener>)"
      R"(<Protocol>HTTP</Protocol><LoadBalancerPort>80</LoadBalancerPort><InstanceProtocol>HTTP</InstanceProtocol>)"
      R"(<InstancePort>80</InstancePort></Listener><PolicyNames/></member></ListenerDescriptions>)"
      R"(<AvailabilityZones><member>us-east-1a</member></AvailabilityZones><Instances><member>)"
      R"(<InstanceId>i-1</InstanceId></member><member><InstanceId>i-2</InstanceId></member></Instances>)"
      R"(<HealthCheck><Target>TCP:80</Target><Interval>30</Interval><Timeout>5</Timeout>)"
      R"(<UnhealthyThreshold>2</UnhealthyThreshold><HealthyThreshold>10</HealthyThreshold></HealthCheck>)"
      R"(<CreatedTime>2024-05-01T12:00:00.000Z</CreatedTime><Scheme>internet-facing</Scheme></member>)"
      R"(</LoadBalancerDescriptions></DescribeLoadBalancersResult><ResponseMetadata><RequestId>req-5</RequestId>)"
      R"(</ResponseMetadata></DescribeLoadBalancersResponse>)");
}

// {'ResponseMetadata': {'RequestId': 'req-6'}}
TEST(QueryEncodeTest, ElbEmptyResult) {
  EXPECT_EQ(
      Encode("elb", "DeleteLoadBalancer", json::object(), "req-6"),
      R"(<?xml version="1.0" encoding="UTF-8"?><DeleteLoadBalancerResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/">)"
      R"(<DeleteLoadBalancerResult/><ResponseMetadata><RequestId>req-6</RequestId></ResponseMetadata>)"
      R"(</DeleteLoadBalancerResponse>)");
}

// {'Volumes': [{'Attachments': [{'AttachTime': datetime(2024, 5, 1, 12, 0, 1, tzinfo=tzlocal()),
//     'Device': '/dev/sdf', 'InstanceId': 'i-1', 'State': 'attached', 'VolumeId': 'vol-1',
//     'DeleteOnTermination': False}],
//   'AvailabilityZone': 'us-east-1a', 'CreateTime': datetime(2024, 5, 1, 12, 0, tzinfo=tzlocal()),
//   'Encrypted': True, 'KmsKeyId': 'arn:aws:kms:us-east-1:111122223333:key/k', 'Size': 8,
//   'SnapshotId': '', 'State': 'in-use', 'VolumeId': 'vol-1', 'Iops': 3000, 'Tags': [],
//   'VolumeType': 'gp3', 'MultiAttachEnabled': False, 'Throughput': 125}],
//  'NextToken': 'tok', 'ResponseMetadata': {'RequestId': 'req-7'}}
constexpr std::string_view kDescribeVolumesXml =
    R"(<?xml version="1.0" encoding="UTF-8"?><DescribeVolumesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">)"
    R"(<requestId>req-7</requestId><volumeSet><item><attachmentSet><item>)"
    R"(<attachTime>2024-05-01T12:00:01.000Z</attachTime><device>/dev/sdf</device><instanceId>i-1</instanceId>)"
    R"(<status>attached</status><volumeId>vol-1</volumeId><deleteOnTermination>false</deleteOnTermination></item>)"
    R"(</attachmentSet><availabilityZone>us-east-1a</availabilityZone><createTime>2024-05-01T12:00:00.000Z</createTime>)"
    R"(<encrypted>true</encrypted><kmsKeyId>arn:aws:kms:us-east-1:111122223333:key/k</kmsKeyId><size>8</size>)"
    R"(<snapshotId></snapshotId><status>in-use</status><volumeId>vol-1</volumeId><iops>3000</iops><tagSet/>)"
    R"(<volumeType>gp3</volumeType><multiAttachEnabled>false</multiAttachEnabled><throughput>125</throughput>)"
    R"(</item></volumeSet><nextToken>tok</nextToken></DescribeVolumesResponse>)";

TEST(Ec2EncodeTest, DescribeVolumes) {
  json volume = {{"VolumeId", "vol-1"},
                 {"Size", 8},
                 {"SnapshotId", ""},
                 {"AvailabilityZone", "us-east-1a"},
                 {"State", "in-use"},
                 {"CreateTime", 1714564800},
                 {"VolumeType", "gp3"},
                 {"Iops", 3000},
                 {"Throughput", 125},
                 {"Encrypted", true},
                 {"KmsKeyId", "arn:aws:kms:us-east-1:111122223333:key/k"},
                 {"MultiAttachEnabled", false},
                 {"Tags", json::array()},
                 {"Attachments",
                  {{{"VolumeId", "vol-1"},
                    {"InstanceId", "i-1"},
                    {"Device", "/dev/sdf"},
                    {"State", "attached"},
                    {"AttachTime", "2024-05-01T12:00:01Z"},
                    {"DeleteOnTermination", false}}}}};
  const std::string xml = Encode("ec2", "DescribeVolumes", {{"Volumes", {volume}}, {"NextToken", "tok"}}, "req-7");
  EXPECT_EQ(xml, kDescribeVolumesXml);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  EXPECT_EQ(Text(doc, "/DescribeVolumesResponse/requestId"), "req-7");
  EXPECT_EQ(Text(doc, "/DescribeVolumesResponse/volumeSet/item/attachmentSet/item/status"), "attached");
}

// {'ResponseMetadata': {'RequestId': 'req-8'}}
TEST(Ec2EncodeTest, NoOutputReturnsTrue) {
  EXPECT_EQ(Encode("ec2", "DeleteVolume", json::object(), "req-8"),
            R"(<?xml version="1.0" encoding="UTF-8"?><DeleteVolumeResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">)"
            R"(<requestId>req-8</requestId><return>true</return></DeleteVolumeResponse>)");
}

// {'Reservations': [{'Instances': [{'InstanceId': 'i-1', 'State': {'Code': 16, 'Name': 'running'},
//    'BlockDeviceMappings': [{'DeviceName': '/dev/xvda', 'Ebs': {'VolumeId': 'vol-1', 'Status': 'attached',
//    'DeleteOnTermination': True}}], 'PublicIpAddress': '203.0.113.1'}],
//    'OwnerId': '111122223333', 'ReservationId': 'r-1', 'Groups': []}], ...}
constexpr std::string_view kDescribeInstancesXml =
    R"(<?xml version="1.0" encoding="UTF-8"?><DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">)"
    R"(<requestId>req-9</requestId><reservationSet><item><groupSet/><instancesSet><item><instanceId>i-1</instanceId>)"
    R"(<ipAddress>203.0.113.1</ipAddress><instanceState><code>16</code><name>running</name></instanceState>)"
    R"(<blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><deleteOnTermination>true</deleteOnTermination>)"
    R"(<status>attached</status><volumeId>vol-1</volumeId></ebs></item></blockDeviceMapping></item></instancesSet>)"
    R"(<ownerId>111122223333</ownerId><reservationId>r-1</reservationId></item></reservationSet></DescribeInstancesResponse>)";

TEST(Ec2EncodeTest, DescribeInstancesLocationNames) {
  json out = {{"Reservations",
               {{{"ReservationId", "r-1"},
                 {"OwnerId", "111122223333"},
                 {"Groups", json::array()},
                 {"Instances",
                  {{{"InstanceId", "i-1"},
                    {"State", {{"Code", 16}, {"Name", "running"}}},
                    {"PublicIpAddress", "203.0.113.1"},
                    {"BlockDeviceMappings",
                     {{{"DeviceName", "/dev/xvda"},
                       {"Ebs", {{"VolumeId", "vol-1"}, {"Status", "attached"}, {"DeleteOnTermination", true}}}}}}}}}}}}};
  const std::string xml = Encode("ec2", "DescribeInstances", out, "req-9");
  EXPECT_EQ(xml, kDescribeInstancesXml);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
  const char* item = "/DescribeInstancesResponse/reservationSet/item";
  EXPECT_EQ(Text(doc, (std::string(item) + "/reservationId").c_str()), "r-1");
  EXPECT_TRUE(doc.select_node((std::string(item) + "/groupSet").c_str()));
  const std::string instance = std::string(item) + "/instancesSet/item";
  EXPECT_EQ(Text(doc, (instance + "/instanceState/code").c_str()), "16");
  EXPECT_EQ(Text(doc, (instance + "/instanceState/name").c_str()), "running");
  EXPECT_EQ(Text(doc, (instance + "/ipAddress").c_str()), "203.0.113.1");
  EXPECT_EQ(Text(doc, (instance + "/blockDeviceMapping/item/ebs/volumeId").c_str()), "vol-1");
  EXPECT_EQ(Text(doc, (instance + "/blockDeviceMapping/item/ebs/deleteOnTermination").c_str()), "true");
}

// ---- errors -------------------------------------------------------------------------
// botocore (QueryParser / EC2QueryParser, status 400):
//   IAM -> {'Error': {'Type': 'Sender', 'Code': 'NoSuchEntity', 'Message': 'The user with name bob cannot be found.'},
//           'ResponseMetadata': {'RequestId': 'req-10'}}
//   EC2 -> {'Error': {'Code': 'InvalidVolume.NotFound', 'Message': "The volume 'vol-0123' does not exist."},
//           'ResponseMetadata': {'RequestId': 'req-11'}}   (EC2 parser maps RequestID)
TEST(QueryErrorTest, QueryEnvelope) {
  auto iam = Model("iam");
  EXPECT_EQ(EncodeQueryError(*iam, "NoSuchEntity", "The user with name bob cannot be found.", true, "req-10"),
            R"(<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">)"
            R"(<Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name bob cannot be found.</Message>)"
            R"(</Error><RequestId>req-10</RequestId></ErrorResponse>)");
  auto sts = Model("sts");
  const std::string receiver = EncodeQueryError(*sts, "InternalFailure", "x<y", false, "r");
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(receiver.c_str()));
  EXPECT_EQ(Text(doc, "/ErrorResponse/Error/Type"), "Receiver");
  EXPECT_EQ(Text(doc, "/ErrorResponse/Error/Message"), "x<y");
}

TEST(QueryErrorTest, Ec2Envelope) {
  auto ec2 = Model("ec2");
  EXPECT_EQ(EncodeQueryError(*ec2, "InvalidVolume.NotFound", "The volume 'vol-0123' does not exist.", true, "req-11"),
            R"(<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidVolume.NotFound</Code>)"
            R"(<Message>The volume 'vol-0123' does not exist.</Message></Error></Errors><RequestID>req-11</RequestID>)"
            R"(</Response>)");
}

}  // namespace
}  // namespace kura::api
