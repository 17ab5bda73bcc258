// KmsService::Reset (the test-harness reset behind POST /_kura/reset): every
// key, alias, grant, tag and meter row goes; the service keeps working.
#include "kms/test_fixture.h"

namespace kura::kms::testing {
namespace {

using ResetTest = KmsTest;

int64_t Rows(meta::Database& db, const std::string& table) {
  auto rows = db.Query("SELECT COUNT(*) FROM " + table);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? (*rows)[0].Int(0) : -1;
}

size_t AliasesWithKeys(const Page<AliasEntry>& page) {
  size_t n = 0;
  for (const auto& a : page.items) n += a.target_key_id.has_value();
  return n;
}

TEST_F(ResetTest, DeletesEveryKeyAliasGrantTagAndMeterRow) {
  auto as = As(Root(kAlice));
  auto key = NewKey();
  auto tokyo_key = NewKey(kAlice, kTokyo);
  auto bob_key = NewKey(kBob);
  ASSERT_TRUE(svc_->CreateAlias(as, "alias/reset-me", key.key_id).ok());
  ASSERT_TRUE(svc_->TagResource(as, key.key_id, {Tag{"team", "kura"}}).ok());
  CreateGrantRequest grant;
  grant.key_id = key.key_id;
  grant.grantee_principal = User(kAlice, "bob").arn;
  grant.operations = {GrantOperation::kDecrypt};
  ASSERT_TRUE(svc_->CreateGrant(as, grant).ok());
  auto ebs = svc_->DescribeKey(as, "alias/aws/ebs");  // an AWS managed key, created lazily
  ASSERT_TRUE(ebs.ok()) << ebs.status().ToString();
  auto blob = EncryptAs(as, key.key_id, "before the reset");
  ASSERT_TRUE(svc_->RotateKeyOnDemand(as, key.key_id).ok());
  ASSERT_TRUE(svc_->FlushMeter().ok());
  EncryptAs(as, key.key_id, "counted, not yet flushed");
  for (const char* table : {"kms_keys", "kms_key_versions", "kms_aliases", "kms_grants", "kms_tags",
                            "kms_usage_requests", "kms_usage_keys", "kms_usage_versions"}) {
    EXPECT_GT(Rows(*db_, table), 0) << table;
  }

  ASSERT_TRUE(svc_->Reset().ok());

  for (const char* table : {"kms_keys", "kms_key_versions", "kms_aliases", "kms_grants", "kms_tags",
                            "kms_usage_requests", "kms_usage_keys", "kms_usage_versions"}) {
    EXPECT_EQ(Rows(*db_, table), 0) << table;
  }
  // The unflushed request counts went too.
  auto bill = svc_->ComputeBill(kAlice, MonthOf(now_));
  ASSERT_TRUE(bill.ok()) << bill.status().ToString();
  EXPECT_EQ(bill->requests, 0);
  EXPECT_EQ(bill->key_months, 0.0);

  EXPECT_TRUE(svc_->ListKeys(as, {})->items.empty());
  EXPECT_TRUE(svc_->ListKeys(As(Root(kAlice), kTokyo), {})->items.empty());
  EXPECT_TRUE(svc_->ListKeys(As(Root(kBob)), {})->items.empty());
  EXPECT_EQ(AliasesWithKeys(*svc_->ListAliases(as, std::nullopt, {})), 0u);
  EXPECT_KMS_ERROR(svc_->DescribeKey(as, key.key_id), KmsError::kNotFound);
  EXPECT_KMS_ERROR(svc_->DescribeKey(As(Root(kAlice), kTokyo), tokyo_key.key_id), KmsError::kNotFound);
  EXPECT_KMS_ERROR(svc_->DescribeKey(As(Root(kBob)), bob_key.key_id), KmsError::kNotFound);
  EXPECT_KMS_ERROR(svc_->DescribeKey(as, "alias/reset-me"), KmsError::kNotFound);
  EXPECT_FALSE(DecryptAs(as, blob).ok());

  // The service goes on: names are free again, alias/aws/ebs is created anew.
  auto again = NewKey();
  ASSERT_TRUE(svc_->CreateAlias(as, "alias/reset-me", again.key_id).ok());
  EXPECT_EQ(svc_->DescribeKey(as, "alias/reset-me")->key_id, again.key_id);
  auto ebs_again = svc_->DescribeKey(as, "alias/aws/ebs");
  ASSERT_TRUE(ebs_again.ok()) << ebs_again.status().ToString();
  EXPECT_NE(ebs_again->arn, ebs->arn);
  auto round_trip = DecryptAs(as, EncryptAs(as, "alias/reset-me", "after the reset"));
  ASSERT_TRUE(round_trip.ok()) << round_trip.status().ToString();
  EXPECT_EQ(Text(round_trip->plaintext), "after the reset");
  EXPECT_EQ(svc_->ListKeys(as, {})->items.size(), 2u);
}

TEST_F(ResetTest, OfAnEmptyServiceIsANoOp) {
  ASSERT_TRUE(svc_->Reset().ok());
  ASSERT_TRUE(svc_->Reset().ok());
  EXPECT_TRUE(svc_->ListKeys(As(Root(kAlice)), {})->items.empty());
}

}  // namespace
}  // namespace kura::kms::testing
