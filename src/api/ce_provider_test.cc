#include "api/ce_provider.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/service_model.h"
#include "iam/policy.h"

namespace kura::api {
namespace {

using nlohmann::json;

constexpr char kAccount[] = "111122223333";
constexpr int64_t kNow = 1795000000;  // 2026-11-18T...Z

class CeProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto bills = [this](const std::string& account, const std::string& month) -> base::Result<kms::Bill> {
      asked_.push_back(account + " " + month);
      kms::Bill bill;
      bill.account_id = account;
      bill.month = month;
      bill.requests = month == "2026-11" ? 25000 : 10;
      bill.key_months = month == "2026-11" ? 2.5 : 1;
      bill.total_usd = month == "2026-11" ? 2.515 : 1;
      return bill;
    };
    auto policies = [this](const iam::Principal&)
        -> base::Result<std::vector<std::shared_ptr<const iam::PolicyDocument>>> { return policies_; };
    provider_ = std::make_unique<CeProvider>(bills, policies);
    root_.caller = iam::Principal{kAccount, iam::AccountRootArn(kAccount), kAccount, ""};
    root_.region = "us-east-1";
    root_.now = kNow;
    user_ = root_;
    user_.caller = iam::Principal{kAccount, "arn:aws:iam::111122223333:user/alice", "AIDAALICE", "alice"};
  }

  // The request as the aws CLI sends it, through the model's decoder.
  json Decode(const std::string& body) {
    auto model = ServiceModel::Load("ce");
    EXPECT_TRUE(model.ok()) << model.status().ToString();
    const Operation* op = (*model)->FindOperation("GetCostAndUsage");
    EXPECT_NE(op, nullptr);
    auto doc = DecodeJsonRequest(*op, body);
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    return doc.ok() ? *doc : json();
  }
  static json Month(const char* start, const char* end) {
    return {{"TimePeriod", {{"Start", start}, {"End", end}}}, {"Granularity", "MONTHLY"},
            {"Metrics", {"UnblendedCost"}}};
  }
  WireError CallError(const json& input, const CallContext& ctx) {
    auto r = provider_->Call("GetCostAndUsage", input, ctx);
    EXPECT_FALSE(r.ok());
    return r.ok() ? WireError{} : provider_->MapError(r.status());
  }

  std::unique_ptr<CeProvider> provider_;
  std::vector<std::shared_ptr<const iam::PolicyDocument>> policies_;
  std::vector<std::string> asked_;
  CallContext root_, user_;
};

TEST_F(CeProviderTest, MonthlyKmsCostForTheCallersAccount) {
  json input = Decode(R"({"TimePeriod":{"Start":"2026-10-01","End":"2026-12-01"},"Granularity":"MONTHLY",
                          "Metrics":["UnblendedCost","UsageQuantity"]})");
  auto out = provider_->Call("GetCostAndUsage", input, root_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(asked_, (std::vector<std::string>{"111122223333 2026-10", "111122223333 2026-11"}));
  const json& months = (*out)["ResultsByTime"];
  ASSERT_EQ(months.size(), 2u);
  EXPECT_EQ(months[0]["TimePeriod"], (json{{"Start", "2026-10-01"}, {"End", "2026-11-01"}}));
  EXPECT_EQ(months[0]["Total"]["UnblendedCost"], (json{{"Amount", "1"}, {"Unit", "USD"}}));
  EXPECT_EQ(months[0]["Estimated"], false);
  EXPECT_EQ(months[1]["Total"]["UnblendedCost"]["Amount"], "2.515");
  EXPECT_EQ(months[1]["Total"]["UsageQuantity"], (json{{"Amount", "25002.5"}, {"Unit", "N/A"}}));
  EXPECT_EQ(months[1]["Estimated"], true);  // November 2026 is not over at kNow

  auto model = ServiceModel::Load("ce");
  ASSERT_TRUE(model.ok());
  std::string body = EncodeJsonResponse(*(*model)->FindOperation("GetCostAndUsage"), *out);
  json wire = json::parse(body);
  EXPECT_EQ(wire["ResultsByTime"][1]["Total"]["UnblendedCost"]["Amount"], "2.515");
}

TEST_F(CeProviderTest, FilterAndGroupByService) {
  json kms = Month("2026-11-01", "2026-12-01");
  kms["Filter"] = {{"Dimensions", {{"Key", "SERVICE"}, {"Values", {kCeKmsServiceName}}}}};
  kms["GroupBy"] = json::array({{{"Type", "DIMENSION"}, {"Key", "SERVICE"}}});
  auto out = provider_->Call("GetCostAndUsage", kms, root_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const json& month = (*out)["ResultsByTime"][0];
  EXPECT_TRUE(month["Total"].empty());
  ASSERT_EQ(month["Groups"].size(), 1u);
  EXPECT_EQ(month["Groups"][0]["Keys"], json::array({kCeKmsServiceName}));
  EXPECT_EQ(month["Groups"][0]["Metrics"]["UnblendedCost"]["Amount"], "2.515");
  EXPECT_EQ((*out)["GroupDefinitions"][0]["Key"], "SERVICE");

  json other = Month("2026-11-01", "2026-12-01");
  other["Filter"] = {{"Dimensions", {{"Key", "SERVICE"}, {"Values", {"Amazon Elastic Compute Cloud - Compute"}}}}};
  asked_.clear();
  out = provider_->Call("GetCostAndUsage", other, root_);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(asked_.empty());  // nothing but KMS has a cost here
  EXPECT_EQ((*out)["ResultsByTime"][0]["Total"]["UnblendedCost"]["Amount"], "0");
}

TEST_F(CeProviderTest, ValidationErrors) {
  struct Case {
    json input;
    std::string fragment;
  };
  json daily = Month("2026-11-01", "2026-12-01");
  daily["Granularity"] = "DAILY";
  json amortized = Month("2026-11-01", "2026-12-01");
  amortized["Metrics"] = {"AmortizedCost"};
  json bogus = Month("2026-11-01", "2026-12-01");
  bogus["Metrics"] = {"Bogus"};
  json region = Month("2026-11-01", "2026-12-01");
  region["Filter"] = {{"Dimensions", {{"Key", "REGION"}, {"Values", {"us-east-1"}}}}};
  json tags = Month("2026-11-01", "2026-12-01");
  tags["Filter"] = {{"Tags", {{"Key", "team"}}}};
  json group = Month("2026-11-01", "2026-12-01");
  group["GroupBy"] = json::array({{{"Type", "TAG"}, {"Key", "team"}}});
  for (const auto& c : std::vector<Case>{
           {Month("2026-12-01", "2026-11-01"), "before end date"},
           {Month("2026-11-01", "2026-11-01"), "before end date"},
           {Month("2027-01-01", "2027-02-01"), "no later than the current date"},
           {Month("2026-11-05", "2026-12-01"), "first days of months"},
           {Month("2026-11-01", "2026-11-20"), "first days of months"},
           {Month("2026-13-01", "2027-01-01"), "YYYY-MM-DD"},
           {Month("2026-11-01T00:00:00Z", "2026-12-01"), "YYYY-MM-DD"},
           {daily, "MONTHLY only"},
           {amortized, "not supported"},
           {bogus, "not a valid metric"},
           {region, "SERVICE only"},
           {tags, "Filter.Tags"},
           {group, "DIMENSION SERVICE only"},
       }) {
    WireError e = CallError(c.input, root_);
    EXPECT_EQ(e.code, "ValidationException") << c.input.dump();
    EXPECT_EQ(e.http_status, 400);
    EXPECT_NE(e.message.find(c.fragment), std::string::npos) << e.message;
  }
  json paged = Month("2026-11-01", "2026-12-01");
  paged["NextPageToken"] = "abc";
  EXPECT_EQ(CallError(paged, root_).code, "InvalidNextTokenException");
  auto unknown = provider_->Call("GetDimensionValues", json::object(), root_);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(provider_->MapError(unknown.status()).code, "UnknownOperationException");
}

TEST_F(CeProviderTest, UsersNeedCeGetCostAndUsage) {
  WireError denied = CallError(Month("2026-11-01", "2026-12-01"), user_);
  EXPECT_EQ(denied.code, "AccessDeniedException");
  EXPECT_NE(denied.message.find("ce:GetCostAndUsage"), std::string::npos);
  EXPECT_NE(denied.message.find("arn:aws:iam::111122223333:user/alice"), std::string::npos);

  auto allow = iam::PolicyDocument::Parse(
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ce:GetCostAndUsage","Resource":"*"}]})",
      iam::PolicyKind::kIdentity);
  ASSERT_TRUE(allow.ok()) << allow.status().ToString();
  policies_ = {std::make_shared<const iam::PolicyDocument>(std::move(allow).value())};
  EXPECT_TRUE(provider_->Call("GetCostAndUsage", Month("2026-11-01", "2026-12-01"), user_).ok());
}

}  // namespace
}  // namespace kura::api
