#include "api/ec2_provider.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/ec2_wire.h"
#include "api/elb_provider.h"
#include "api/service_model.h"
#include "ec2/ec2_error.h"
#include "ec2/test_fixture.h"

namespace kura::api {
namespace {

using nlohmann::json;
using ec2::Ec2Error;
namespace w = ec2_wire;

// ---- a rendered document must use the model's member names and types ----------

void Conforms(const Shape& shape, const json& doc, const std::string& path, std::vector<std::string>& problems) {
  switch (shape.type) {
    case Shape::Type::kStructure:
      if (!doc.is_object()) {
        problems.push_back(path + ": not a structure");
        return;
      }
      for (const auto& [name, value] : doc.items()) {
        const Member* m = shape.FindMember(name);
        if (!m) {
          problems.push_back(path + "." + name + ": no such member in " + shape.name);
          continue;
        }
        Conforms(*m->shape, value, path + "." + name, problems);
      }
      return;
    case Shape::Type::kList:
      if (!doc.is_array()) {
        problems.push_back(path + ": not a list");
        return;
      }
      for (size_t i = 0; i < doc.size(); ++i) {
        Conforms(*shape.member.shape, doc[i], path + "[" + std::to_string(i) + "]", problems);
      }
      return;
    case Shape::Type::kString:
      if (!doc.is_string()) problems.push_back(path + ": not a string");
      if (!shape.enum_values.empty() && doc.is_string() &&
          std::find(shape.enum_values.begin(), shape.enum_values.end(), doc.get<std::string>()) ==
              shape.enum_values.end()) {
        problems.push_back(path + ": '" + doc.get<std::string>() + "' is not in the enum of " + shape.name);
      }
      return;
    case Shape::Type::kInteger:
    case Shape::Type::kLong:
      if (!doc.is_number_integer()) problems.push_back(path + ": not an integer");
      return;
    case Shape::Type::kBoolean:
      if (!doc.is_boolean()) problems.push_back(path + ": not a boolean");
      return;
    case Shape::Type::kTimestamp:
      if (!doc.is_number()) problems.push_back(path + ": not a number of seconds");
      return;
    default:
      return;
  }
}

class ModelTest : public ::testing::Test {
 protected:
  static std::shared_ptr<const ServiceModel> Model(const char* service) {
    auto m = ServiceModel::Load(service);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : nullptr;
  }
  // Problems of `doc` as the output of `op`.
  static std::vector<std::string> OutputProblems(const char* service, const char* op, const json& doc) {
    auto model = Model(service);
    std::vector<std::string> problems;
    if (!model) return {"no model"};
    const Operation* o = model->FindOperation(op);
    if (!o || !o->output) return {std::string("no output shape for ") + op};
    Conforms(*o->output, doc, op, problems);
    return problems;
  }
};

ec2::VolumeRecord SampleVolume() {
  ec2::VolumeRecord v;
  v.id = "vol-0123456789abcdef0";
  v.account = "111122223333";
  v.region = "us-east-1";
  v.zone = "us-east-1a";
  v.size_gib = 8;
  v.volume_type = "gp3";
  v.iops = 3000;
  v.throughput = 125;
  v.state = ec2::VolumeState::kInUse;
  v.create_time = 1700000000123;
  v.encrypted = true;
  v.encryption.kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/k1";
  v.tags = {{"Name", "data"}};
  v.attachment = ec2::VolumeAttachment{"i-0123456789abcdef0", "/dev/sdf", ec2::AttachmentState::kAttached,
                                       1700000001000, false};
  return v;
}

ec2::SnapshotRecord SampleSnapshot() {
  ec2::SnapshotRecord s;
  s.id = "snap-0123456789abcdef0";
  s.account = "111122223333";
  s.region = "us-east-1";
  s.volume_id = "vol-ffffffff";
  s.volume_size_gib = 8;
  s.state = ec2::SnapshotState::kPending;
  s.start_time = 1700000000000;
  return s;
}

ec2::InstanceRecord SampleInstance() {
  ec2::InstanceRecord i;
  i.id = "i-0123456789abcdef0";
  i.reservation_id = "r-0123456789abcdef0";
  i.account = "111122223333";
  i.region = "us-east-1";
  i.image_id = "ami-0123456789abcdef0";
  i.instance_type = "t3.micro";
  i.zone = "us-east-1a";
  i.state = ec2::InstanceState::kTerminated;
  i.state_reason = ec2::StateReason{"Client.InternalError", "Client.InternalError: Client error on launch"};
  i.private_ip = "10.0.1.2";
  i.public_ip = "203.0.113.7";
  i.launch_time = 1700000000000;
  i.block_devices = {{"/dev/xvda", "vol-0123456789abcdef0", "attached", 1700000000000, true}};
  i.tags = {{"Name", "web"}};
  return i;
}

TEST_F(ModelTest, VolumeDocumentUsesModelNames) {
  json v = w::VolumeDoc(SampleVolume());
  EXPECT_EQ(v["SnapshotId"], "");
  EXPECT_EQ(v["State"], "in-use");
  EXPECT_EQ(v["KmsKeyId"], "arn:aws:kms:us-east-1:111122223333:key/k1");
  EXPECT_DOUBLE_EQ(v["CreateTime"].get<double>(), 1700000000.123);
  EXPECT_EQ(v["Attachments"][0]["State"], "attached");
  EXPECT_EQ(v["Attachments"][0]["VolumeId"], "vol-0123456789abcdef0");
  EXPECT_EQ(OutputProblems("ec2", "CreateVolume", v), std::vector<std::string>{});
  EXPECT_EQ(OutputProblems("ec2", "DescribeVolumes", json{{"Volumes", {v}}, {"NextToken", "t"}}),
            std::vector<std::string>{});

  auto plain = SampleVolume();
  plain.encrypted = false;
  plain.attachment.reset();
  plain.tags.clear();
  json p = w::VolumeDoc(plain);
  EXPECT_FALSE(p.contains("KmsKeyId"));
  EXPECT_FALSE(p.contains("Tags"));
  EXPECT_TRUE(p["Attachments"].is_array() && p["Attachments"].empty());

  EXPECT_EQ(OutputProblems("ec2", "DescribeVolumeStatus", json{{"VolumeStatuses", {w::VolumeStatusDoc(plain)}}}),
            std::vector<std::string>{});
  ec2::VolumeModification m{"modifying", 8, 16, "gp2", "gp3", std::nullopt, 3000, std::nullopt, 125, 0,
                            1700000000000, 0};
  EXPECT_EQ(OutputProblems("ec2", "ModifyVolume", json{{"VolumeModification", w::ModificationDoc(plain.id, m)}}),
            std::vector<std::string>{});
  EXPECT_EQ(OutputProblems("ec2", "AttachVolume", w::AttachmentDoc(plain.id, *SampleVolume().attachment)),
            std::vector<std::string>{});
}

TEST_F(ModelTest, SnapshotDocumentProgressAndKey) {
  auto s = SampleSnapshot();
  json doc = w::SnapshotDoc(s);
  EXPECT_EQ(doc["Progress"], "");
  EXPECT_EQ(doc["StorageTier"], "standard");
  EXPECT_FALSE(doc.contains("KmsKeyId"));
  EXPECT_FALSE(doc.contains("StateMessage"));
  s.progress = 42;
  s.state = ec2::SnapshotState::kError;
  s.state_message = "key disabled";
  s.encrypted = true;
  s.encryption.kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/k1";
  doc = w::SnapshotDoc(s);
  EXPECT_EQ(doc["Progress"], "42%");
  EXPECT_EQ(doc["State"], "error");
  EXPECT_EQ(doc["StateMessage"], "key disabled");
  EXPECT_EQ(doc["KmsKeyId"], s.encryption.kms_key_arn);
  EXPECT_EQ(OutputProblems("ec2", "CreateSnapshot", doc), std::vector<std::string>{});
  EXPECT_EQ(OutputProblems("ec2", "DescribeSnapshots", json{{"Snapshots", {doc}}}), std::vector<std::string>{});
  EXPECT_EQ(OutputProblems("ec2", "CreateSnapshots", json{{"Snapshots", {w::SnapshotInfoDoc(s)}}}),
            std::vector<std::string>{});
  json attr{{"SnapshotId", s.id}, {"CreateVolumePermissions", w::PermissionsDoc({"444455556666"}, true)}};
  EXPECT_EQ(attr["CreateVolumePermissions"][0]["Group"], "all");
  EXPECT_EQ(attr["CreateVolumePermissions"][1]["UserId"], "444455556666");
  EXPECT_EQ(OutputProblems("ec2", "DescribeSnapshotAttribute", attr), std::vector<std::string>{});
}

TEST_F(ModelTest, ImageDocumentCreationDateIsAString) {
  ec2::ImageRecord i;
  i.id = "ami-0123456789abcdef0";
  i.account = "111122223333";
  i.name = "golden";
  i.state = ec2::ImageState::kAvailable;
  i.creation_date = 1700000000000;
  ec2::EbsBlockDevice ebs;
  ebs.snapshot_id = "snap-0123456789abcdef0";
  ebs.volume_size_gib = 8;
  ebs.encrypted = true;
  ebs.kms_key_id = "arn:aws:kms:us-east-1:111122223333:key/k1";
  i.block_device_mappings = {{"/dev/xvda", false, "", ebs}, {"/dev/sdb", true, "", std::nullopt}};
  json doc = w::ImageDoc(i);
  EXPECT_EQ(doc["CreationDate"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(doc["ImageLocation"], "111122223333/golden");
  EXPECT_EQ(doc["BlockDeviceMappings"][0]["Ebs"]["KmsKeyId"], ebs.kms_key_id);
  EXPECT_EQ(doc["BlockDeviceMappings"][0]["Ebs"]["VolumeType"], "gp2");
  EXPECT_EQ(doc["BlockDeviceMappings"][1]["NoDevice"], "");
  EXPECT_EQ(OutputProblems("ec2", "DescribeImages", json{{"Images", {doc}}}), std::vector<std::string>{});
  json attr{{"ImageId", i.id},
            {"LaunchPermissions", w::PermissionsDoc({"444455556666"}, false)},
            {"Description", {{"Value", "d"}}},
            {"BlockDeviceMappings", w::ImageMappingsDoc(i.block_device_mappings)}};
  EXPECT_EQ(OutputProblems("ec2", "DescribeImageAttribute", attr), std::vector<std::string>{});
}

TEST_F(ModelTest, InstanceDocuments) {
  ec2::Reservation r{"r-0123456789abcdef0", "111122223333", {SampleInstance()}};
  json doc = w::ReservationDoc(r);
  const json& i = doc["Instances"][0];
  EXPECT_EQ(i["State"], json({{"Code", 48}, {"Name", "terminated"}}));
  EXPECT_EQ(i["StateReason"]["Code"], "Client.InternalError");
  EXPECT_EQ(i["PrivateDnsName"], "ip-10-0-1-2.ec2.internal");
  EXPECT_EQ(i["PublicDnsName"], "ec2-203-0-113-7.compute-1.amazonaws.com");
  EXPECT_EQ(i["BlockDeviceMappings"][0]["Ebs"]["VolumeId"], "vol-0123456789abcdef0");
  EXPECT_EQ(OutputProblems("ec2", "RunInstances", doc), std::vector<std::string>{});
  EXPECT_EQ(OutputProblems("ec2", "DescribeInstances", json{{"Reservations", {doc}}}), std::vector<std::string>{});
  std::vector<ec2::InstanceStateChange> changes{
      {"i-0123456789abcdef0", ec2::InstanceState::kStopping, ec2::InstanceState::kRunning}};
  json stop{{"StoppingInstances", w::StateChangesDoc(changes)}};
  EXPECT_EQ(stop["StoppingInstances"][0]["PreviousState"]["Code"], 16);
  EXPECT_EQ(OutputProblems("ec2", "StopInstances", stop), std::vector<std::string>{});
  ec2::InstanceTypeInfo t;
  t.instance_type = "m1.small";
  t.encryption_supported = false;
  json types{{"InstanceTypes", {w::InstanceTypeDoc(t)}}};
  EXPECT_EQ(types["InstanceTypes"][0]["EbsInfo"]["EncryptionSupport"], "unsupported");
  EXPECT_EQ(OutputProblems("ec2", "DescribeInstanceTypes", types), std::vector<std::string>{});
}

TEST_F(ModelTest, OtherDocuments) {
  ec2::AddressRecord a{"eipalloc-0123456789abcdef0", "111122223333", "us-east-1", "198.51.100.4",
                       "eipassoc-0123456789abcdef0", "i-0123456789abcdef0", "10.0.0.4", {}};
  EXPECT_EQ(OutputProblems("ec2", "DescribeAddresses", json{{"Addresses", {w::AddressDoc(a)}}}),
            std::vector<std::string>{});
  EXPECT_EQ(OutputProblems("ec2", "DescribeTags",
                           json{{"Tags", {w::TagDescriptionDoc({"vol-1", "volume", "k", "v"})}}}),
            std::vector<std::string>{});
  EXPECT_EQ(OutputProblems("ec2", "DescribeRegions",
                           json{{"Regions", {w::RegionDoc({"us-east-1", "ec2.us-east-1.amazonaws.com"})}}}),
            std::vector<std::string>{});
  EXPECT_EQ(OutputProblems("ec2", "DescribeAvailabilityZones",
                           json{{"AvailabilityZones", {w::ZoneDoc({"us-east-1a", "use1-az1", "us-east-1"})}}}),
            std::vector<std::string>{});
  ec2::LoadBalancerRecord lb;
  lb.name = "web";
  lb.dns_name = "web-1234.us-east-1.elb.amazonaws.com";
  lb.listeners = {{"HTTP", 80, "HTTP", 8080, ""}};
  lb.zones = {"us-east-1a"};
  lb.instances = {"i-0123456789abcdef0"};
  lb.created_time = 1700000000000;
  json lbs{{"LoadBalancerDescriptions", {w::LoadBalancerDoc(lb)}}};
  EXPECT_EQ(lbs["LoadBalancerDescriptions"][0]["HealthCheck"]["Target"], "TCP:8080");
  EXPECT_EQ(OutputProblems("elb", "DescribeLoadBalancers", lbs), std::vector<std::string>{});
}

// ---- input -------------------------------------------------------------------

TEST(Ec2WireInput, FiltersAndPaging) {
  json in = json::parse(R"({"Filters":[{"Name":"status","Values":["available","in-use"]}],
                            "MaxResults":5,"NextToken":"abc"})");
  auto filters = w::Filters(w::Reader(in));
  ASSERT_TRUE(filters.ok());
  ASSERT_EQ(filters->size(), 1u);
  EXPECT_EQ((*filters)[0].name, "status");
  EXPECT_EQ((*filters)[0].values, (std::vector<std::string>{"available", "in-use"}));
  auto page = w::Page(w::Reader(in));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->max_results, 5);
  EXPECT_EQ(page->next_token, "abc");

  json bad = json::parse(R"({"Filters":[{"Values":["x"]}]})");
  EXPECT_EQ(ec2::ErrorOf(w::Filters(w::Reader(bad)).status()), Ec2Error::kInvalidParameterValue);
  json wrong = json::parse(R"({"Filters":"x"})");
  EXPECT_EQ(ec2::ErrorOf(w::Filters(w::Reader(wrong)).status()), Ec2Error::kInvalidParameterValue);
}

TEST(Ec2WireInput, TagSpecifications) {
  json in = json::parse(R"({"TagSpecifications":[
      {"ResourceType":"instance","Tags":[{"Key":"Name","Value":"web"}]},
      {"ResourceType":"volume","Tags":[{"Key":"team","Value":"a"},{"Key":"x","Value":""}]}]})");
  auto specs = w::TagSpecifications(w::Reader(in), {"instance", "volume"});
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  EXPECT_EQ(specs->Of("instance"), (std::vector<ec2::Tag>{{"Name", "web"}}));
  EXPECT_EQ(specs->Of("volume"), (std::vector<ec2::Tag>{{"team", "a"}, {"x", ""}}));
  EXPECT_TRUE(specs->Of("image").empty());

  auto wrong_type = w::TagSpecifications(w::Reader(in), {"volume"});
  EXPECT_EQ(ec2::ErrorOf(wrong_type.status()), Ec2Error::kInvalidParameterValue);
  EXPECT_EQ(wrong_type.status().message(), "'instance' is not a valid taggable resource type for this operation.");

  json empty = json::parse(R"({"TagSpecifications":[{"ResourceType":"volume"}]})");
  auto no_tags = w::TagSpecifications(w::Reader(empty), {"volume"});
  EXPECT_EQ(ec2::ErrorOf(no_tags.status()), Ec2Error::kInvalidParameterValue);
  EXPECT_EQ(no_tags.status().message(), "Tag specification must have at least one tag");
}

TEST(Ec2WireInput, BlockDeviceMappings) {
  json in = json::parse(R"({"BlockDeviceMappings":[
      {"DeviceName":"/dev/xvda","Ebs":{"VolumeSize":8,"Encrypted":true,"KmsKeyId":"alias/k","VolumeType":"gp3",
                                       "DeleteOnTermination":true,"Iops":3000}},
      {"DeviceName":"/dev/sdb","NoDevice":""}]})");
  auto m = w::BlockDeviceMappings(w::Reader(in));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->size(), 2u);
  ASSERT_TRUE((*m)[0].ebs.has_value());
  EXPECT_EQ((*m)[0].ebs->volume_size_gib, 8);
  EXPECT_EQ((*m)[0].ebs->encrypted, true);
  EXPECT_EQ((*m)[0].ebs->kms_key_id, "alias/k");
  EXPECT_EQ((*m)[0].ebs->iops, 3000);
  EXPECT_FALSE((*m)[0].ebs->throughput.has_value());
  EXPECT_FALSE((*m)[0].no_device);
  EXPECT_TRUE((*m)[1].no_device);
  EXPECT_FALSE((*m)[1].ebs.has_value());
}

TEST(Ec2WireInput, PermissionChangesBothForms) {
  json flat = json::parse(R"({"SnapshotId":"snap-1","Attribute":"createVolumePermission","OperationType":"add",
                              "UserIds":["444455556666"],"GroupNames":["all"]})");
  auto a = w::PermissionChanges(w::Reader(flat), "CreateVolumePermission", "GroupNames", "createVolumePermission");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->attribute, "createVolumePermission");
  EXPECT_EQ(a->change.add_users, std::vector<std::string>{"444455556666"});
  EXPECT_EQ(a->change.add_groups, std::vector<std::string>{"all"});
  EXPECT_TRUE(a->change.remove_users.empty());

  json structured = json::parse(R"({"ImageId":"ami-1","LaunchPermission":{
      "Add":[{"UserId":"444455556666"}],"Remove":[{"Group":"all"},{"UserId":"777788889999"}]}})");
  auto b = w::PermissionChanges(w::Reader(structured), "LaunchPermission", "UserGroups", "launchPermission");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->attribute, "launchPermission");
  EXPECT_EQ(b->change.add_users, std::vector<std::string>{"444455556666"});
  EXPECT_EQ(b->change.remove_groups, std::vector<std::string>{"all"});
  EXPECT_EQ(b->change.remove_users, std::vector<std::string>{"777788889999"});

  json remove = json::parse(R"({"Attribute":"launchPermission","OperationType":"remove","UserGroups":["all"]})");
  auto c = w::PermissionChanges(w::Reader(remove), "LaunchPermission", "UserGroups", "launchPermission");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->change.remove_groups, std::vector<std::string>{"all"});

  json no_op = json::parse(R"({"Attribute":"createVolumePermission","UserIds":["444455556666"]})");
  auto d = w::PermissionChanges(w::Reader(no_op), "CreateVolumePermission", "GroupNames", "createVolumePermission");
  EXPECT_EQ(ec2::ErrorOf(d.status()), Ec2Error::kMissingParameter);
  json bad_op = json::parse(R"({"OperationType":"replace","UserIds":["444455556666"]})");
  auto e = w::PermissionChanges(w::Reader(bad_op), "CreateVolumePermission", "GroupNames", "createVolumePermission");
  EXPECT_EQ(ec2::ErrorOf(e.status()), Ec2Error::kInvalidParameterValue);
}

// ---- errors ------------------------------------------------------------------

TEST(Ec2WireErrors, CodesAndStatuses) {
  auto ec2_error = [](Ec2Error e) { return w::Ec2WireError(ec2::Ec2Status(e, "text")); };
  EXPECT_EQ(ec2_error(Ec2Error::kUnauthorizedOperation).http_status, 403);
  EXPECT_EQ(ec2_error(Ec2Error::kUnauthorizedOperation).code, "UnauthorizedOperation");
  EXPECT_EQ(ec2_error(Ec2Error::kDryRunOperation).http_status, 412);
  EXPECT_EQ(ec2_error(Ec2Error::kVolumeNotFound).code, "InvalidVolume.NotFound");
  EXPECT_EQ(ec2_error(Ec2Error::kVolumeNotFound).message, "text");
  EXPECT_EQ(ec2_error(Ec2Error::kVolumeNotFound).http_status, 400);
  EXPECT_EQ(ec2_error(Ec2Error::kSnapshotInUse).code, "InvalidSnapshot.InUse");
  EXPECT_EQ(ec2_error(Ec2Error::kAmiIdMalformed).code, "InvalidAMIID.Malformed");
  EXPECT_EQ(ec2_error(Ec2Error::kVolumeZoneMismatch).code, "InvalidVolume.ZoneMismatch");
  EXPECT_EQ(ec2_error(Ec2Error::kEncryptedVolumesNotSupported).code, "EncryptedVolumesNotSupported");
  EXPECT_EQ(ec2_error(Ec2Error::kInternal).http_status, 500);
  // Every kind has a code.
  for (int k = static_cast<int>(Ec2Error::kInvalidParameterValue);
       k <= static_cast<int>(Ec2Error::kTooManyLoadBalancers); ++k) {
    WireError e = ec2_error(static_cast<Ec2Error>(k));
    EXPECT_FALSE(e.code.empty()) << k;
  }
  // A failure from another layer is an InternalError whose text is not sent.
  WireError internal = w::Ec2WireError(base::Status(base::StatusCode::kDataLoss, 0, "disk /secret/path failed"));
  EXPECT_EQ(internal.code, "InternalError");
  EXPECT_EQ(internal.http_status, 500);
  EXPECT_EQ(internal.message.find("secret"), std::string::npos);

  auto elb_error = [](Ec2Error e) { return w::ElbWireError(ec2::Ec2Status(e, "text")); };
  EXPECT_EQ(elb_error(Ec2Error::kInvalidConfigurationRequest).http_status, 409);
  EXPECT_EQ(elb_error(Ec2Error::kLoadBalancerNotFound).code, "LoadBalancerNotFound");
  EXPECT_EQ(elb_error(Ec2Error::kLoadBalancerNotFound).http_status, 400);
  EXPECT_TRUE(elb_error(Ec2Error::kLoadBalancerNotFound).sender_fault);
  EXPECT_EQ(elb_error(Ec2Error::kInvalidParameterValue).code, "ValidationError");
  EXPECT_EQ(elb_error(Ec2Error::kUnauthorizedOperation).code, "AccessDenied");
}

// ---- the provider over a real Ec2Service ---------------------------------------

class Ec2ProviderTest : public ec2::testing::Ec2Test {
 protected:
  void SetUp() override {
    Ec2Test::SetUp();
    svc_shared_ = std::shared_ptr<ec2::Ec2Service>(svc_.get(), [](ec2::Ec2Service*) {});
    provider_ = std::make_unique<Ec2Provider>(svc_shared_);
    elb_ = std::make_unique<ElbProvider>(svc_shared_);
    root_.request_id = "req-1";
    root_.caller = ec2::testing::Root(ec2::testing::kAlice);
    root_.region = ec2::testing::kEast;
    user_ = root_;
    user_.caller = ec2::testing::User(ec2::testing::kAlice, "bob");
  }
  void TearDown() override {
    provider_.reset();
    elb_.reset();
    svc_shared_.reset();
    Ec2Test::TearDown();
  }

  json MustCall(std::string_view op, const json& input, const CallContext* ctx = nullptr) {
    auto r = provider_->Call(op, input, ctx ? *ctx : root_);
    EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    return r.ok() ? *r : json();
  }
  WireError CallError(Provider& p, std::string_view op, const json& input, const CallContext* ctx = nullptr) {
    auto r = p.Call(op, input, ctx ? *ctx : root_);
    EXPECT_FALSE(r.ok()) << op << " succeeded: " << (r.ok() ? r->dump() : "");
    return r.ok() ? WireError{} : p.MapError(r.status());
  }

  std::shared_ptr<ec2::Ec2Service> svc_shared_;
  std::unique_ptr<Ec2Provider> provider_;
  std::unique_ptr<ElbProvider> elb_;
  CallContext root_, user_;
};

TEST_F(Ec2ProviderTest, DryRunAfterAuthorization) {
  WireError dry = CallError(*provider_, "DescribeVolumes", json{{"DryRun", true}});
  EXPECT_EQ(dry.code, "DryRunOperation");
  EXPECT_EQ(dry.http_status, 412);
  EXPECT_EQ(dry.message, "Request would have succeeded, but DryRun flag is set.");
  WireError denied = CallError(*provider_, "DescribeVolumes", json{{"DryRun", true}}, &user_);
  EXPECT_EQ(denied.code, "UnauthorizedOperation");
  EXPECT_EQ(denied.http_status, 403);
  AllowActions(user_.caller, R"(["ec2:DescribeVolumes"])");
  EXPECT_EQ(CallError(*provider_, "DescribeVolumes", json{{"DryRun", true}}, &user_).code, "DryRunOperation");
  // Nothing was created by a dry run.
  WireError create = CallError(*provider_, "CreateVolume",
                               json{{"DryRun", true}, {"AvailabilityZone", "us-east-1a"}, {"Size", 1}});
  EXPECT_EQ(create.code, "DryRunOperation");
  EXPECT_TRUE(MustCall("DescribeVolumes", json::object())["Volumes"].empty());
}

TEST_F(Ec2ProviderTest, ElbDeniedIsAccessDenied) {
  WireError denied = CallError(*elb_, "DescribeLoadBalancers", json::object(), &user_);
  EXPECT_EQ(denied.code, "AccessDenied");
}

TEST_F(Ec2ProviderTest, CreateVolumeRoundTrip) {
  json created = MustCall("CreateVolume", json::parse(R"({"AvailabilityZone":"us-east-1a","Size":2,
      "TagSpecifications":[{"ResourceType":"volume","Tags":[{"Key":"Name","Value":"data"}]}]})"));
  ASSERT_TRUE(created.contains("VolumeId")) << created.dump();
  EXPECT_EQ(created["Size"], 2);
  EXPECT_EQ(created["Encrypted"], false);
  EXPECT_EQ(created["Tags"][0]["Value"], "data");
  WaitIdle();
  json described = MustCall("DescribeVolumes", json{{"VolumeIds", {created["VolumeId"]}}});
  ASSERT_EQ(described["Volumes"].size(), 1u);
  EXPECT_EQ(described["Volumes"][0]["State"], "available");
  WireError missing = CallError(*provider_, "DescribeVolumes", json{{"VolumeIds", {"vol-0123456789abcdef0"}}});
  EXPECT_EQ(missing.code, "InvalidVolume.NotFound");
  WireError no_tags = CallError(*provider_, "CreateVolume", json::parse(R"({"AvailabilityZone":"us-east-1a",
      "Size":2,"TagSpecifications":[{"ResourceType":"volume","Tags":[]}]})"));
  EXPECT_EQ(no_tags.code, "InvalidParameterValue");
}

TEST_F(Ec2ProviderTest, ModifyInstanceAttributeChangesOnlyDeleteOnTermination) {
  // Only what the provider reads is checked here; the domain's rules are in instances_test.cc.
  WireError other = CallError(*provider_, "ModifyInstanceAttribute",
                              json{{"InstanceId", "i-0123456789abcdef0"}, {"InstanceType", {{"Value", "t3.large"}}}});
  EXPECT_EQ(other.code, "UnsupportedOperation");
  WireError no_ebs = CallError(*provider_, "ModifyInstanceAttribute",
                               json::parse(R"({"InstanceId":"i-0123456789abcdef0",
                                   "BlockDeviceMappings":[{"DeviceName":"/dev/sdf"}]})"));
  EXPECT_EQ(no_ebs.code, "MissingParameter");
  WireError unknown = CallError(*provider_, "ModifyInstanceAttribute",
                                json::parse(R"({"InstanceId":"i-0123456789abcdef0",
                                    "BlockDeviceMappings":[{"DeviceName":"/dev/sdf",
                                                            "Ebs":{"DeleteOnTermination":true}}]})"));
  EXPECT_EQ(unknown.code, "InvalidInstanceID.NotFound");
}

TEST_F(Ec2ProviderTest, EveryServedOperationHasAHandler) {
  auto model = ServiceModel::Load("ec2");
  ASSERT_TRUE(model.ok());
  for (const std::string& op : (*model)->OperationNames()) {
    auto r = provider_->Call(op, json{{"DryRun", true}}, root_);
    ASSERT_FALSE(r.ok()) << op;
    EXPECT_EQ(provider_->MapError(r.status()).code, "DryRunOperation") << op << ": " << r.status().ToString();
  }
}

}  // namespace
}  // namespace kura::api
