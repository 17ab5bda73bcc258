#include "base/status.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>
#include <utility>

namespace kura::base {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(Status::Ok(), s);
}

TEST(StatusTest, ErrorConstructorsSetCodeAndMessage) {
  struct Case {
    Status status;
    StatusCode code;
    const char* name;
  };
  const Case cases[] = {
      {InvalidArgumentError("m"), StatusCode::kInvalidArgument, "InvalidArgument"},
      {OutOfRangeError("m"), StatusCode::kOutOfRange, "OutOfRange"},
      {NotFoundError("m"), StatusCode::kNotFound, "NotFound"},
      {AlreadyExistsError("m"), StatusCode::kAlreadyExists, "AlreadyExists"},
      {FailedPreconditionError("m"), StatusCode::kFailedPrecondition, "FailedPrecondition"},
      {PermissionDeniedError("m"), StatusCode::kPermissionDenied, "PermissionDenied"},
      {ResourceExhaustedError("m"), StatusCode::kResourceExhausted, "ResourceExhausted"},
      {DataLossError("m"), StatusCode::kDataLoss, "DataLoss"},
      {AbortedError("m"), StatusCode::kAborted, "Aborted"},
      {UnavailableError("m"), StatusCode::kUnavailable, "Unavailable"},
      {InternalError("m"), StatusCode::kInternal, "Internal"},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(c.status.ok()) << c.name;
    EXPECT_EQ(c.status.code(), c.code) << c.name;
    EXPECT_EQ(c.status.message(), "m") << c.name;
    EXPECT_EQ(StatusCodeName(c.code), c.name);
    EXPECT_EQ(c.status.ToString(), std::string(c.name) + ": m");
  }
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "OK");
}

TEST(StatusTest, ToStringFormatsCodeAndMessage) {
  EXPECT_EQ(NotFoundError("chunk 12 missing").ToString(), "NotFound: chunk 12 missing");
}

TEST(StatusTest, WithContextPrefixesMessage) {
  Status s = NotFoundError("chunk 12 missing").WithContext("reading volume v1");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "reading volume v1: chunk 12 missing");
  EXPECT_EQ(s.WithContext("outer").message(), "outer: reading volume v1: chunk 12 missing");
  EXPECT_TRUE(Status::Ok().WithContext("ignored").ok());
  EXPECT_EQ(Status::Ok().WithContext("ignored").message(), "");
}

TEST(StatusTest, Equality) {
  EXPECT_EQ(NotFoundError("a"), NotFoundError("a"));
  EXPECT_FALSE(NotFoundError("a") == NotFoundError("b"));
  EXPECT_FALSE(NotFoundError("a") == InternalError("a"));
  EXPECT_FALSE(Status::Ok() == InternalError(""));
}

TEST(StatusTest, ErrnoToStatus) {
  struct Case {
    int err;
    StatusCode code;
  };
  const Case cases[] = {
      {ENOSPC, StatusCode::kResourceExhausted}, {EDQUOT, StatusCode::kResourceExhausted},
      {ENOENT, StatusCode::kNotFound},          {EEXIST, StatusCode::kAlreadyExists},
      {EACCES, StatusCode::kPermissionDenied},  {EPERM, StatusCode::kPermissionDenied},
      {EINVAL, StatusCode::kInvalidArgument},   {EIO, StatusCode::kDataLoss},
      {EBADF, StatusCode::kInternal},           {EAGAIN, StatusCode::kInternal},
  };
  for (const auto& c : cases) {
    Status s = ErrnoToStatus(c.err, "open /x");
    EXPECT_EQ(s.code(), c.code) << c.err;
    EXPECT_EQ(s.message().rfind("open /x: ", 0), 0u) << s.message();
    EXPECT_GT(s.message().size(), std::string("open /x: ").size());
  }
  EXPECT_NE(ErrnoToStatus(ENOENT, "ctx").message().find("No such file"), std::string::npos);
}

TEST(ResultTest, HoldsValue) {
  Result<int> r(42);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 42);
  EXPECT_EQ(*r, 42);
  EXPECT_TRUE(r.status().ok());
  *r = 7;
  EXPECT_EQ(r.value(), 7);

  Result<std::string> s(std::string("hello"));
  EXPECT_EQ(s->size(), 5u);
}

TEST(ResultTest, HoldsError) {
  Result<int> r(NotFoundError("gone"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status(), NotFoundError("gone"));
}

TEST(ResultTest, MovesOutMoveOnlyValue) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 5);

  Result<std::unique_ptr<int>> r2(std::make_unique<int>(6));
  std::unique_ptr<int> q = *std::move(r2);
  EXPECT_EQ(*q, 6);
}

Status FailIf(bool fail) { return fail ? InternalError("boom") : Status::Ok(); }

Status Chain(bool fail, int* reached) {
  KURA_RETURN_IF_ERROR(FailIf(fail));
  *reached = 1;
  return Status::Ok();
}

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  KURA_ASSIGN_OR_RETURN(int half, Half(x));
  KURA_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(StatusMacrosTest, ReturnIfError) {
  int reached = 0;
  EXPECT_TRUE(Chain(false, &reached).ok());
  EXPECT_EQ(reached, 1);
  reached = 0;
  EXPECT_EQ(Chain(true, &reached), InternalError("boom"));
  EXPECT_EQ(reached, 0);
}

TEST(StatusMacrosTest, AssignOrReturn) {
  auto ok = Quarter(12);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
  auto first = Quarter(7);
  EXPECT_EQ(first.status(), InvalidArgumentError("odd"));
  auto second = Quarter(6);
  EXPECT_EQ(second.status(), InvalidArgumentError("odd"));
}

}  // namespace
}  // namespace kura::base
