#include "crypto/random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

namespace kura::crypto {
namespace {

TEST(RandomTest, RandomBytesFillsAndVaries) {
  std::array<uint8_t, 32> a{}, b{};
  ASSERT_TRUE(RandomBytes(a).ok());
  ASSERT_TRUE(RandomBytes(b).ok());
  EXPECT_NE(a, b);  // 2^-256 chance of a false failure
  EXPECT_FALSE(std::all_of(a.begin(), a.end(), [](uint8_t x) { return x == 0; }));
}

TEST(RandomTest, EmptyAndLargeBuffers) {
  EXPECT_TRUE(RandomBytes(std::span<uint8_t>{}).ok());
  std::vector<uint8_t> big(1 << 20);
  ASSERT_TRUE(RandomBytes(big).ok());
  // Every byte value should show up in a megabyte of random data.
  std::array<bool, 256> seen{};
  for (uint8_t x : big) seen[x] = true;
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](bool s) { return s; }));
}

TEST(RandomTest, RandomSecret) {
  auto a = RandomSecret(32);
  auto b = RandomSecret(32);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_FALSE(a->Equals(*b));

  auto empty = RandomSecret(0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace kura::crypto
