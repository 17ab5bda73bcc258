#include "tools/retry_policy.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace kura::tools {

namespace {

// botocore's standard-mode throttling codes, less LimitExceededException:
// KMS and Cost Explorer use it for quotas (too many keys), which waiting does not lift.
constexpr std::array<std::string_view, 12> kThrottlingCodes = {
    "Throttling",           "ThrottlingException",  "ThrottledException",     "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "RequestThrottled",     "SlowDown",
    "EC2ThrottledException"};
constexpr std::array<std::string_view, 4> kTransientCodes = {"RequestTimeout", "RequestTimeoutException",
                                                             "PriorRequestNotComplete", "InternalError"};

bool Contains(const auto& codes, std::string_view code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

}  // namespace

bool IsThrottling(const AwsError& error) { return Contains(kThrottlingCodes, error.code); }

bool RetryPolicy::ShouldRetry(const AwsError& error, int attempt) const {
  if (attempt >= max_attempts) return false;
  if (error.http_status == 0) {
    // No HTTP answer: only a transport failure is transient, not a local mistake (no credentials).
    return error.code.empty() && error.local_code == base::StatusCode::kUnavailable;
  }
  if (IsThrottling(error) || Contains(kTransientCodes, error.code)) return true;
  return error.http_status == 500 || error.http_status == 502 || error.http_status == 503 ||
         error.http_status == 504;
}

std::chrono::milliseconds RetryPolicy::Delay(int attempt, double unit_random) const {
  const int shift = std::clamp(attempt - 1, 0, 30);
  const double ceiling =
      std::min(static_cast<double>(max_delay.count()), static_cast<double>(base_delay.count()) * (1LL << shift));
  return std::chrono::milliseconds(static_cast<int64_t>(ceiling * std::clamp(unit_random, 0.0, 1.0)));
}

}  // namespace kura::tools
