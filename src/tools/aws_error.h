// AwsError and AwsResult<T>: the outcome of a call to an AWS API, as a value.
// An error carries what AWS said — its error code ("UnauthorizedOperation",
// "AccessDeniedException"), message, HTTP status and request id — so that a
// tool can print it, branch on the code and quote the request id to support;
// failures with no HTTP answer (connection refused, TLS, timeouts) and local
// ones (no credentials, no region) have http_status 0 and a `local_code`.
// Thread-safety: plain values.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "base/status.h"

namespace kura::tools {

struct AwsError {
  std::string code;         // AWS's error code; empty when no AWS answer was read
  std::string message;
  int http_status = 0;      // 0: no HTTP response
  std::string request_id;   // x-amzn-RequestId / <RequestId> / <RequestID>; may be empty
  base::StatusCode local_code = base::StatusCode::kInternal;  // meaningful when code is empty

  // "UnauthorizedOperation: You are not authorized ... (HTTP 403, request id 1f2e...)".
  std::string ToString() const;
  bool Is(std::string_view aws_code) const { return code == aws_code; }

  // A failure before or outside AWS (credentials, configuration, transport).
  static AwsError FromStatus(const base::Status& status);
};

template <typename T>
class [[nodiscard]] AwsResult {
 public:
  AwsResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}       // NOLINT: implicit by design
  AwsResult(AwsError error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  const AwsError& error() const { return std::get<1>(v_); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, AwsError> v_;
};

// The value of an AwsResult with nothing to return.
struct Done {};
using AwsStatus = AwsResult<Done>;

}  // namespace kura::tools

// `KURA_AWS_ASSIGN_OR_RETURN(auto x, client.Call(...));` declares x or returns the AwsError.
#define KURA_AWS_ASSIGN_OR_RETURN(lhs, expr) \
  KURA_AWS_ASSIGN_OR_RETURN_IMPL(KURA_STATUS_CONCAT(kura_aws_result_, __LINE__), lhs, expr)
#define KURA_AWS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.error();                   \
  lhs = std::move(tmp).value()
// Returns the AwsError of `expr` (an AwsResult) from the enclosing function.
#define KURA_AWS_RETURN_IF_ERROR(expr)                  \
  do {                                                  \
    auto kura_aws_tmp_ = (expr);                        \
    if (!kura_aws_tmp_.ok()) return kura_aws_tmp_.error(); \
  } while (0)
