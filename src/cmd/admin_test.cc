#include "cmd/admin.h"
#include "base/temp_dir.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cmd/services.h"
#include "kms/meter.h"

namespace kura::cmd {
namespace {

using base::TempDir;

using nlohmann::json;


CostOptions Cost(std::string data_dir, std::string account, std::string month) {
  CostOptions options;
  options.data_dir = std::move(data_dir);
  options.account = std::move(account);
  options.month = std::move(month);
  return options;
}

TEST(ParseIso8601Test, DatesAndDateTimes) {
  EXPECT_EQ(*ParseIso8601("2025-01-01"), 1735689600);
  EXPECT_EQ(*ParseIso8601("2025-01-01T00:00:01Z"), 1735689601);
  EXPECT_EQ(*ParseIso8601("2025-01-01T09:00:00+09:00"), 1735689600);
  EXPECT_EQ(*ParseIso8601("2024-12-31T19:00:00-0500"), 1735689600);
  EXPECT_EQ(*ParseIso8601("2025-01-01T00:00:00.123Z"), 1735689600);
  EXPECT_EQ(*ParseIso8601("2025-01-01 00:01"), 1735689660);
  for (const char* bad : {"", "2025", "2025-13-01", "2025-02-30", "2025-01-01T25:00:00Z", "2025-01-01T00:00:00+1",
                          "yesterday", "2025-01-01T00:00:00.Z"}) {
    EXPECT_FALSE(ParseIso8601(bad).ok()) << bad;
  }
}

TEST(AdminAuditTest, FiltersAndLimits) {
  TempDir dir;
  std::ofstream(dir.path() + "/audit.log")
      << R"({"time":100,"account":"111111111111","operation":"CreateKey","keyArn":"arn:aws:kms:us-east-1:111111111111:key/a","result":"Ok"})"
      << "\n"
      << R"({"time":200,"account":"222222222222","operation":"Encrypt","keyArn":"arn:aws:kms:us-east-1:111111111111:key/a","result":"Ok"})"
      << "\n"
      << R"({"time":300,"account":"222222222222","operation":"Encrypt","result":"AccessDenied"})"
      << "\n"
      << R"({"time":400,"account":"111111111111","operation":"Decr)";  // being written
  auto run = [&](std::string account, std::string operation, std::string since, int64_t limit) {
    AuditOptions options;
    options.data_dir = dir.path();
    options.account = account;
    options.operation = operation;
    options.since = since;
    options.limit = limit;
    std::ostringstream out, err;
    EXPECT_EQ(AdminAudit(options, out, err), 0) << err.str();
    std::vector<json> lines;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
    return lines;
  };
  EXPECT_EQ(run("", "", "", 0).size(), 3u);
  // An account sees its own calls and the calls on its keys.
  EXPECT_EQ(run("111111111111", "", "", 0).size(), 2u);
  EXPECT_EQ(run("222222222222", "", "", 0).size(), 2u);
  EXPECT_EQ(run("", "Encrypt", "", 0).size(), 2u);
  auto since = run("", "", "1970-01-01T00:03:20Z", 0);
  ASSERT_EQ(since.size(), 2u);
  EXPECT_EQ(since[0]["time"], 200);
  auto last = run("", "", "", 1);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0]["time"], 300);

  std::ostringstream out, err;
  AuditOptions nowhere;
  nowhere.data_dir = dir.path() + "/nowhere";
  EXPECT_EQ(AdminAudit(nowhere, out, err), 1);
  AuditOptions soon;
  soon.data_dir = dir.path();
  soon.since = "soon";
  EXPECT_EQ(AdminAudit(soon, out, err), 1);
}

TEST(AdminCostTest, NeedsAnExistingInstallationAndCreatesNothing) {
  TempDir dir;
  std::ostringstream out, err;
  EXPECT_EQ(AdminCost(Cost(dir.path(), "111111111111", "2025-01"), out, err), 1);
  EXPECT_NE(err.str().find("metadata"), std::string::npos) << err.str();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(AdminCostTest, PrintsTheBillFromTheDataDirectory) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  const std::string account = "111111111111";
  std::string month;
  {
    ServicesOptions options;
    options.data_dir = data;
    auto services = OpenServices(options);
    ASSERT_TRUE(services.ok()) << services.status().ToString();
    ASSERT_TRUE(services->identities->CreateAccount(account, "bootstrap").ok());
    iam::Principal root{account, iam::AccountRootArn(account), account, ""};
    auto key = services->kms->CreateKey(kms::Caller::Direct(root, "us-east-1"), {});
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    ASSERT_TRUE(services->kms->FlushMeter().ok());
    month = kms::MonthOf(std::time(nullptr));
  }
  std::ostringstream out, err;
  ASSERT_EQ(AdminCost(Cost(data, account, month), out, err), 0) << err.str();
  json bill = json::parse(out.str());
  EXPECT_EQ(bill["AccountId"], account);
  EXPECT_EQ(bill["Month"], month);
  EXPECT_GT(bill["KeyMonths"].get<double>(), 0);
  EXPECT_EQ(bill["Requests"], 1);
  EXPECT_EQ(bill["Regions"][0]["Region"], "us-east-1");

  std::ostringstream out2, err2;
  EXPECT_EQ(AdminCost(Cost(data, "999999999999", month), out2, err2), 1);
  EXPECT_EQ(AdminCost(Cost(data, account, "2025-13"), out2, err2), 1);
}

}  // namespace
}  // namespace kura::cmd
