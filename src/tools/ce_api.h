// Typed Cost Explorer calls (JSON 1.1, AWSInsightsIndexService; global, in
// us-east-1) for the tools: the KMS cost of one calendar month, as
// GetCostAndUsage reports it (Granularity MONTHLY, UnblendedCost, filtered on
// SERVICE = "AWS Key Management Service"). On AWS each call costs $0.01.
// Thread-safety: as AwsClient.
#pragma once

#include <string>

#include "tools/aws_client.h"

namespace kura::tools {

inline constexpr char kKmsCostServiceName[] = "AWS Key Management Service";

struct MonthlyCost {
  std::string month;   // "2026-11"
  std::string amount;  // as AWS writes it ("1.0322580645")
  std::string unit;    // "USD"
  bool estimated = false;
};

// `month` "YYYY-MM"; InvalidArgument-like AwsError (no code) when malformed.
AwsResult<MonthlyCost> GetMonthlyKmsCost(const AwsClient& aws, const std::string& month);

}  // namespace kura::tools
