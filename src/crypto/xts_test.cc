#include "crypto/xts.h"

#include <gtest/gtest.h>

#include <array>
#include <ostream>
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

// IEEE 1619-2007 Annex B, vectors 10 and 11 (XTS-AES-256, 512-byte data unit).
// Hex typed from the standard's values as reproduced in OpenSSL
// test/recipes/30-test_evp_data/evpciph_aes_common.txt.
constexpr std::string_view kIeeeKey =
    "2718281828459045235360287471352662497757247093699959574966967627"
    "3141592653589793238462643383279502884197169399375105820974944592";

constexpr std::string_view kVector10Ciphertext =
    "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b"
    "5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd"
    "5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0"
    "c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca"
    "2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0"
    "b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f"
    "93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec"
    "583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a"
    "84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1"
    "505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae"
    "9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29"
    "a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac"
    "6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f"
    "645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed4385"
    "1ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa"
    "773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151";

constexpr std::string_view kVector11Ciphertext =
    "77a31251618a15e6b92d1d66dffe7b50b50bad552305ba0217a610688eff7e11"
    "e1d0225438e093242d6db274fde801d4cae06f2092c728b2478559df58e837c2"
    "469ee4a4fa794e4bbc7f39bc026e3cb72c33b0888f25b4acf56a2a9804f1ce6d"
    "3d6e1dc6ca181d4b546179d55544aa7760c40d06741539c7e3cd9d2f6650b201"
    "3fd0eeb8c2b8e3d8d240ccae2d4c98320a7442e1c8d75a42d6e6cfa4c2eca179"
    "8d158c7aecdf82490f24bb9b38e108bcda12c3faf9a21141c3613b58367f922a"
    "aa26cd22f23d708dae699ad7cb40a8ad0b6e2784973dcb605684c08b8d6998c6"
    "9aac049921871ebb65301a4619ca80ecb485a31d744223ce8ddc2394828d6a80"
    "470c092f5ba413c3378fa6054255c6f9df4495862bbb3287681f931b687c888a"
    "bf844dfc8fc28331e579928cd12bd2390ae123cf03818d14dedde5c0c24c8ab0"
    "18bfca75ca096f2d531f3d1619e785f1ada437cab92e980558b3dce1474afb75"
    "bfedbf8ff54cb2618e0244c9ac0d3c66fb51598cd2db11f9be39791abe447c63"
    "094f7c453b7ff87cb5bb36b7c79efb0872d17058b83b15ab0866ad8a58656c5a"
    "7e20dbdf308b2461d97c0ec0024a2715055249cf3b478ddd4740de654f75ca68"
    "6e0d7345c69ed50cdc2a8b332b1f8824108ac937eb050585608ee734097fc090"
    "54fbff89eeaeea791f4a7ab1f9868294a4f9e27b42af8100cb9d59cef9645803";

// The IEEE plaintext for these vectors: bytes 00 01 .. ff 00 01 .. ff.
std::vector<uint8_t> IeeePlaintext() {
  std::vector<uint8_t> pt(512);
  for (size_t i = 0; i < pt.size(); ++i) pt[i] = static_cast<uint8_t>(i);
  return pt;
}

std::unique_ptr<XtsCipher> IeeeCipher() {
  auto cipher = XtsCipher::Create(SecretBytes(Hex(kIeeeKey)));
  EXPECT_TRUE(cipher.ok()) << cipher.status().ToString();
  return cipher.ok() ? std::move(*cipher) : nullptr;
}

// Tweak built byte by byte, independently of the code under test.
std::array<uint8_t, 16> Tweak(uint64_t sector) {
  std::array<uint8_t, 16> tweak{};
  for (int i = 0; i < 8; ++i) tweak[i] = static_cast<uint8_t>(sector >> (8 * i));
  return tweak;
}

std::vector<uint8_t> Pattern(size_t size, uint32_t seed) {
  std::vector<uint8_t> out(size);
  for (auto& b : out) {
    seed = seed * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(seed >> 24);
  }
  return out;
}

struct IeeeVector {
  const char* name;
  std::array<uint8_t, 16> tweak;
  uint64_t sector;
  std::string_view ciphertext;
};

void PrintTo(const IeeeVector& v, std::ostream* os) { *os << v.name; }

class XtsIeeeTest : public ::testing::TestWithParam<IeeeVector> {};

TEST_P(XtsIeeeTest, EncryptUnitMatchesStandard) {
  auto cipher = IeeeCipher();
  ASSERT_NE(cipher, nullptr);
  const auto pt = IeeePlaintext();
  std::vector<uint8_t> ct(pt.size());
  ASSERT_TRUE(cipher->EncryptUnit(GetParam().tweak, pt, ct).ok());
  EXPECT_EQ(base::HexEncode(ct), GetParam().ciphertext);
}

TEST_P(XtsIeeeTest, DecryptUnitMatchesStandard) {
  auto cipher = IeeeCipher();
  ASSERT_NE(cipher, nullptr);
  const auto ct = Hex(GetParam().ciphertext);
  std::vector<uint8_t> pt(ct.size());
  ASSERT_TRUE(cipher->DecryptUnit(GetParam().tweak, ct, pt).ok());
  EXPECT_EQ(pt, IeeePlaintext());
}

// The data unit sequence number is the plain64 sector number, so the sector
// API must give the same answer.
TEST_P(XtsIeeeTest, SectorApiMatchesStandard) {
  auto cipher = IeeeCipher();
  ASSERT_NE(cipher, nullptr);
  const auto pt = IeeePlaintext();
  std::vector<uint8_t> ct(pt.size());
  ASSERT_TRUE(cipher->Encrypt(GetParam().sector, 512, pt, ct).ok());
  EXPECT_EQ(base::HexEncode(ct), GetParam().ciphertext);
  std::vector<uint8_t> back(ct.size());
  ASSERT_TRUE(cipher->Decrypt(GetParam().sector, 512, ct, back).ok());
  EXPECT_EQ(back, pt);
}

INSTANTIATE_TEST_SUITE_P(
    Ieee1619, XtsIeeeTest,
    ::testing::Values(
        IeeeVector{"Vector10", {0xff}, 0xff, kVector10Ciphertext},
        IeeeVector{"Vector11", {0xff, 0xff}, 0xffff, kVector11Ciphertext}),
    [](const ::testing::TestParamInfo<IeeeVector>& info) { return info.param.name; });

TEST(XtsTest, MultiSectorEqualsPerSectorUnits) {
  auto cipher = IeeeCipher();
  ASSERT_NE(cipher, nullptr);
  constexpr size_t kSector = 4096;
  constexpr size_t kSectors = 5;
  // Crosses a carry into the high bytes of the little-endian tweak.
  constexpr uint64_t kFirst = 0x01020304050607feULL;
  const auto pt = Pattern(kSector * kSectors, 7);

  std::vector<uint8_t> ct(pt.size());
  ASSERT_TRUE(cipher->Encrypt(kFirst, kSector, pt, ct).ok());

  for (size_t k = 0; k < kSectors; ++k) {
    std::span<const uint8_t> in(pt.data() + k * kSector, kSector);
    std::vector<uint8_t> expected(kSector);
    ASSERT_TRUE(cipher->EncryptUnit(Tweak(kFirst + k), in, expected).ok());
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), ct.begin() + k * kSector))
        << "sector " << k;
  }

  std::vector<uint8_t> back(ct.size());
  ASSERT_TRUE(cipher->Decrypt(kFirst, kSector, ct, back).ok());
  EXPECT_EQ(back, pt);

  // A different first sector gives a different ciphertext.
  std::vector<uint8_t> other(pt.size());
  ASSERT_TRUE(cipher->Encrypt(kFirst + 1, kSector, pt, other).ok());
  EXPECT_NE(other, ct);
}

TEST(XtsTest, SectorsAreIndependentOfCallBoundaries) {
  auto cipher = IeeeCipher();
  ASSERT_NE(cipher, nullptr);
  const auto pt = Pattern(512 * 8, 11);
  std::vector<uint8_t> whole(pt.size());
  ASSERT_TRUE(cipher->Encrypt(100, 512, pt, whole).ok());
  std::vector<uint8_t> pieces(pt.size());
  std::span<const uint8_t> in(pt);
  std::span<uint8_t> out(pieces);
  ASSERT_TRUE(cipher->Encrypt(100, 512, in.first(512 * 3), out.first(512 * 3)).ok());
  ASSERT_TRUE(cipher->Encrypt(103, 512, in.subspan(512 * 3), out.subspan(512 * 3)).ok());
  EXPECT_EQ(pieces, whole);
}

TEST(XtsTest, InPlaceRoundTrip) {
  auto cipher = IeeeCipher();
  ASSERT_NE(cipher, nullptr);
  const auto pt = Pattern(4096 * 3, 3);
  std::vector<uint8_t> expected(pt.size());
  ASSERT_TRUE(cipher->Encrypt(42, 4096, pt, expected).ok());

  std::vector<uint8_t> buf = pt;
  ASSERT_TRUE(cipher->Encrypt(42, 4096, buf, buf).ok());
  EXPECT_EQ(buf, expected);
  ASSERT_TRUE(cipher->Decrypt(42, 4096, buf, buf).ok());
  EXPECT_EQ(buf, pt);
}

TEST(XtsTest, EmptyBufferIsOk) {
  auto cipher = IeeeCipher();
  ASSERT_NE(cipher, nullptr);
  std::vector<uint8_t> empty;
  EXPECT_TRUE(cipher->Encrypt(0, 4096, empty, empty).ok());
  EXPECT_TRUE(cipher->Decrypt(0, 4096, empty, empty).ok());
}

TEST(XtsTest, RejectsBadKeys) {
  auto equal_halves = Hex(kIeeeKey);
  std::copy(equal_halves.begin(), equal_halves.begin() + 32, equal_halves.begin() + 32);
  auto result = XtsCipher::Create(SecretBytes(equal_halves));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), base::StatusCode::kInvalidArgument);

  for (size_t size : {0, 32, 63, 65}) {
    auto r = XtsCipher::Create(SecretBytes(Pattern(size, 5)));
    ASSERT_FALSE(r.ok()) << size;
    EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidArgument) << size;
  }
}

TEST(XtsTest, RejectsBadLengths) {
  auto cipher = IeeeCipher();
  ASSERT_NE(cipher, nullptr);
  auto in = Pattern(4096, 1);
  std::vector<uint8_t> out(4096);
  std::vector<uint8_t> short_out(4095);
  auto code = [](const base::Status& s) { return s.code(); };
  constexpr auto kInvalid = base::StatusCode::kInvalidArgument;

  // Not a multiple of the sector size.
  EXPECT_EQ(code(cipher->Encrypt(0, 512, std::span<const uint8_t>(in).first(1000),
                                 std::span<uint8_t>(out).first(1000))),
            kInvalid);
  // Sector size below one AES block.
  EXPECT_EQ(code(cipher->Encrypt(0, 8, in, out)), kInvalid);
  EXPECT_EQ(code(cipher->Encrypt(0, 0, in, out)), kInvalid);
  // Mismatched lengths.
  EXPECT_EQ(code(cipher->Encrypt(0, 512, in, short_out)), kInvalid);
  EXPECT_EQ(code(cipher->Decrypt(0, 512, in, short_out)), kInvalid);
  // Partial overlap.
  EXPECT_EQ(code(cipher->Encrypt(0, 512, std::span<const uint8_t>(in).first(2048),
                                 std::span<uint8_t>(in).subspan(16, 2048))),
            kInvalid);
  // Units shorter than one block.
  std::array<uint8_t, 16> tweak{};
  EXPECT_EQ(code(cipher->EncryptUnit(tweak, std::span<const uint8_t>(in).first(15),
                                     std::span<uint8_t>(out).first(15))),
            kInvalid);
  EXPECT_EQ(code(cipher->DecryptUnit(tweak, in, short_out)), kInvalid);
}

}  // namespace
}  // namespace kura::crypto
