// RetryPolicy: which failed calls are worth repeating and how long to wait,
// after botocore's "standard" retry mode: throttling codes, transient codes,
// HTTP 500/502/503/504 and failures with no HTTP answer (connection refused or
// reset, timeouts) are retried with capped exponential backoff and full
// jitter; everything else (validation, access denied, not found) is final,
// since repeating it cannot change the answer. Calls that create things stay
// safe to repeat because the caller's ClientToken is sent again unchanged.
// Thread-safety: a policy is an immutable value; Delay takes its randomness
// from the caller.
#pragma once

#include <chrono>

#include "tools/aws_error.h"

namespace kura::tools {

struct RetryPolicy {
  int max_attempts = 5;  // the first call included
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{20000};

  // `attempt` counts from 1 (the call that just failed).
  bool ShouldRetry(const AwsError& error, int attempt) const;
  // The wait before attempt `attempt + 1`: uniform in [0, min(max, base * 2^(attempt-1))];
  // `unit_random` in [0, 1).
  std::chrono::milliseconds Delay(int attempt, double unit_random) const;
};

// Throttling answers (RequestLimitExceeded, ThrottlingException, ...).
bool IsThrottling(const AwsError& error);

}  // namespace kura::tools
