#include "tools/ce_api.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "tools/pagination.h"

namespace kura::tools {

namespace {

using nlohmann::json;

// "2026-11" -> "2026-12-01" (the exclusive end of the month).
std::string FirstOfNextMonth(int year, int month) {
  // Sized for any int, so the compiler can see nothing is cut.
  char text[32];
  std::snprintf(text, sizeof(text), "%04d-%02d-01", month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1);
  return text;
}

}  // namespace

AwsResult<MonthlyCost> GetMonthlyKmsCost(const AwsClient& aws, const std::string& month) {
  int year = 0, mon = 0;
  if (month.size() != 7 || std::sscanf(month.c_str(), "%4d-%2d", &year, &mon) != 2 || mon < 1 || mon > 12) {
    return AwsError::FromStatus(base::InvalidArgumentError("month '" + month + "' is not YYYY-MM"));
  }
  json input = {{"TimePeriod", {{"Start", month + "-01"}, {"End", FirstOfNextMonth(year, mon)}}},
                {"Granularity", "MONTHLY"},
                {"Metrics", {"UnblendedCost"}},
                {"Filter", {{"Dimensions", {{"Key", "SERVICE"}, {"Values", {kKmsCostServiceName}}}}}}};
  MonthlyCost cost{month, "0", "USD", false};
  std::string unit = "USD";
  KURA_AWS_RETURN_IF_ERROR(PaginateJson(aws, kCe, "GetCostAndUsage", input, kCePaging, [&](const json& page) {
    if (!page.contains("ResultsByTime") || !page["ResultsByTime"].is_array()) return;
    for (const auto& result : page["ResultsByTime"]) {
      const json metric = result.value("Total", json::object()).value("UnblendedCost", json::object());
      cost.amount = metric.value("Amount", "0");  // one month asked, one result
      unit = metric.value("Unit", unit);
      cost.estimated = cost.estimated || result.value("Estimated", false);
    }
  }));
  cost.unit = unit;
  return cost;
}

}  // namespace kura::tools
