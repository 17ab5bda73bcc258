// Status and Result<T>: errors travel as values across every module boundary.
// A Status is a code plus a human message naming what is wrong; Result<T> holds
// either a value or a non-OK Status. Both are [[nodiscard]].
// Thread-safety: plain values; safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kura::base {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller asked for something malformed
  kOutOfRange,          // offset/length/size outside what is allowed
  kNotFound,            // the named thing does not exist
  kAlreadyExists,       // the named thing exists already
  kFailedPrecondition,  // the system is not in a state that allows this
  kPermissionDenied,    // wrong key or not allowed
  kResourceExhausted,   // disk full, too many of something
  kDataLoss,            // stored data is missing or corrupt
  kAborted,             // concurrency conflict; retry may succeed
  kUnavailable,         // transient failure of a dependency
  kInternal,            // a bug or an unexpected library failure
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // `detail` is a layer's own finer error kind (an enum value of that layer,
  // e.g. kms::KmsError), which the API layer maps to the wire error code.
  Status(StatusCode code, int detail, std::string message)
      : code_(code), detail_(detail), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  int detail() const { return detail_; }
  const std::string& message() const { return message_; }
  // "NotFound: chunk 12 missing"; "OK" for success.
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.detail_ == b.detail_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  int detail_ = 0;
  std::string message_;
};

Status InvalidArgumentError(std::string message);
Status OutOfRangeError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status FailedPreconditionError(std::string message);
Status PermissionDeniedError(std::string message);
Status ResourceExhaustedError(std::string message);
Status DataLossError(std::string message);
Status AbortedError(std::string message);
Status UnavailableError(std::string message);
Status InternalError(std::string message);

// Maps an errno value to a Status: ENOSPC/EDQUOT -> ResourceExhausted,
// ENOENT -> NotFound, EEXIST -> AlreadyExists, EACCES/EPERM -> PermissionDenied,
// EINVAL -> InvalidArgument, EIO -> DataLoss, others -> Internal.
Status ErrnoToStatus(int err, std::string_view context);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "Result constructed from an OK status without a value");
    if (status_.ok()) status_ = InternalError("Result constructed from OK status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace kura::base

#define KURA_STATUS_CONCAT_INNER(a, b) a##b
#define KURA_STATUS_CONCAT(a, b) KURA_STATUS_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define KURA_RETURN_IF_ERROR(expr)                        \
  do {                                                    \
    ::kura::base::Status kura_status_tmp_ = (expr);       \
    if (!kura_status_tmp_.ok()) return kura_status_tmp_;  \
  } while (0)

// `KURA_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result or returns its Status.
#define KURA_ASSIGN_OR_RETURN(lhs, expr) \
  KURA_ASSIGN_OR_RETURN_IMPL(KURA_STATUS_CONCAT(kura_result_, __LINE__), lhs, expr)
#define KURA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
