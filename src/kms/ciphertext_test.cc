#include "kms/ciphertext.h"

#include <gtest/gtest.h>

#include "crypto/gcm.h"

namespace kura::kms {
namespace {

constexpr char kArn[] = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

crypto::SecretBytes Material(uint8_t fill) {
  crypto::SecretBytes m(32);
  for (size_t i = 0; i < 32; ++i) m.data()[i] = static_cast<uint8_t>(fill + i);
  return m;
}

const crypto::SecretBytes& HeaderKey() {
  static const crypto::SecretBytes key = [] {
    crypto::SecretBytes k(32);
    k.data()[0] = 9;
    return k;
  }();
  return key;
}

std::vector<uint8_t> Plain() { return {'d', 'a', 't', 'a', ' ', 'k', 'e', 'y'}; }

TEST(CiphertextTest, RoundTripWithContext) {
  const EncryptionContext ctx{{"aws:ebs:id", "vol-0123"}, {"purpose", "test"}};
  auto blob = SealCiphertext(HeaderKey(), Material(1), {kArn, 3}, ctx, Plain());
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  EXPECT_LE(blob->size(), kMaxCiphertextSize);
  auto header = ParseCiphertextHeader(HeaderKey(), *blob);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->key_arn, kArn);
  EXPECT_EQ(header->key_version, 3u);
  auto opened = OpenCiphertext(HeaderKey(), Material(1), *blob, ctx);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(std::vector<uint8_t>(opened->data(), opened->data() + opened->size()), Plain());
}

TEST(CiphertextTest, ContextMustMatchExactly) {
  const EncryptionContext ctx{{"a", "1"}, {"b", "2"}};
  auto blob = SealCiphertext(HeaderKey(), Material(1), {kArn, 1}, ctx, Plain());
  ASSERT_TRUE(blob.ok());
  EXPECT_FALSE(OpenCiphertext(HeaderKey(), Material(1), *blob, {}).ok());
  EXPECT_FALSE(OpenCiphertext(HeaderKey(), Material(1), *blob, {{"a", "1"}}).ok());
  EXPECT_FALSE(OpenCiphertext(HeaderKey(), Material(1), *blob, {{"a", "1"}, {"b", "2"}, {"c", "3"}}).ok());
  EXPECT_FALSE(OpenCiphertext(HeaderKey(), Material(1), *blob, {{"a", "1"}, {"B", "2"}}).ok());  // case-sensitive
  EXPECT_FALSE(OpenCiphertext(HeaderKey(), Material(1), *blob, {{"a", "1"}, {"b", "2 "}}).ok());
  // Order-free: a map built in another order is the same context.
  EncryptionContext reordered;
  reordered["b"] = "2";
  reordered["a"] = "1";
  EXPECT_TRUE(OpenCiphertext(HeaderKey(), Material(1), *blob, reordered).ok());
}

TEST(CiphertextTest, CanonicalContextIsUnambiguous) {
  // {"ab": "c"} and {"a": "bc"} must not serialize alike.
  EXPECT_NE(CanonicalEncryptionContext({{"ab", "c"}}), CanonicalEncryptionContext({{"a", "bc"}}));
  EXPECT_NE(CanonicalEncryptionContext({}), CanonicalEncryptionContext({{"", ""}}));
}

TEST(CiphertextTest, EveryFlippedByteIsDetected) {
  const EncryptionContext ctx{{"k", "v"}};
  auto blob = SealCiphertext(HeaderKey(), Material(7), {kArn, 2}, ctx, Plain());
  ASSERT_TRUE(blob.ok());
  for (size_t i = 0; i < blob->size(); ++i) {
    auto tampered = *blob;
    tampered[i] ^= 0x01;
    EXPECT_FALSE(OpenCiphertext(HeaderKey(), Material(7), tampered, ctx).ok()) << "byte " << i;
  }
  auto truncated = *blob;
  truncated.pop_back();
  EXPECT_FALSE(OpenCiphertext(HeaderKey(), Material(7), truncated, ctx).ok());
}

TEST(CiphertextTest, HeaderIsAuthenticatedBeforeAnyLookup) {
  auto blob = SealCiphertext(HeaderKey(), Material(1), {kArn, 1}, {}, Plain());
  ASSERT_TRUE(blob.ok());
  auto peek = PeekCiphertextHeader(*blob);
  ASSERT_TRUE(peek.ok());
  EXPECT_EQ(peek->key_arn, kArn);
  auto t = *blob;
  t[10] ^= 1;  // inside the key ARN
  EXPECT_FALSE(ParseCiphertextHeader(HeaderKey(), t).ok());
  EXPECT_TRUE(PeekCiphertextHeader(t).ok());
  crypto::SecretBytes other(32);
  EXPECT_FALSE(ParseCiphertextHeader(other, *blob).ok());
}

TEST(CiphertextTest, WrongMaterialFails) {
  auto blob = SealCiphertext(HeaderKey(), Material(1), {kArn, 1}, {}, Plain());
  ASSERT_TRUE(blob.ok());
  EXPECT_FALSE(OpenCiphertext(HeaderKey(), Material(2), *blob, {}).ok());
}

TEST(CiphertextTest, BlobsAreRandomized) {
  auto a = SealCiphertext(HeaderKey(), Material(1), {kArn, 1}, {}, Plain());
  auto b = SealCiphertext(HeaderKey(), Material(1), {kArn, 1}, {}, Plain());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(CiphertextTest, MalformedHeaders) {
  EXPECT_FALSE(ParseCiphertextHeader(HeaderKey(), std::vector<uint8_t>{}).ok());
  EXPECT_FALSE(ParseCiphertextHeader(HeaderKey(), std::vector<uint8_t>{0x02, 0, 0, 1, 'x'}).ok());
  EXPECT_FALSE(ParseCiphertextHeader(HeaderKey(), std::vector<uint8_t>{0x01, 0, 0, 200, 'x'}).ok());
  std::vector<uint8_t> junk(100, 0x41);
  EXPECT_FALSE(ParseCiphertextHeader(HeaderKey(), junk).ok());
}

TEST(CiphertextTest, MaterialAadBindsKeyAndVersion) {
  EXPECT_NE(MaterialAad(kArn, 1), MaterialAad(kArn, 2));
  EXPECT_NE(MaterialAad(kArn, 1), MaterialAad(std::string(kArn) + "x", 1));
  crypto::SecretBytes kek(32);
  auto sealed = crypto::WrapKey(kek, Material(3), MaterialAad(kArn, 1));
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(crypto::UnwrapKey(kek, *sealed, MaterialAad(kArn, 1)).ok());
  EXPECT_FALSE(crypto::UnwrapKey(kek, *sealed, MaterialAad(kArn, 2)).ok());
}

}  // namespace
}  // namespace kura::kms
