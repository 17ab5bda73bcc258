#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace kura::crypto {
namespace {

std::vector<uint8_t> Hex(std::string_view hex) {
  auto bytes = base::HexDecode(hex);
  EXPECT_TRUE(bytes.ok()) << hex;
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

std::vector<uint8_t> Repeat(uint8_t byte, size_t n) { return std::vector<uint8_t>(n, byte); }

// FIPS 180-2 appendix B examples (one block, two blocks) and the empty string.
constexpr std::string_view kMsg448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr std::string_view kMsg896 =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
    "lmnopqrsmnopqrstnopqrstu";

TEST(Sha256Test, KnownAnswers) {
  EXPECT_EQ(base::HexEncode(Sha256(base::AsBytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(base::HexEncode(Sha256(base::AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(base::HexEncode(Sha256(base::AsBytes(kMsg448))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(base::HexEncode(Sha256(base::AsBytes(kMsg896))),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256Test, HasherInPiecesEqualsOneShot) {
  const auto data = base::AsBytes(kMsg896);
  const Digest expected = Sha256(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    Sha256Hasher h;
    h.Update(data.first(split));
    h.Update(data.subspan(split));
    EXPECT_EQ(h.Finish(), expected) << "split at " << split;
  }
  Sha256Hasher bytewise;
  for (size_t i = 0; i < data.size(); ++i) bytewise.Update(data.subspan(i, 1));
  EXPECT_EQ(bytewise.Finish(), expected);
}

TEST(Sha256Test, HasherEmptyAndMoved) {
  Sha256Hasher empty;
  EXPECT_EQ(base::HexEncode(empty.Finish()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  Sha256Hasher a;
  a.Update(base::AsBytes("ab"));
  Sha256Hasher b(std::move(a));
  b.Update(base::AsBytes("c"));
  Sha256Hasher c;
  c = std::move(b);
  EXPECT_EQ(base::HexEncode(c.Finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// RFC 4231 section 4, HMAC-SHA-256 outputs.
struct HmacVector {
  const char* name;
  std::vector<uint8_t> key;
  std::vector<uint8_t> data;
  std::string_view mac;
};

std::vector<HmacVector> HmacVectors() {
  auto bytes = [](std::string_view s) {
    auto b = base::AsBytes(s);
    return std::vector<uint8_t>(b.begin(), b.end());
  };
  return {
      {"Case1", Repeat(0x0b, 20), bytes("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Case2", bytes("Jefe"), bytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"Case3", Repeat(0xaa, 20), Repeat(0xdd, 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"Case4", Hex("0102030405060708090a0b0c0d0e0f10111213141516171819"), Repeat(0xcd, 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      // Case 5 publishes only the first 128 bits of the output.
      {"Case5Prefix", Repeat(0x0c, 20), bytes("Test With Truncation"),
       "a3b6167473100ee06e0c796c2955552b"},
      {"Case6", Repeat(0xaa, 131), bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"Case7", Repeat(0xaa, 131),
       bytes("This is a test using a larger than block-size key and a larger than block-size "
             "data. The key needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

TEST(HmacSha256Test, Rfc4231) {
  for (const auto& v : HmacVectors()) {
    std::string mac = base::HexEncode(HmacSha256(v.key, v.data));
    EXPECT_EQ(mac.substr(0, v.mac.size()), v.mac) << v.name;
  }
}

TEST(HmacSha256Test, EmptyKeyAndData) {
  // An empty key is valid; it pads to the same block as a single zero byte.
  Digest a = HmacSha256({}, {});
  Digest b = HmacSha256(Repeat(0x00, 1), {});
  EXPECT_EQ(a, b);
  EXPECT_NE(HmacSha256({}, base::AsBytes("x")), a);
}

// RFC 5869 appendix A, test cases 1-3 (SHA-256).
TEST(HkdfSha256Test, Rfc5869Case1) {
  auto okm = HkdfSha256(Repeat(0x0b, 22), Hex("000102030405060708090a0b0c"),
                        Hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(okm.ok()) << okm.status().ToString();
  EXPECT_EQ(base::HexEncode(okm->span()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
}

TEST(HkdfSha256Test, Rfc5869Case2) {
  std::vector<uint8_t> ikm(80), salt(80), info(80);
  for (size_t i = 0; i < 80; ++i) {
    ikm[i] = static_cast<uint8_t>(i);
    salt[i] = static_cast<uint8_t>(0x60 + i);
    info[i] = static_cast<uint8_t>(0xb0 + i);
  }
  auto okm = HkdfSha256(ikm, salt, info, 82);
  ASSERT_TRUE(okm.ok()) << okm.status().ToString();
  EXPECT_EQ(base::HexEncode(okm->span()),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(HkdfSha256Test, Rfc5869Case3) {
  auto okm = HkdfSha256(Repeat(0x0b, 22), {}, {}, 42);
  ASSERT_TRUE(okm.ok()) << okm.status().ToString();
  EXPECT_EQ(base::HexEncode(okm->span()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
            "9d201395faa4b61a96c8");
}

TEST(HkdfSha256Test, OutputLengthLimits) {
  const auto ikm = Repeat(0x0b, 32);
  auto zero = HkdfSha256(ikm, {}, {}, 0);
  EXPECT_EQ(zero.status().code(), base::StatusCode::kInvalidArgument);
  auto too_long = HkdfSha256(ikm, {}, {}, 255 * 32 + 1);
  EXPECT_EQ(too_long.status().code(), base::StatusCode::kInvalidArgument);
  auto longest = HkdfSha256(ikm, {}, {}, 255 * 32);
  ASSERT_TRUE(longest.ok()) << longest.status().ToString();
  EXPECT_EQ(longest->size(), 255u * 32);
  // Shorter outputs are prefixes of longer ones.
  auto short_okm = HkdfSha256(ikm, {}, {}, 50);
  ASSERT_TRUE(short_okm.ok());
  EXPECT_TRUE(std::equal(short_okm->span().begin(), short_okm->span().end(),
                         longest->span().begin()));
}

TEST(ConstantTimeEqualTest, Basics) {
  auto a = Hex("00112233445566778899");
  auto b = a;
  EXPECT_TRUE(ConstantTimeEqual(a, b));
  b.back() ^= 0x01;
  EXPECT_FALSE(ConstantTimeEqual(a, b));
  b = a;
  b.front() ^= 0x80;
  EXPECT_FALSE(ConstantTimeEqual(a, b));
  EXPECT_FALSE(ConstantTimeEqual(a, std::span<const uint8_t>(a).first(9)));
  EXPECT_TRUE(ConstantTimeEqual({}, {}));
  EXPECT_FALSE(ConstantTimeEqual({}, a));
}

}  // namespace
}  // namespace kura::crypto
