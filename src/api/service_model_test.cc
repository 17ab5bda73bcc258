#include "api/service_model.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "api/models/embedded_models.h"

namespace kura::api {
namespace {

std::shared_ptr<const ServiceModel> MustLoad(std::string_view service) {
  auto model = ServiceModel::Load(service);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : nullptr;
}

TEST(EmbeddedModelTest, AllServicesEmbedded) {
  for (const char* service : {"kms", "iam", "sts", "ec2", "elb"}) {
    std::string_view text = EmbeddedModel(service);
    ASSERT_FALSE(text.empty()) << service;
    EXPECT_EQ(text.front(), '{') << service;
    EXPECT_EQ(text.back(), '}') << service;
  }
  EXPECT_TRUE(EmbeddedModel("s3").empty());
}

TEST(ServiceModelTest, UnknownServiceIsNotFound) {
  auto model = ServiceModel::Load("s3");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), base::StatusCode::kNotFound);
}

TEST(ServiceModelTest, LoadReturnsSameInstance) {
  auto a = MustLoad("kms");
  auto b = MustLoad("kms");
  EXPECT_EQ(a.get(), b.get());
}

TEST(ServiceModelTest, KmsMetadata) {
  auto kms = MustLoad("kms");
  ASSERT_NE(kms, nullptr);
  EXPECT_EQ(kms->service(), "kms");
  EXPECT_EQ(kms->protocol(), Protocol::kJson);
  EXPECT_EQ(kms->api_version(), "2014-11-01");
  EXPECT_EQ(kms->target_prefix(), "TrentService");
  EXPECT_EQ(kms->json_version(), "1.1");
  EXPECT_EQ(kms->signing_name(), "kms");
  // Pruned to the .ops list (RotateKeyOnDemand is not in botocore 1.29).
  EXPECT_EQ(kms->OperationNames().size(), 32u);
  EXPECT_NE(kms->FindOperation("CreateGrant"), nullptr);
  EXPECT_EQ(kms->FindOperation("ImportKeyMaterial"), nullptr);
  EXPECT_EQ(kms->FindOperation("RotateKeyOnDemand"), nullptr);
}

TEST(ServiceModelTest, KmsShapesResolved) {
  auto kms = MustLoad("kms");
  ASSERT_NE(kms, nullptr);
  const Operation* encrypt = kms->FindOperation("Encrypt");
  ASSERT_NE(encrypt, nullptr);
  ASSERT_NE(encrypt->input, nullptr);
  ASSERT_NE(encrypt->output, nullptr);
  EXPECT_EQ(encrypt->input->name, "EncryptRequest");
  const Member* key_id = encrypt->input->FindMember("KeyId");
  ASSERT_NE(key_id, nullptr);
  EXPECT_TRUE(key_id->required);
  EXPECT_EQ(key_id->shape->type, Shape::Type::kString);
  EXPECT_EQ(key_id->shape->min, 1);
  EXPECT_EQ(key_id->shape->max, 2048);
  const Member* plaintext = encrypt->input->FindMember("Plaintext");
  ASSERT_NE(plaintext, nullptr);
  EXPECT_EQ(plaintext->shape->type, Shape::Type::kBlob);
  EXPECT_TRUE(plaintext->shape->sensitive);
  const Member* context = encrypt->input->FindMember("EncryptionContext");
  ASSERT_NE(context, nullptr);
  EXPECT_FALSE(context->required);
  EXPECT_EQ(context->shape->type, Shape::Type::kMap);
  EXPECT_EQ(context->shape->value.shape->type, Shape::Type::kString);
  const Member* tokens = encrypt->input->FindMember("GrantTokens");
  ASSERT_NE(tokens, nullptr);
  EXPECT_EQ(tokens->shape->type, Shape::Type::kList);
  EXPECT_EQ(tokens->shape->member.shape->type, Shape::Type::kString);
  // Members keep model order.
  EXPECT_EQ(encrypt->input->members.front().name, "KeyId");

  const Shape* spec = kms->FindShape("KeySpec");
  ASSERT_NE(spec, nullptr);
  EXPECT_NE(std::find(spec->enum_values.begin(), spec->enum_values.end(), "SYMMETRIC_DEFAULT"), spec->enum_values.end());
}

TEST(ServiceModelTest, KmsErrors) {
  auto kms = MustLoad("kms");
  ASSERT_NE(kms, nullptr);
  const Shape* not_found = kms->FindShape("NotFoundException");
  ASSERT_NE(not_found, nullptr);
  EXPECT_TRUE(not_found->is_exception);
  EXPECT_EQ(not_found->error_code, "NotFoundException");
  EXPECT_EQ(not_found->http_status, 400);
  EXPECT_TRUE(not_found->sender_fault);
  const Shape* internal = kms->FindShape("KMSInternalException");
  ASSERT_NE(internal, nullptr);
  EXPECT_FALSE(internal->sender_fault);
  EXPECT_EQ(internal->http_status, 500);
  const Operation* decrypt = kms->FindOperation("Decrypt");
  ASSERT_NE(decrypt, nullptr);
  EXPECT_NE(std::find(decrypt->errors.begin(), decrypt->errors.end(), kms->FindShape("InvalidCiphertextException")),
            decrypt->errors.end());
}

TEST(ServiceModelTest, IamQueryModel) {
  auto iam = MustLoad("iam");
  ASSERT_NE(iam, nullptr);
  EXPECT_EQ(iam->protocol(), Protocol::kQuery);
  EXPECT_EQ(iam->api_version(), "2010-05-08");
  EXPECT_EQ(iam->xml_namespace(), "https://iam.amazonaws.com/doc/2010-05-08/");
  EXPECT_EQ(iam->OperationNames().size(), 11u);
  const Operation* create = iam->FindOperation("CreateUser");
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->result_wrapper, "CreateUserResult");
  const Operation* del = iam->FindOperation("DeleteUser");
  ASSERT_NE(del, nullptr);
  EXPECT_EQ(del->output, nullptr);
  const Shape* no_such = iam->FindShape("NoSuchEntityException");
  ASSERT_NE(no_such, nullptr);
  EXPECT_EQ(no_such->error_code, "NoSuchEntity");
  EXPECT_EQ(no_such->http_status, 404);
  EXPECT_TRUE(no_such->sender_fault);
  const Shape* failure = iam->FindShape("ServiceFailureException");
  ASSERT_NE(failure, nullptr);
  EXPECT_EQ(failure->http_status, 500);
  EXPECT_FALSE(failure->sender_fault);
}

TEST(ServiceModelTest, StsAndElb) {
  auto sts = MustLoad("sts");
  ASSERT_NE(sts, nullptr);
  EXPECT_EQ(sts->protocol(), Protocol::kQuery);
  EXPECT_EQ(sts->xml_namespace(), "https://sts.amazonaws.com/doc/2011-06-15/");
  ASSERT_EQ(sts->OperationNames(), std::vector<std::string>{"GetCallerIdentity"});
  EXPECT_EQ(sts->FindOperation("GetCallerIdentity")->result_wrapper, "GetCallerIdentityResult");

  auto elb = MustLoad("elb");
  ASSERT_NE(elb, nullptr);
  EXPECT_EQ(elb->protocol(), Protocol::kQuery);
  EXPECT_EQ(elb->signing_name(), "elasticloadbalancing");
  EXPECT_EQ(elb->xml_namespace(), "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/");
  const Shape* not_found = elb->FindShape("AccessPointNotFoundException");
  ASSERT_NE(not_found, nullptr);
  EXPECT_EQ(not_found->error_code, "LoadBalancerNotFound");
  const Shape* invalid_config = elb->FindShape("InvalidConfigurationRequestException");
  ASSERT_NE(invalid_config, nullptr);
  EXPECT_EQ(invalid_config->http_status, 409);
}

TEST(ServiceModelTest, Ec2Model) {
  auto ec2 = MustLoad("ec2");
  ASSERT_NE(ec2, nullptr);
  EXPECT_EQ(ec2->protocol(), Protocol::kEc2);
  EXPECT_EQ(ec2->api_version(), "2016-11-15");
  // The model spells it without the trailing slash; AWS sends it with one.
  EXPECT_EQ(ec2->xml_namespace(), "http://ec2.amazonaws.com/doc/2016-11-15/");
  EXPECT_EQ(ec2->OperationNames().size(), 48u);
  const Operation* describe = ec2->FindOperation("DescribeVolumes");
  ASSERT_NE(describe, nullptr);
  const Member* ids = describe->input->FindMember("VolumeIds");
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(ids->location_name, "VolumeId");
  const Member* filters = describe->input->FindMember("Filters");
  ASSERT_NE(filters, nullptr);
  EXPECT_EQ(filters->location_name, "Filter");
  const Member* volumes = describe->output->FindMember("Volumes");
  ASSERT_NE(volumes, nullptr);
  EXPECT_EQ(volumes->location_name, "volumeSet");
  EXPECT_EQ(volumes->shape->member.location_name, "item");

  const Operation* run = ec2->FindOperation("RunInstances");
  ASSERT_NE(run, nullptr);
  EXPECT_TRUE(run->input->FindMember("MinCount")->required);
  EXPECT_TRUE(run->input->FindMember("ClientToken")->idempotency_token);
  // queryName beats locationName on the EC2 wire.
  const Shape* nic = ec2->FindShape("InstanceNetworkInterfaceSpecification");
  ASSERT_NE(nic, nullptr);
  const Member* ipv6 = nic->FindMember("Ipv6Addresses");
  ASSERT_NE(ipv6, nullptr);
  EXPECT_EQ(ipv6->query_name, "Ipv6Addresses");
  EXPECT_EQ(ipv6->location_name, "ipv6AddressesSet");
  // A shape-level locationName applies when the reference has none.
  const Operation* types = ec2->FindOperation("DescribeInstanceTypes");
  ASSERT_NE(types, nullptr);
  EXPECT_EQ(types->input->FindMember("InstanceTypes")->location_name, "InstanceType");
}

}  // namespace
}  // namespace kura::api
