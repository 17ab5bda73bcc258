#include "base/wildcard.h"

#include <string>

#include <gtest/gtest.h>

namespace kura::base {
namespace {

// Moved here with the matcher from ec2/filters_test.cc.
TEST(WildcardTest, Matches) {
  EXPECT_TRUE(WildcardMatch("vol-*", "vol-0123"));
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("a?c", "abc"));
  EXPECT_TRUE(WildcardMatch("*b*d", "abcbd"));
  EXPECT_FALSE(WildcardMatch("a?c", "ac"));
  EXPECT_FALSE(WildcardMatch("vol-*", "snap-1"));
  EXPECT_FALSE(WildcardMatch("Web", "web"));  // case-sensitive unless asked, as EC2
  EXPECT_TRUE(WildcardMatch(std::string(200, '*') + "x", std::string(10000, 'a') + "x"));
}

TEST(WildcardTest, FoldsCaseForPolicyActions) {
  EXPECT_TRUE(WildcardMatch("KMS:generatedatakey*", "kms:GenerateDataKeyWithoutPlaintext", /*fold_case=*/true));
  EXPECT_FALSE(WildcardMatch("kms:Encrypt", "kms:Decrypt", /*fold_case=*/true));
}

}  // namespace
}  // namespace kura::base
