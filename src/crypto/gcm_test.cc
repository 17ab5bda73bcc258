#include "crypto/gcm.h"

#include <gtest/gtest.h>

#include <string>
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

SecretBytes Key(std::string_view hex) { return SecretBytes(Hex(hex)); }

std::vector<uint8_t> Concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases
// 13-18 (AES-256). Values as reproduced in OpenSSL
// test/recipes/30-test_evp_data/evpciph_aes_common.txt.
struct GcmVector {
  const char* name;
  std::string_view key;
  std::string_view iv;
  std::string_view aad;
  std::string_view plaintext;
  std::string_view ciphertext;
  std::string_view tag;
};

constexpr std::string_view kZeroKey =
    "0000000000000000000000000000000000000000000000000000000000000000";
constexpr std::string_view kKey =
    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr std::string_view kAad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
constexpr std::string_view kPlaintext64 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr std::string_view kPlaintext60 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";

const GcmVector kVectors[] = {
    {"TestCase13", kZeroKey, "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"TestCase14", kZeroKey, "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"TestCase15", kKey, "cafebabefacedbaddecaf888", "", kPlaintext64,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"TestCase16", kKey, "cafebabefacedbaddecaf888", kAad, kPlaintext60,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
    // 64-bit IV.
    {"TestCase17", kKey, "cafebabefacedbad", kAad, kPlaintext60,
     "c3762df1ca787d32ae47c13bf19844cbaf1ae14d0b976afac52ff7d79bba9de0"
     "feb582d33934a4f0954cc2363bc73f7862ac430e64abe499f47c9b1f",
     "3a337dbf46a792c45e454913fe2ea8f2"},
    // 480-bit IV.
    {"TestCase18", kKey,
     "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"
     "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
     kAad, kPlaintext60,
     "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf4"
     "0fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f",
     "a44a8266ee1c8eb0c8b5d4cf5ae9f19a"},
};

void PrintTo(const GcmVector& v, std::ostream* os) { *os << v.name; }

class GcmKnownAnswerTest : public ::testing::TestWithParam<GcmVector> {};

TEST_P(GcmKnownAnswerTest, Encrypt) {
  const GcmVector& v = GetParam();
  auto sealed = AesGcmEncrypt(Key(v.key), Hex(v.iv), Hex(v.aad), Hex(v.plaintext));
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  ASSERT_EQ(sealed->size(), v.plaintext.size() / 2 + kGcmTagSize);
  std::string hex = base::HexEncode(*sealed);
  EXPECT_EQ(hex.substr(0, v.ciphertext.size()), v.ciphertext);
  EXPECT_EQ(hex.substr(v.ciphertext.size()), v.tag);
}

TEST_P(GcmKnownAnswerTest, Decrypt) {
  const GcmVector& v = GetParam();
  auto input = Concat(Hex(v.ciphertext), Hex(v.tag));
  auto opened = AesGcmDecrypt(Key(v.key), Hex(v.iv), Hex(v.aad), input);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(base::HexEncode(opened->span()), v.plaintext);
}

INSTANTIATE_TEST_SUITE_P(McGrewViega, GcmKnownAnswerTest, ::testing::ValuesIn(kVectors),
                         [](const ::testing::TestParamInfo<GcmVector>& info) {
                           return info.param.name;
                         });

void ExpectDenied(const base::Result<SecretBytes>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::StatusCode::kPermissionDenied) << r.status().ToString();
}

TEST(GcmTest, TamperingIsDetected) {
  const GcmVector& v = kVectors[3];  // test case 16: has AAD and ciphertext
  const SecretBytes key = Key(v.key);
  const auto iv = Hex(v.iv);
  const auto aad = Hex(v.aad);
  const auto good = Concat(Hex(v.ciphertext), Hex(v.tag));
  ASSERT_TRUE(AesGcmDecrypt(key, iv, aad, good).ok());

  for (size_t bit : {0u, 7u, 100u, 479u}) {  // ciphertext bits
    auto bad = good;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    ExpectDenied(AesGcmDecrypt(key, iv, aad, bad));
  }
  for (size_t i : {size_t{0}, kGcmTagSize - 1}) {  // tag bytes
    auto bad = good;
    bad[good.size() - kGcmTagSize + i] ^= 0x01;
    ExpectDenied(AesGcmDecrypt(key, iv, aad, bad));
  }
  auto bad_aad = aad;
  bad_aad[5] ^= 0x80;
  ExpectDenied(AesGcmDecrypt(key, iv, bad_aad, good));
  ExpectDenied(AesGcmDecrypt(key, iv, {}, good));
  auto bad_iv = iv;
  bad_iv[0] ^= 0x01;
  ExpectDenied(AesGcmDecrypt(key, bad_iv, aad, good));
  auto bad_key = Hex(v.key);
  bad_key[31] ^= 0x01;
  ExpectDenied(AesGcmDecrypt(SecretBytes(bad_key), iv, aad, good));
}

TEST(GcmTest, RejectsMalformedArguments) {
  const SecretBytes key = Key(kKey);
  const auto iv = Hex("cafebabefacedbaddecaf888");
  std::vector<uint8_t> pt(10);

  auto short_key = AesGcmEncrypt(SecretBytes(16), iv, {}, pt);
  EXPECT_EQ(short_key.status().code(), base::StatusCode::kInvalidArgument);
  auto empty_iv = AesGcmEncrypt(key, {}, {}, pt);
  EXPECT_EQ(empty_iv.status().code(), base::StatusCode::kInvalidArgument);
  std::vector<uint8_t> too_short(kGcmTagSize - 1);
  auto truncated = AesGcmDecrypt(key, iv, {}, too_short);
  EXPECT_EQ(truncated.status().code(), base::StatusCode::kInvalidArgument);
}

TEST(KeyWrapTest, RoundTrip) {
  const SecretBytes kek = Key(kKey);
  const SecretBytes data_key(Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
  const auto aad = Hex("6b65792d3132337c7631");

  auto blob = WrapKey(kek, data_key, aad);
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  EXPECT_EQ(blob->size(), kGcmNonceSize + data_key.size() + kGcmTagSize);

  auto opened = UnwrapKey(kek, *blob, aad);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->Equals(data_key));

  // Fresh nonce each time: wrapping twice gives different blobs.
  auto again = WrapKey(kek, data_key, aad);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, *blob);

  // The blob is nonce || AES-GCM(kek, nonce, aad, key).
  std::span<const uint8_t> b(*blob);
  auto direct = AesGcmDecrypt(kek, b.first(kGcmNonceSize), aad, b.subspan(kGcmNonceSize));
  ASSERT_TRUE(direct.ok());
  EXPECT_TRUE(direct->Equals(data_key));
}

TEST(KeyWrapTest, EmptyPlaintextAndAad) {
  const SecretBytes kek = Key(kKey);
  auto blob = WrapKey(kek, SecretBytes(), {});
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(blob->size(), kGcmNonceSize + kGcmTagSize);
  auto opened = UnwrapKey(kek, *blob, {});
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(opened->empty());
}

TEST(KeyWrapTest, WrongKekAadOrAlteredBlobFails) {
  const SecretBytes kek = Key(kKey);
  const SecretBytes data_key(Hex("00112233445566778899aabbccddeeff"));
  const auto aad = Hex("01020304");
  auto blob = WrapKey(kek, data_key, aad);
  ASSERT_TRUE(blob.ok());

  auto other_kek = Hex(kKey);
  other_kek[0] ^= 0x01;
  ExpectDenied(UnwrapKey(SecretBytes(other_kek), *blob, aad));
  ExpectDenied(UnwrapKey(kek, *blob, Hex("01020305")));
  ExpectDenied(UnwrapKey(kek, *blob, {}));

  auto altered_nonce = *blob;
  altered_nonce[0] ^= 0x01;
  ExpectDenied(UnwrapKey(kek, altered_nonce, aad));

  auto truncated = *blob;
  truncated.pop_back();
  ExpectDenied(UnwrapKey(kek, truncated, aad));

  auto too_short = UnwrapKey(kek, std::span<const uint8_t>(*blob).first(kGcmNonceSize + kGcmTagSize - 1), aad);
  ASSERT_FALSE(too_short.ok());
  EXPECT_EQ(too_short.status().code(), base::StatusCode::kInvalidArgument);

  auto bad_kek_size = UnwrapKey(SecretBytes(16), *blob, aad);
  EXPECT_EQ(bad_kek_size.status().code(), base::StatusCode::kInvalidArgument);
  auto bad_wrap = WrapKey(SecretBytes(31), data_key, aad);
  EXPECT_EQ(bad_wrap.status().code(), base::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::crypto
