// The key resolution matrix of ebs-kms-flows.md §2.1, row by row.
#include "ec2/key_resolution.h"

#include <gtest/gtest.h>

#include "ec2/ec2_error.h"

namespace kura::ec2 {
namespace {

constexpr char kK[] = "alias/mine";
constexpr char kD[] = "arn:aws:kms:us-east-1:111122223333:key/dddddddd-dddd-dddd-dddd-dddddddddddd";
constexpr char kS[] = "arn:aws:kms:us-east-1:111122223333:key/ssssssss-ssss-ssss-ssss-ssssssssssss";

const KeySourceInfo kNoSource{};
const KeySourceInfo kPlainSource{true, false, "", true, true};
const KeySourceInfo kOwnedEncrypted{true, true, kS, true, true};
const KeySourceInfo kSharedEncrypted{true, true, kS, false, true};
const KeySourceInfo kOtherRegionEncrypted{true, true, kS, true, false};
const KeySourceInfo kOtherRegionPlain{true, false, "", true, false};

const KeyChoice kUnencrypted{};
KeyChoice Encrypted(std::string key, KeyOrigin origin, bool reencrypt) {
  return KeyChoice{true, std::move(key), origin, reencrypt};
}

struct Row {
  const char* name;
  KeyOperation op;
  std::optional<bool> encrypted;
  std::string kms_key_id;
  bool ebd;                 // encryption by default
  bool default_key_changed;  // settings.default_kms_key_arn = kD (else alias/aws/ebs)
  KeySourceInfo source;
  KeyChoice want;
};

TEST(KeyResolutionTest, Matrix) {
  using enum KeyOperation;
  using enum KeyOrigin;
  const std::vector<Row> rows = {
      // CreateVolume, empty.
      {"empty, nothing asked", kCreateVolume, std::nullopt, "", false, false, kNoSource, kUnencrypted},
      {"empty, Encrypted=false", kCreateVolume, false, "", false, false, kNoSource, kUnencrypted},
      {"empty, Encrypted=true -> aws/ebs", kCreateVolume, true, "", false, false, kNoSource,
       Encrypted(kAwsEbsAlias, kDefault, false)},
      {"empty, Encrypted=true -> changed D", kCreateVolume, true, "", false, true, kNoSource,
       Encrypted(kD, kDefault, false)},
      {"empty, EBD -> D", kCreateVolume, std::nullopt, "", true, true, kNoSource, Encrypted(kD, kDefault, false)},
      {"empty, EBD beats Encrypted=false", kCreateVolume, false, "", true, false, kNoSource,
       Encrypted(kAwsEbsAlias, kDefault, false)},
      {"empty, K", kCreateVolume, true, kK, false, true, kNoSource, Encrypted(kK, kRequested, false)},
      {"empty, K with EBD", kCreateVolume, true, kK, true, true, kNoSource, Encrypted(kK, kRequested, false)},
      // CreateVolume from an unencrypted snapshot.
      {"plain snapshot, nothing", kCreateVolume, std::nullopt, "", false, false, kPlainSource, kUnencrypted},
      {"plain snapshot, Encrypted -> D, copy", kCreateVolume, true, "", false, false, kPlainSource,
       Encrypted(kAwsEbsAlias, kDefault, true)},
      {"plain snapshot, EBD -> D, copy", kCreateVolume, std::nullopt, "", true, true, kPlainSource,
       Encrypted(kD, kDefault, true)},
      {"plain snapshot, K, copy", kCreateVolume, true, kK, false, false, kPlainSource, Encrypted(kK, kRequested, true)},
      // CreateVolume from an encrypted snapshot.
      {"owned encrypted, nothing -> same key", kCreateVolume, std::nullopt, "", false, true, kOwnedEncrypted,
       Encrypted(kS, kSource, false)},
      {"owned encrypted, Encrypted=false ignored", kCreateVolume, false, "", false, false, kOwnedEncrypted,
       Encrypted(kS, kSource, false)},
      {"owned encrypted, EBD -> same key", kCreateVolume, true, "", true, true, kOwnedEncrypted,
       Encrypted(kS, kSource, false)},
      {"owned encrypted, K -> re-encrypt", kCreateVolume, true, kK, false, false, kOwnedEncrypted,
       Encrypted(kK, kRequested, true)},
      {"owned encrypted, K = its own ARN -> reuse", kCreateVolume, true, kS, false, false, kOwnedEncrypted,
       Encrypted(kS, kRequested, false)},
      {"shared encrypted, nothing -> caller's D, re-encrypt", kCreateVolume, std::nullopt, "", false, false,
       kSharedEncrypted, Encrypted(kAwsEbsAlias, kDefault, true)},
      {"shared encrypted, changed D", kCreateVolume, true, "", false, true, kSharedEncrypted,
       Encrypted(kD, kDefault, true)},
      {"shared encrypted, K", kCreateVolume, true, kK, false, false, kSharedEncrypted, Encrypted(kK, kRequested, true)},
      // Launch follows CreateVolume.
      {"launch, owned encrypted", kLaunch, std::nullopt, "", false, false, kOwnedEncrypted,
       Encrypted(kS, kSource, false)},
      {"launch, plain with EBD", kLaunch, std::nullopt, "", true, false, kPlainSource,
       Encrypted(kAwsEbsAlias, kDefault, true)},
      {"launch, shared encrypted", kLaunch, std::nullopt, "", false, true, kSharedEncrypted,
       Encrypted(kD, kDefault, true)},
      // CopySnapshot.
      {"copy plain, nothing", kCopySnapshot, std::nullopt, "", false, false, kPlainSource, kUnencrypted},
      {"copy plain, Encrypted -> D", kCopySnapshot, true, "", false, false, kPlainSource,
       Encrypted(kAwsEbsAlias, kDefault, true)},
      {"copy plain, EBD -> D", kCopySnapshot, false, "", true, true, kPlainSource, Encrypted(kD, kDefault, true)},
      {"copy plain cross-region stays plain", kCopySnapshot, std::nullopt, "", false, false, kOtherRegionPlain,
       kUnencrypted},
      {"copy owned encrypted -> same key, no copy", kCopySnapshot, std::nullopt, "", false, false, kOwnedEncrypted,
       Encrypted(kS, kSource, false)},
      {"copy owned encrypted, Encrypted=false ignored", kCopySnapshot, false, "", false, false, kOwnedEncrypted,
       Encrypted(kS, kSource, false)},
      {"copy owned encrypted, K", kCopySnapshot, true, kK, false, false, kOwnedEncrypted,
       Encrypted(kK, kRequested, true)},
      {"copy owned encrypted cross-region -> destination D", kCopySnapshot, std::nullopt, "", false, true,
       kOtherRegionEncrypted, Encrypted(kD, kDefault, true)},
      {"copy cross-region with K", kCopySnapshot, true, kK, false, false, kOtherRegionEncrypted,
       Encrypted(kK, kRequested, true)},
      {"copy shared encrypted -> caller's D", kCopySnapshot, std::nullopt, "", false, false, kSharedEncrypted,
       Encrypted(kAwsEbsAlias, kDefault, true)},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EbsSettings settings;
    settings.encryption_by_default = row.ebd;
    if (row.default_key_changed) settings.default_kms_key_arn = kD;
    KeyRequest request{row.op, row.encrypted, row.kms_key_id, row.source};
    auto got = ResolveKey(request, settings);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->encrypted, row.want.encrypted);
    EXPECT_EQ(got->key_id, row.want.key_id);
    EXPECT_EQ(got->origin, row.want.origin);
    EXPECT_EQ(got->reencrypt, row.want.reencrypt);
  }
}

TEST(KeyResolutionTest, KmsKeyIdRequiresEncrypted) {
  for (std::optional<bool> encrypted : {std::optional<bool>(), std::optional<bool>(false)}) {
    for (const auto& source : {kNoSource, kPlainSource, kOwnedEncrypted}) {
      for (bool ebd : {false, true}) {
        EbsSettings settings;
        settings.encryption_by_default = ebd;
        auto got = ResolveKey(KeyRequest{KeyOperation::kCreateVolume, encrypted, kK, source}, settings);
        EXPECT_EQ(ErrorOf(got.status()), Ec2Error::kInvalidParameterDependency);
        EXPECT_EQ(got.status().message(), "The parameter KmsKeyId requires the parameter Encrypted to be set.");
      }
    }
  }
}

TEST(KeyResolutionTest, EncryptedSourceNeverYieldsUnencrypted) {
  for (auto op : {KeyOperation::kCreateVolume, KeyOperation::kCopySnapshot, KeyOperation::kLaunch}) {
    for (const auto& source : {kOwnedEncrypted, kSharedEncrypted, kOtherRegionEncrypted}) {
      for (std::optional<bool> encrypted : {std::optional<bool>(), std::optional<bool>(false), std::optional<bool>(true)}) {
        auto got = ResolveKey(KeyRequest{op, encrypted, "", source}, EbsSettings{});
        ASSERT_TRUE(got.ok());
        EXPECT_TRUE(got->encrypted);
        EXPECT_FALSE(got->key_id.empty());
      }
    }
  }
}

TEST(KeyResolutionTest, SettleResolvedKeyReusesTheSourceKeyOnlyWhenItIsTheSame) {
  // D resolves to the owned source's own key: no re-encryption.
  KeyChoice c = Encrypted(kAwsEbsAlias, KeyOrigin::kDefault, true);
  SettleResolvedKey(c, kS, kOwnedEncrypted);
  EXPECT_EQ(c, Encrypted(kS, KeyOrigin::kSource, false));
  // A different key, a shared source or another region: unchanged.
  c = Encrypted(kK, KeyOrigin::kRequested, true);
  SettleResolvedKey(c, kD, kOwnedEncrypted);
  EXPECT_EQ(c, Encrypted(kK, KeyOrigin::kRequested, true));
  c = Encrypted(kK, KeyOrigin::kRequested, true);
  SettleResolvedKey(c, kS, kSharedEncrypted);
  EXPECT_TRUE(c.reencrypt);
  c = Encrypted(kK, KeyOrigin::kRequested, true);
  SettleResolvedKey(c, kS, kOtherRegionEncrypted);
  EXPECT_TRUE(c.reencrypt);
  // Unencrypted source being encrypted: always a copy.
  c = Encrypted(kK, KeyOrigin::kRequested, true);
  SettleResolvedKey(c, kS, kPlainSource);
  EXPECT_TRUE(c.reencrypt);
}

TEST(KeyResolutionTest, DefaultKey) {
  EXPECT_EQ(DefaultKeyOf(EbsSettings{}), "alias/aws/ebs");
  EbsSettings s;
  s.default_kms_key_arn = kD;
  EXPECT_EQ(DefaultKeyOf(s), kD);
}

}  // namespace
}  // namespace kura::ec2
