#include "env/open_file_limit.h"

#include <sys/resource.h>

#include <gtest/gtest.h>

namespace kura::env {
namespace {

TEST(OpenFileLimitTest, RaisesTheSoftLimitToTheHardLimit) {
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  rlimit lowered = before;
  lowered.rlim_cur = before.rlim_max == RLIM_INFINITY || before.rlim_max > 256 ? 256 : before.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);

  const size_t reported = RaiseOpenFileLimit();

  rlimit after{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, after.rlim_max);
  if (after.rlim_cur != RLIM_INFINITY) {
    EXPECT_EQ(reported, after.rlim_cur);
  }
  EXPECT_GE(reported, static_cast<size_t>(lowered.rlim_cur));
}

}  // namespace
}  // namespace kura::env
