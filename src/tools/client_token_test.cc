#include "tools/client_token.h"

#include <gtest/gtest.h>

namespace kura::tools {
namespace {

TEST(ClientTokenTest, RandomHexWithinEc2sLimit) {
  auto a = NewClientToken();
  auto b = NewClientToken();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_EQ(a->find_first_not_of("0123456789abcdef"), std::string::npos) << *a;
  EXPECT_NE(*a, *b);
}

}  // namespace
}  // namespace kura::tools
