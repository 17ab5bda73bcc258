#include "tools/retry_policy.h"

#include <gtest/gtest.h>

namespace kura::tools {
namespace {

AwsError Aws(int status, const char* code) {
  AwsError e;
  e.http_status = status;
  e.code = code;
  return e;
}

TEST(RetryPolicyTest, RetriesThrottlingServerErrorsAndConnectionFailuresOnly) {
  RetryPolicy p;
  EXPECT_TRUE(p.ShouldRetry(Aws(503, "RequestLimitExceeded"), 1));
  EXPECT_TRUE(p.ShouldRetry(Aws(400, "ThrottlingException"), 1));
  EXPECT_TRUE(p.ShouldRetry(Aws(400, "Throttling"), 1));
  EXPECT_TRUE(p.ShouldRetry(Aws(500, "InternalError"), 1));
  EXPECT_TRUE(p.ShouldRetry(Aws(502, "HTTP502"), 1));
  EXPECT_TRUE(p.ShouldRetry(Aws(503, "ServiceUnavailable"), 1));
  EXPECT_TRUE(p.ShouldRetry(AwsError::FromStatus(base::UnavailableError("connection refused")), 1));

  EXPECT_FALSE(p.ShouldRetry(Aws(403, "UnauthorizedOperation"), 1));
  EXPECT_FALSE(p.ShouldRetry(Aws(400, "AccessDeniedException"), 1));
  EXPECT_FALSE(p.ShouldRetry(Aws(400, "InvalidParameterValue"), 1));
  EXPECT_FALSE(p.ShouldRetry(Aws(400, "LimitExceededException"), 1));  // a quota, not a rate
  EXPECT_FALSE(p.ShouldRetry(AwsError::FromStatus(base::NotFoundError("no credentials")), 1));
  // Not for ever.
  EXPECT_TRUE(p.ShouldRetry(Aws(503, "RequestLimitExceeded"), p.max_attempts - 1));
  EXPECT_FALSE(p.ShouldRetry(Aws(503, "RequestLimitExceeded"), p.max_attempts));
}

TEST(RetryPolicyTest, CappedExponentialBackoffWithJitter) {
  RetryPolicy p;
  p.base_delay = std::chrono::milliseconds(100);
  p.max_delay = std::chrono::milliseconds(1000);
  EXPECT_EQ(p.Delay(1, 0.999999).count(), 99);
  EXPECT_EQ(p.Delay(2, 0.5).count(), 100);
  EXPECT_EQ(p.Delay(3, 0.5).count(), 200);
  EXPECT_EQ(p.Delay(10, 0.5).count(), 500);  // capped at 1000
  EXPECT_EQ(p.Delay(3, 0.0).count(), 0);
}

}  // namespace
}  // namespace kura::tools
