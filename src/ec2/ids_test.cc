#include "ec2/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace kura::ec2 {
namespace {

TEST(IdsTest, NewIdsAreWellFormedAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewId("vol-");
    EXPECT_EQ(id.size(), 4u + 17u);
    EXPECT_TRUE(IsWellFormedId(id, "vol-")) << id;
    EXPECT_TRUE(seen.insert(id).second);
  }
}

TEST(IdsTest, WellFormed) {
  EXPECT_TRUE(IsWellFormedId("vol-1234abcd", "vol-"));  // pre-2016 form
  EXPECT_TRUE(IsWellFormedId("i-0123456789abcdef0", "i-"));
  EXPECT_FALSE(IsWellFormedId("vol-123", "vol-"));
  EXPECT_FALSE(IsWellFormedId("vol-0123456789ABCDEF0", "vol-"));
  EXPECT_FALSE(IsWellFormedId("snap-0123456789abcdef0", "vol-"));
  EXPECT_FALSE(IsWellFormedId("", "vol-"));
}

TEST(IdsTest, Addresses) {
  EXPECT_EQ(NewPrivateIp().rfind("10.0.", 0), 0u);
  const std::string pub = NewPublicIp();
  EXPECT_TRUE(pub.rfind("198.51.100.", 0) == 0 || pub.rfind("203.0.113.", 0) == 0) << pub;
}

}  // namespace
}  // namespace kura::ec2
