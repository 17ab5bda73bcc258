#include "kms/identifiers.h"

#include <gtest/gtest.h>

#include "kms/kms_error.h"

namespace kura::kms {
namespace {

constexpr char kId[] = "1234abcd-12ab-34cd-56ef-1234567890ab";

TEST(IdentifiersTest, ArnsAndIds) {
  EXPECT_EQ(KeyArn("us-east-1", "111122223333", kId), std::string("arn:aws:kms:us-east-1:111122223333:key/") + kId);
  EXPECT_EQ(AliasArn("us-west-2", "111122223333", "alias/x"), "arn:aws:kms:us-west-2:111122223333:alias/x");
  auto id = NewKeyId();
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(IsKeyIdSyntax(*id));
  EXPECT_EQ((*id)[14], '4');
  EXPECT_NE(*id, *NewKeyId());
  auto hex = NewHexId();
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(hex->size(), 64u);
  EXPECT_TRUE(IsKeyIdSyntax("mrk-1234abcd12ab34cd56ef1234567890ab"));
  EXPECT_FALSE(IsKeyIdSyntax("1234abcd-12ab-34cd-56ef-1234567890a"));
  EXPECT_FALSE(IsKeyIdSyntax("1234abcd_12ab-34cd-56ef-1234567890ab"));
}

TEST(IdentifiersTest, ParseKeyRefForms) {
  auto id = ParseKeyRef(kId, "111122223333", "us-east-1", true);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->kind, KeyRef::Kind::kKeyId);
  EXPECT_EQ(id->account_id, "111122223333");

  auto arn = ParseKeyRef(std::string("arn:aws:kms:us-east-1:444455556666:key/") + kId, "111122223333", "us-east-1",
                         false);
  ASSERT_TRUE(arn.ok());
  EXPECT_EQ(arn->kind, KeyRef::Kind::kKeyArn);
  EXPECT_EQ(arn->account_id, "444455556666");
  EXPECT_EQ(arn->key_id, kId);

  auto alias = ParseKeyRef("alias/foo", "111122223333", "us-east-1", true);
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ(alias->kind, KeyRef::Kind::kAliasName);
  EXPECT_EQ(alias->alias_name, "alias/foo");

  auto alias_arn = ParseKeyRef("arn:aws:kms:us-east-1:444455556666:alias/foo", "111122223333", "us-east-1", true);
  ASSERT_TRUE(alias_arn.ok());
  EXPECT_EQ(alias_arn->kind, KeyRef::Kind::kAliasArn);
  EXPECT_EQ(alias_arn->account_id, "444455556666");
}

TEST(IdentifiersTest, ParseKeyRefErrors) {
  auto other_region = ParseKeyRef(std::string("arn:aws:kms:eu-west-1:111122223333:key/") + kId, "111122223333",
                                  "us-east-1", true);
  EXPECT_EQ(ErrorOf(other_region.status()), KmsError::kNotFound);
  EXPECT_EQ(other_region.status().message(), "Invalid arn");

  auto no_alias = ParseKeyRef("alias/foo", "111122223333", "us-east-1", false);
  EXPECT_EQ(ErrorOf(no_alias.status()), KmsError::kNotFound);
  EXPECT_EQ(no_alias.status().message(), "Invalid keyId alias/foo");

  auto bad = ParseKeyRef("not-a-key", "111122223333", "us-east-1", true);
  EXPECT_EQ(bad.status().message(), "Invalid keyId not-a-key");

  auto bad_arn = ParseKeyRef("arn:aws:s3:::bucket", "111122223333", "us-east-1", true);
  EXPECT_EQ(bad_arn.status().message(), "Invalid arn");
}

TEST(IdentifiersTest, Base64UrlRoundTrip) {
  for (size_t n = 0; n < 40; ++n) {
    std::vector<uint8_t> data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 37 + 11);
    auto text = Base64UrlEncode(data);
    auto back = Base64UrlDecode(text);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(*back, data);
  }
  EXPECT_FALSE(Base64UrlDecode("a").ok());
  EXPECT_FALSE(Base64UrlDecode("ab+c").ok());
}

TEST(IdentifiersTest, Markers) {
  const std::string m = EncodeMarker("keys", "abc");
  auto back = DecodeMarker("keys", m);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "abc");
  EXPECT_EQ(ErrorOf(DecodeMarker("aliases", m).status()), KmsError::kInvalidMarker);
  EXPECT_EQ(ErrorOf(DecodeMarker("keys", "garbage!").status()), KmsError::kInvalidMarker);
}

}  // namespace
}  // namespace kura::kms
