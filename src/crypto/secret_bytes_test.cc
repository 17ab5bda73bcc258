#include "crypto/secret_bytes.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace kura::crypto {
namespace {

const std::vector<uint8_t> kContent = {0xde, 0xad, 0xbe, 0xef, 0x41, 0x42};

TEST(SecretBytesTest, Construction) {
  SecretBytes empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.size(), 0u);

  SecretBytes zeros(8);
  EXPECT_EQ(zeros.size(), 8u);
  for (uint8_t b : zeros.span()) EXPECT_EQ(b, 0);

  SecretBytes copy(kContent);
  ASSERT_EQ(copy.size(), kContent.size());
  EXPECT_TRUE(std::equal(kContent.begin(), kContent.end(), copy.data()));

  SecretBytes from_empty(std::span<const uint8_t>{});
  EXPECT_TRUE(from_empty.empty());
}

TEST(SecretBytesTest, CloneIsEqualAndIndependent) {
  SecretBytes a(kContent);
  SecretBytes b = a.Clone();
  EXPECT_TRUE(a.Equals(b));
  EXPECT_NE(a.data(), b.data());
  b.data()[0] ^= 1;
  EXPECT_FALSE(a.Equals(b));
  EXPECT_EQ(a.data()[0], kContent[0]);
}

TEST(SecretBytesTest, Equals) {
  EXPECT_TRUE(SecretBytes().Equals(SecretBytes()));
  EXPECT_TRUE(SecretBytes(kContent).Equals(SecretBytes(kContent)));
  EXPECT_FALSE(SecretBytes(kContent).Equals(SecretBytes(std::span(kContent).first(5))));
  EXPECT_FALSE(SecretBytes(kContent).Equals(SecretBytes(kContent.size())));
  EXPECT_FALSE(SecretBytes(kContent).Equals(SecretBytes()));
}

TEST(SecretBytesTest, MoveLeavesSourceEmpty) {
  SecretBytes a(kContent);
  const uint8_t* buffer = a.data();
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking moved-from state
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(b.data(), buffer);
  EXPECT_TRUE(b.Equals(SecretBytes(kContent)));

  SecretBytes c(4);
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.data(), nullptr);
  EXPECT_TRUE(c.Equals(SecretBytes(kContent)));

  SecretBytes& alias = c;
  c = std::move(alias);  // self-move keeps the content
  EXPECT_TRUE(c.Equals(SecretBytes(kContent)));
}

TEST(SecretBytesTest, PrintingRevealsOnlyTheLength) {
  SecretBytes secret(kContent);
  std::ostringstream os;
  os << secret;
  const std::string printed = os.str();
  EXPECT_EQ(printed, "SecretBytes(6 bytes)");
  EXPECT_EQ(printed.find(base::HexEncode(kContent)), std::string::npos);
  EXPECT_EQ(printed.find("dead"), std::string::npos);
  EXPECT_EQ(printed.find("AB"), std::string::npos);  // 0x41 0x42 as raw chars

  std::ostringstream empty;
  empty << SecretBytes();
  EXPECT_EQ(empty.str(), "SecretBytes(0 bytes)");
}

}  // namespace
}  // namespace kura::crypto
