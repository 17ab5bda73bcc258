#include "base/bytes.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace kura::base {
namespace {

TEST(HexTest, Encode) {
  EXPECT_EQ(HexEncode({}), "");
  const std::vector<uint8_t> bytes = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  EXPECT_EQ(HexEncode(bytes), "00017f80abff");
}

TEST(HexTest, DecodeAcceptsBothCases) {
  auto lower = HexDecode("00017f80abff");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(*lower, (std::vector<uint8_t>{0x00, 0x01, 0x7f, 0x80, 0xab, 0xff}));
  auto upper = HexDecode("ABFF0a");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*upper, (std::vector<uint8_t>{0xab, 0xff, 0x0a}));
  auto empty = HexDecode("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(HexTest, DecodeRejectsMalformed) {
  for (const char* bad : {"0", "abc", "0g", "zz", " 0", "0x00", "00-1"}) {
    auto r = HexDecode(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(HexTest, RoundTripsEveryByte) {
  std::vector<uint8_t> all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i);
  auto back = HexDecode(HexEncode(all));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
}

TEST(AsBytesTest, ViewsStringBytes) {
  std::string s("a\0b", 3);
  ByteSpan b = AsBytes(s);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], 'a');
  EXPECT_EQ(b[1], 0);
  EXPECT_EQ(b[2], 'b');
  EXPECT_EQ(static_cast<const void*>(b.data()), static_cast<const void*>(s.data()));
}

TEST(Le64Test, StoreIsLittleEndian) {
  std::array<uint8_t, 8> out{};
  StoreLe64(0x0102030405060708ULL, out.data());
  EXPECT_EQ(out, (std::array<uint8_t, 8>{0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}));
  StoreLe64(0, out.data());
  EXPECT_EQ(out, (std::array<uint8_t, 8>{}));
}

TEST(Le64Test, LoadIsLittleEndian) {
  const std::array<uint8_t, 8> in = {0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01};
  EXPECT_EQ(LoadLe64(in.data()), 0x0123456789abcdefULL);
}

TEST(Le64Test, RoundTrip) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0xff}, uint64_t{0x100},
                     uint64_t{0x8000000000000000ULL}, ~uint64_t{0}}) {
    std::array<uint8_t, 8> buf{};
    StoreLe64(v, buf.data());
    EXPECT_EQ(LoadLe64(buf.data()), v);
  }
}

}  // namespace
}  // namespace kura::base
