#include "tools/aws_config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "base/temp_dir.h"
#include "tools/test_env.h"

namespace kura::tools {
namespace {

using testing::EnvOf;

TEST(ResolveRegionTest, OptionThenEnvironmentThenProfile) {
  base::TempDir dir;
  const std::string config = dir.path() + "/config";
  std::ofstream(config) << "[default]\nregion = eu-west-1\n[profile tokyo]\nregion = ap-northeast-1\n";
  std::map<std::string, std::string> env = {{"AWS_CONFIG_FILE", config}, {"HOME", dir.path()}};

  EXPECT_EQ(*ResolveRegion({"", "", ""}, EnvOf(env)), "eu-west-1");
  EXPECT_EQ(*ResolveRegion({"", "", "tokyo"}, EnvOf(env)), "ap-northeast-1");
  env["AWS_PROFILE"] = "tokyo";
  EXPECT_EQ(*ResolveRegion({"", "", ""}, EnvOf(env)), "ap-northeast-1");
  env["AWS_DEFAULT_REGION"] = "us-west-2";
  EXPECT_EQ(*ResolveRegion({"", "", "tokyo"}, EnvOf(env)), "us-west-2");
  env["AWS_REGION"] = "us-east-2";
  EXPECT_EQ(*ResolveRegion({"", "", ""}, EnvOf(env)), "us-east-2");
  EXPECT_EQ(*ResolveRegion({"", "sa-east-1", ""}, EnvOf(env)), "sa-east-1");
}

TEST(ResolveRegionTest, NoRegionSaysHowToSetOne) {
  base::TempDir dir;
  auto r = ResolveRegion({"", "", "ops"}, EnvOf({{"HOME", dir.path()}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidArgument);
  for (const char* hint : {"--region", "AWS_REGION", "AWS_DEFAULT_REGION", "[ops]", "/.aws/config"}) {
    EXPECT_NE(r.status().message().find(hint), std::string::npos) << hint << " in " << r.status().message();
  }
}

TEST(EndpointTest, PublicEndpointsAndGlobalServices) {
  AwsOptions aws;
  EXPECT_EQ(EndpointUrl(kEc2, aws, "ap-northeast-1"), "https://ec2.ap-northeast-1.amazonaws.com");
  EXPECT_EQ(EndpointUrl(kKms, aws, "us-west-2"), "https://kms.us-west-2.amazonaws.com");
  EXPECT_EQ(EndpointUrl(kElb, aws, "us-west-2"), "https://elasticloadbalancing.us-west-2.amazonaws.com");
  EXPECT_EQ(EndpointUrl(kSts, aws, "eu-west-1"), "https://sts.eu-west-1.amazonaws.com");
  // Cost Explorer lives in us-east-1 only, whatever the caller's region.
  EXPECT_EQ(EndpointUrl(kCe, aws, "ap-northeast-1"), "https://ce.us-east-1.amazonaws.com");
  EXPECT_EQ(SigningRegion(kCe, "ap-northeast-1"), "us-east-1");
  EXPECT_EQ(SigningRegion(kEc2, "ap-northeast-1"), "ap-northeast-1");
  aws.endpoint_url = "http://127.0.0.1:8080";
  EXPECT_EQ(EndpointUrl(kEc2, aws, "us-east-1"), "http://127.0.0.1:8080");
  EXPECT_EQ(EndpointUrl(kCe, aws, "ap-northeast-1"), "http://127.0.0.1:8080");
}

}  // namespace
}  // namespace kura::tools
