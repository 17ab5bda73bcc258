// KmsService aliases: create/update/delete/list, reserved names, quotas.
#include "kms/identifiers.h"
#include "kms/test_fixture.h"

namespace kura::kms::testing {
namespace {

using AliasOpsTest = KmsTest;

TEST_F(AliasOpsTest, CreateUpdateDelete) {
  auto k1 = NewKey();
  auto k2 = NewKey();
  auto as = As(Root(kAlice));
  now_ += 10;
  ASSERT_TRUE(svc_->CreateAlias(as, "alias/app", k1.arn).ok());
  auto dup = svc_->CreateAlias(as, "alias/app", k2.key_id);
  EXPECT_EQ(ErrorOf(dup), KmsError::kAlreadyExists);
  EXPECT_EQ(dup.message(), "An alias with the name arn:aws:kms:us-east-1:111122223333:alias/app already exists");
  EXPECT_EQ(svc_->DescribeKey(as, "alias/app")->arn, k1.arn);
  now_ += 10;
  ASSERT_TRUE(svc_->UpdateAlias(as, "alias/app", k2.key_id).ok());
  EXPECT_EQ(svc_->DescribeKey(as, "alias/app")->arn, k2.arn);
  auto list = svc_->ListAliases(as, std::nullopt, {});
  ASSERT_TRUE(list.ok());
  const AliasEntry* app = nullptr;
  for (const auto& e : list->items) {
    if (e.alias_name == "alias/app") app = &e;
  }
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->alias_arn, "arn:aws:kms:us-east-1:111122223333:alias/app");
  EXPECT_EQ(app->target_key_id, k2.key_id);
  EXPECT_EQ(app->creation_date, now_ - 10);
  EXPECT_EQ(app->last_updated_date, now_);
  ASSERT_TRUE(svc_->DeleteAlias(as, "alias/app").ok());
  EXPECT_KMS_ERROR(svc_->DescribeKey(as, "alias/app"), KmsError::kNotFound);
  auto missing = svc_->DeleteAlias(as, "alias/app");
  EXPECT_EQ(missing.message(), "Alias arn:aws:kms:us-east-1:111122223333:alias/app is not found.");
  EXPECT_KMS_ERROR(svc_->UpdateAlias(as, "alias/app", k1.key_id), KmsError::kNotFound);
}

TEST_F(AliasOpsTest, NameRules) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  auto no_prefix = svc_->CreateAlias(as, "app", k.key_id);
  EXPECT_EQ(ErrorOf(no_prefix), KmsError::kValidation);
  EXPECT_EQ(no_prefix.message(),
            "Alias must start with the prefix \"alias/\". Please see "
            "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
  EXPECT_KMS_ERROR(svc_->CreateAlias(as, "alias/bad name", k.key_id), KmsError::kValidation);
  EXPECT_KMS_ERROR(svc_->CreateAlias(as, "alias/", k.key_id), KmsError::kValidation);
  EXPECT_KMS_ERROR(svc_->CreateAlias(as, "alias/" + std::string(251, 'a'), k.key_id), KmsError::kValidation);
  EXPECT_TRUE(svc_->CreateAlias(as, "alias/" + std::string(250, 'a'), k.key_id).ok());
  EXPECT_KMS_ERROR(svc_->CreateAlias(as, "alias/aws/ebs", k.key_id), KmsError::kNotAuthorized);
  EXPECT_KMS_ERROR(svc_->CreateAlias(as, "alias/aws/mine", k.key_id), KmsError::kNotAuthorized);
  EXPECT_TRUE(svc_->CreateAlias(as, "alias/awsome", k.key_id).ok());
  EXPECT_KMS_ERROR(svc_->DeleteAlias(as, "alias/aws/ebs"), KmsError::kNotAuthorized);
  EXPECT_KMS_ERROR(svc_->UpdateAlias(as, "alias/aws/ebs", k.key_id), KmsError::kNotAuthorized);
  // Target must be a key id or ARN, not an alias.
  EXPECT_KMS_ERROR(svc_->CreateAlias(as, "alias/x", "alias/awsome"), KmsError::kNotFound);
  EXPECT_KMS_ERROR(svc_->CreateAlias(as, "alias/x", "00000000-0000-4000-8000-000000000000"), KmsError::kNotFound);
}

TEST_F(AliasOpsTest, AliasesAreRegionalAndPerAccount) {
  auto k = NewKey();
  auto tokyo = NewKey(kAlice, kTokyo);
  ASSERT_TRUE(svc_->CreateAlias(As(Root(kAlice)), "alias/same", k.key_id).ok());
  ASSERT_TRUE(svc_->CreateAlias(As(Root(kAlice), kTokyo), "alias/same", tokyo.key_id).ok());
  EXPECT_EQ(svc_->DescribeKey(As(Root(kAlice), kTokyo), "alias/same")->arn, tokyo.arn);
  EXPECT_EQ(svc_->DescribeKey(As(Root(kAlice)), "alias/same")->arn, k.arn);
  auto bob_key = NewKey(kBob);
  ASSERT_TRUE(svc_->CreateAlias(As(Root(kBob)), "alias/same", bob_key.key_id).ok());
  // A key of another account cannot be an alias target.
  EXPECT_KMS_ERROR(svc_->CreateAlias(As(Root(kAlice)), "alias/theirs", bob_key.arn), KmsError::kNotFound);
}

TEST_F(AliasOpsTest, ListAliasesFilterPaginationAndPredefined) {
  auto k1 = NewKey();
  auto k2 = NewKey();
  auto as = As(Root(kAlice));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(svc_->CreateAlias(as, "alias/a" + std::to_string(i), k1.key_id).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(svc_->CreateAlias(as, "alias/b" + std::to_string(i), k2.key_id).ok());
  auto filtered = svc_->ListAliases(as, k2.arn, {});
  ASSERT_TRUE(filtered.ok());
  ASSERT_EQ(filtered->items.size(), 3u);
  for (const auto& e : filtered->items) EXPECT_EQ(e.target_key_id, k2.key_id);
  EXPECT_KMS_ERROR(svc_->ListAliases(as, std::string("alias/a1"), {}), KmsError::kNotFound);

  // All: 8 customer aliases + the predefined alias/aws/ebs without a target.
  std::vector<AliasEntry> all;
  PageRequest page;
  page.limit = 3;
  for (int guard = 0; guard < 10; ++guard) {
    auto p = svc_->ListAliases(as, std::nullopt, page);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    all.insert(all.end(), p->items.begin(), p->items.end());
    if (!p->truncated) break;
    page.marker = p->next_marker;
  }
  ASSERT_EQ(all.size(), 9u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].alias_name, all[i].alias_name);
  const auto& ebs = all[5];  // alias/a0..a4 < alias/aws/ebs < alias/b0..b2
  EXPECT_EQ(ebs.alias_name, "alias/aws/ebs");
  EXPECT_EQ(ebs.alias_arn, "arn:aws:kms:us-east-1:111122223333:alias/aws/ebs");
  EXPECT_FALSE(ebs.target_key_id.has_value());
  // Once the AWS managed key exists, the alias has a target.
  auto managed = svc_->DescribeKey(as, "alias/aws/ebs");
  ASSERT_TRUE(managed.ok());
  auto after = svc_->ListAliases(as, std::nullopt, {});
  ASSERT_EQ(after->items.size(), 9u);
  EXPECT_EQ(after->items[5].alias_name, "alias/aws/ebs");
  EXPECT_EQ(after->items[5].target_key_id, managed->key_id);
  PageRequest bad;
  bad.limit = 101;
  EXPECT_KMS_ERROR(svc_->ListAliases(as, std::nullopt, bad), KmsError::kValidation);
  bad = {};
  bad.marker = EncodeMarker("keys", "x");
  EXPECT_KMS_ERROR(svc_->ListAliases(as, std::nullopt, bad), KmsError::kInvalidMarker);
}

TEST_F(AliasOpsTest, FiftyAliasesPerKey) {
  auto k = NewKey();
  auto other = NewKey();
  auto as = As(Root(kAlice));
  for (int i = 0; i < kMaxAliasesPerKey; ++i) {
    ASSERT_TRUE(svc_->CreateAlias(as, "alias/n" + std::to_string(i), k.key_id).ok());
  }
  EXPECT_KMS_ERROR(svc_->CreateAlias(as, "alias/too-many", k.key_id), KmsError::kLimitExceeded);
  ASSERT_TRUE(svc_->CreateAlias(as, "alias/elsewhere", other.key_id).ok());
  EXPECT_KMS_ERROR(svc_->UpdateAlias(as, "alias/elsewhere", k.key_id), KmsError::kLimitExceeded);
}

TEST_F(AliasOpsTest, AliasPermissionsNeedIamOnTheAliasToo) {
  auto k = NewKey();
  const auto alice = User(kAlice, "alice");
  // IAM allows kms:CreateAlias only on the key, not on the alias resource.
  Allow(alice, R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:CreateAlias","Resource":")" +
                   k.arn + R"("}]})");
  auto denied = svc_->CreateAlias(As(alice), "alias/mine", k.key_id);
  EXPECT_EQ(ErrorOf(denied), KmsError::kAccessDenied);
  EXPECT_EQ(denied.message(),
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:CreateAlias on resource: "
            "arn:aws:kms:us-east-1:111122223333:alias/mine because no identity-based policy allows the "
            "kms:CreateAlias action");
  Allow(alice, R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:CreateAlias","Resource":)"
               R"("arn:aws:kms:us-east-1:111122223333:alias/*"}]})");
  EXPECT_TRUE(svc_->CreateAlias(As(alice), "alias/mine", k.key_id).ok());
}

}  // namespace
}  // namespace kura::kms::testing
