#include "tools/aws_client.h"

#include <nlohmann/json.hpp>

#include <deque>

#include <gtest/gtest.h>

#include "tools/ec2_api.h"
#include "tools/kms_api.h"
#include "tools/pagination.h"
#include "tools/test_env.h"

namespace kura::tools {
namespace {

using nlohmann::json;
using testing::EnvOf;

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

std::string HeaderOf(const client::SignableRequest& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

class AwsClientTest : public ::testing::Test {
 protected:
  AwsClient Make(const std::string& region = "us-east-1", const std::string& endpoint = "http://127.0.0.1:8080") {
    AwsClientHooks hooks;
    hooks.transport = [this](const client::Endpoint& e, const client::SignableRequest& r)
        -> base::Result<client::HttpResult> {
      endpoints_.push_back(e);
      requests_.push_back(r);
      if (answers_.empty()) return base::InternalError("no answer scripted");
      auto next = std::move(answers_.front());
      answers_.pop_front();
      return next;
    };
    hooks.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    hooks.clock = [] { return int64_t{1795000000}; };
    hooks.random = [] { return 0.5; };
    auto aws = AwsClient::Create({endpoint, region, ""},
                                 EnvOf({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", kSecret}}),
                                 hooks);
    EXPECT_TRUE(aws.ok()) << aws.status().ToString();
    return std::move(aws).value();
  }
  void Answer(int status, std::string body) { answers_.push_back(client::HttpResult{status, {}, std::move(body)}); }
  void Fail() { answers_.push_back(base::UnavailableError("connection refused")); }

  std::deque<base::Result<client::HttpResult>> answers_;
  std::vector<client::Endpoint> endpoints_;
  std::vector<client::SignableRequest> requests_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(AwsClientTest, QueryRequestIsSignedForTheServiceAndRegion) {
  AwsClient aws = Make("ap-northeast-1");
  Answer(200, "<GetEbsEncryptionByDefaultResponse><requestId>r1</requestId>"
              "<ebsEncryptionByDefault>true</ebsEncryptionByDefault></GetEbsEncryptionByDefaultResponse>");
  auto on = GetEbsEncryptionByDefault(aws);
  ASSERT_TRUE(on.ok()) << on.error().ToString();
  EXPECT_TRUE(*on);
  ASSERT_EQ(requests_.size(), 1u);
  const auto& r = requests_[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(r.body, "Action=GetEbsEncryptionByDefault&Version=2016-11-15");
  EXPECT_EQ(HeaderOf(r, "Host"), "127.0.0.1:8080");
  EXPECT_NE(HeaderOf(r, "Authorization").find("Credential=AKIDEXAMPLE/20261118/ap-northeast-1/ec2/aws4_request"),
            std::string::npos);
  for (const auto& [name, value] : r.headers) EXPECT_EQ(value.find(kSecret), std::string::npos) << name;
  EXPECT_EQ(r.body.find(kSecret), std::string::npos);
}

TEST_F(AwsClientTest, JsonRequestCarriesTheTargetAndCostExplorerIsSignedInUsEast1) {
  AwsClient aws = Make("ap-northeast-1", "");
  Answer(200, R"({"ResultsByTime":[]})");
  auto out = aws.Json(kCe, "GetCostAndUsage", json{{"Granularity", "MONTHLY"}});
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(endpoints_[0].host, "ce.us-east-1.amazonaws.com");
  EXPECT_TRUE(endpoints_[0].tls);
  EXPECT_EQ(HeaderOf(requests_[0], "X-Amz-Target"), "AWSInsightsIndexService.GetCostAndUsage");
  EXPECT_EQ(HeaderOf(requests_[0], "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_NE(HeaderOf(requests_[0], "Authorization").find("/us-east-1/ce/aws4_request"), std::string::npos);
  EXPECT_EQ(json::parse(requests_[0].body), (json{{"Granularity", "MONTHLY"}}));
}

TEST_F(AwsClientTest, Ec2PagesFollowNextToken) {
  AwsClient aws = Make();
  Answer(200, "<DescribeVolumesResponse><volumeSet><item><volumeId>vol-1</volumeId><encrypted>false</encrypted>"
              "<size>8</size></item></volumeSet><nextToken>tok-2</nextToken></DescribeVolumesResponse>");
  Answer(200, "<DescribeVolumesResponse><volumeSet><item><volumeId>vol-2</volumeId><encrypted>true</encrypted>"
              "<kmsKeyId>arn:k</kmsKeyId><attachmentSet><item><instanceId>i-1</instanceId><device>/dev/sdf</device>"
              "</item></attachmentSet></item></volumeSet></DescribeVolumesResponse>");
  auto volumes = DescribeVolumes(aws);
  ASSERT_TRUE(volumes.ok()) << volumes.error().ToString();
  ASSERT_EQ(volumes->size(), 2u);
  EXPECT_EQ((*volumes)[0].volume_id, "vol-1");
  EXPECT_FALSE((*volumes)[0].encrypted);
  EXPECT_EQ((*volumes)[0].size_gib, 8);
  EXPECT_EQ((*volumes)[1].kms_key_id, "arn:k");
  EXPECT_EQ((*volumes)[1].attachments[0].device, "/dev/sdf");
  ASSERT_EQ(requests_.size(), 2u);
  EXPECT_EQ(requests_[0].body.find("NextToken"), std::string::npos);
  EXPECT_NE(requests_[1].body.find("&NextToken=tok-2"), std::string::npos);
}

TEST_F(AwsClientTest, KmsPagesFollowNextMarkerUntilNotTruncated) {
  AwsClient aws = Make();
  Answer(200, R"({"Aliases":[{"AliasName":"alias/aws/ebs","TargetKeyId":"k1"}],"NextMarker":"m2","Truncated":true})");
  Answer(200, R"({"Aliases":[{"AliasName":"alias/mine","TargetKeyId":"k2"}],"NextMarker":"m3","Truncated":false})");
  auto aliases = ListAliases(aws);
  ASSERT_TRUE(aliases.ok()) << aliases.error().ToString();
  ASSERT_EQ(aliases->size(), 2u);
  EXPECT_EQ((*aliases)[1].name, "alias/mine");
  ASSERT_EQ(requests_.size(), 2u);
  EXPECT_EQ(json::parse(requests_[1].body)["Marker"], "m2");
}

TEST_F(AwsClientTest, ARepeatedTokenStopsPagination) {
  AwsClient aws = Make();
  Answer(200, "<DescribeSnapshotsResponse><snapshotSet/><nextToken>same</nextToken></DescribeSnapshotsResponse>");
  Answer(200, "<DescribeSnapshotsResponse><snapshotSet/><nextToken>same</nextToken></DescribeSnapshotsResponse>");
  auto snapshots = DescribeOwnSnapshots(aws);
  ASSERT_FALSE(snapshots.ok());
  EXPECT_NE(snapshots.error().message.find("same page token twice"), std::string::npos);
  EXPECT_NE(requests_[0].body.find("Owner.1=self"), std::string::npos);
}

TEST_F(AwsClientTest, RetriesThrottlingAndConnectionFailuresWithBackoff) {
  AwsClient aws = Make();
  Answer(503, "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error>"
              "</Errors><RequestID>r1</RequestID></Response>");
  Fail();
  Answer(200, "<GetEbsDefaultKmsKeyIdResponse><kmsKeyId>arn:aws:kms:us-east-1:1:alias/aws/ebs</kmsKeyId>"
              "</GetEbsDefaultKmsKeyIdResponse>");
  auto key = GetEbsDefaultKmsKeyId(aws);
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  EXPECT_EQ(*key, "arn:aws:kms:us-east-1:1:alias/aws/ebs");
  EXPECT_EQ(requests_.size(), 3u);
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(50),
                                                              std::chrono::milliseconds(100)}));
  // Each attempt is signed afresh from the same request, so any ClientToken in it is sent unchanged.
  EXPECT_EQ(requests_[0].body, requests_[2].body);
}

TEST_F(AwsClientTest, FinalErrorsAreNotRetried) {
  AwsClient aws = Make();
  answers_.push_back(client::HttpResult{400, {{"x-amzn-RequestId", "req-9"}},
                                        R"({"__type":"NotFoundException","message":"Key 'k' does not exist"})"});
  auto key = DescribeKey(aws, "k");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, "NotFoundException");
  EXPECT_EQ(key.error().message, "Key 'k' does not exist");
  EXPECT_EQ(key.error().http_status, 400);
  EXPECT_EQ(key.error().request_id, "req-9");
  EXPECT_EQ(requests_.size(), 1u);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(AwsClientTest, GivesUpAfterMaxAttempts) {
  AwsClient aws = Make();
  for (int i = 0; i < RetryPolicy{}.max_attempts; ++i) Fail();
  auto on = GetEbsEncryptionByDefault(aws);
  ASSERT_FALSE(on.ok());
  EXPECT_EQ(on.error().local_code, base::StatusCode::kUnavailable);
  EXPECT_EQ(requests_.size(), static_cast<size_t>(RetryPolicy{}.max_attempts));
}

TEST(AwsClientCreateTest, NeedsARegionAndCredentials) {
  auto no_region = AwsClient::Create({"", "", ""}, EnvOf({{"HOME", "/nonexistent"}}));
  ASSERT_FALSE(no_region.ok());
  EXPECT_NE(no_region.status().message().find("--region"), std::string::npos);
  auto no_keys = AwsClient::Create({"", "us-east-1", ""}, EnvOf({{"HOME", "/nonexistent"}}));
  ASSERT_FALSE(no_keys.ok());
  EXPECT_EQ(no_keys.status().code(), base::StatusCode::kNotFound);
  auto bad_url = AwsClient::Create({"ftp://x", "us-east-1", ""},
                                   EnvOf({{"AWS_ACCESS_KEY_ID", "A"}, {"AWS_SECRET_ACCESS_KEY", "B"}}));
  EXPECT_EQ(bad_url.status().code(), base::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::tools
