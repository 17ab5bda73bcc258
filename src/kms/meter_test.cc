#include "kms/meter.h"

#include <gtest/gtest.h>

#include "kms/schema.h"
#include "meta/testing/backend_test.h"

namespace kura::kms {
namespace {

constexpr int64_t kJan2024 = 1704067200;  // 2024-01-01T00:00:00Z
constexpr int64_t kFeb2024 = 1706745600;  // 2024-02-01T00:00:00Z
constexpr int64_t kHour = 3600;

TEST(MeterCalendarTest, Months) {
  EXPECT_EQ(MonthOf(kJan2024), "2024-01");
  EXPECT_EQ(MonthOf(kFeb2024 - 1), "2024-01");
  EXPECT_EQ(MonthOf(kFeb2024), "2024-02");
  EXPECT_EQ(MonthOf(0), "1970-01");
  auto b = MonthBounds("2024-01");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first, kJan2024);
  EXPECT_EQ(b->second, kFeb2024);
  auto dec = MonthBounds("2023-12");
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(dec->second, kJan2024);
  EXPECT_FALSE(MonthBounds("2024-13").ok());
  EXPECT_FALSE(MonthBounds("2024-1").ok());
  EXPECT_FALSE(MonthBounds("abcd-ef").ok());
}

class MeterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test_db_ = meta::CreateEnvironmentTestDatabase();
    if (!test_db_) return;
    auto db = test_db_->Open();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::shared_ptr<meta::Database>(std::move(db).value());
    ASSERT_TRUE(ApplyKmsMigrations(*db_).ok());
    meter_ = std::make_unique<Meter>(db_);
  }
  void InTxn(const std::function<base::Status(meta::Transaction&)>& f) {
    auto txn = db_->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(f(**txn).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  std::unique_ptr<meta::TestDatabase> test_db_;  // outlives db_ and meter_
  std::shared_ptr<meta::Database> db_;
  std::unique_ptr<Meter> meter_;
};

TEST_F(MeterTest, RequestsAndFreeTier) {
  for (int i = 0; i < 25000; ++i) meter_->CountRequest("111122223333", i % 2 ? "us-east-1" : "ap-northeast-1", kJan2024 + i);
  meter_->CountRequest("111122223333", "us-east-1", kFeb2024);  // next month
  meter_->CountRequest("444455556666", "us-east-1", kJan2024);  // another account
  auto bill = meter_->ComputeBill("111122223333", "2024-01");
  ASSERT_TRUE(bill.ok()) << bill.status().ToString();
  EXPECT_EQ(bill->requests, 25000);
  EXPECT_EQ(bill->free_requests, 20000);
  EXPECT_EQ(bill->billable_requests, 5000);
  EXPECT_NEAR(bill->request_cost_usd, 0.015, 1e-9);
  ASSERT_EQ(bill->regions.size(), 2u);
  EXPECT_EQ(bill->regions[0].region, "ap-northeast-1");
  EXPECT_EQ(bill->regions[0].requests, 12500);
  // Flushed counts accumulate with later ones.
  meter_->CountRequest("111122223333", "us-east-1", kJan2024);
  EXPECT_EQ(meter_->ComputeBill("111122223333", "2024-01")->requests, 25001);
}

TEST_F(MeterTest, KeyMonthsProratedHourly) {
  const std::string a = "arn:aws:kms:us-east-1:111122223333:key/a";
  const std::string b = "arn:aws:kms:us-east-1:111122223333:key/b";
  InTxn([&](meta::Transaction& t) { return meter_->KeyCreated(t, a, "111122223333", "us-east-1", kJan2024 - 100); });
  // b lives 31 days * 24 h / 2 = half of January, created mid-month.
  const int64_t half = (kFeb2024 - kJan2024) / 2;
  InTxn([&](meta::Transaction& t) { return meter_->KeyCreated(t, b, "111122223333", "us-east-1", kJan2024 + half); });
  auto bill = meter_->ComputeBill("111122223333", "2024-01");
  ASSERT_TRUE(bill.ok());
  EXPECT_NEAR(bill->key_months, 1.5, 1e-9);
  EXPECT_NEAR(bill->key_cost_usd, 1.5, 1e-9);
  EXPECT_NEAR(bill->total_usd, 1.5, 1e-9);
}

TEST_F(MeterTest, RotationsAddUpToTwoKeyMonths) {
  const std::string a = "arn:aws:kms:us-east-1:111122223333:key/a";
  InTxn([&](meta::Transaction& t) { return meter_->KeyCreated(t, a, "111122223333", "us-east-1", kJan2024 - 100); });
  for (uint32_t v = 2; v <= 5; ++v) {
    InTxn([&](meta::Transaction& t) { return meter_->VersionAdded(t, a, v, kJan2024 - 50); });
  }
  auto bill = meter_->ComputeBill("111122223333", "2024-01");
  ASSERT_TRUE(bill.ok());
  EXPECT_NEAR(bill->key_months, 3.0, 1e-9);  // the key + first and second rotation
  // Versions of an AWS managed (unbilled) key are ignored.
  InTxn([&](meta::Transaction& t) { return meter_->VersionAdded(t, "arn:aws:kms:us-east-1:111122223333:key/aws", 2, kJan2024); });
  EXPECT_NEAR(meter_->ComputeBill("111122223333", "2024-01")->key_months, 3.0, 1e-9);
}

TEST_F(MeterTest, DeletedKeyNotBilledForItsWindowCancelledIs) {
  const std::string a = "arn:aws:kms:us-east-1:111122223333:key/a";
  const std::string b = "arn:aws:kms:us-east-1:111122223333:key/b";
  InTxn([&](meta::Transaction& t) { return meter_->KeyCreated(t, a, "111122223333", "us-east-1", kJan2024); });
  InTxn([&](meta::Transaction& t) { return meter_->KeyCreated(t, b, "111122223333", "us-east-1", kJan2024); });
  // a: scheduled after 10 hours, deleted 7 days later -> 10 hours.
  InTxn([&](meta::Transaction& t) { return meter_->DeletionScheduled(t, a, kJan2024 + 10 * kHour); });
  InTxn([&](meta::Transaction& t) { return meter_->KeyDeleted(t, a, kJan2024 + 10 * kHour + 7 * 86400); });
  // b: scheduled then cancelled -> the whole month.
  InTxn([&](meta::Transaction& t) { return meter_->DeletionScheduled(t, b, kJan2024 + 10 * kHour); });
  InTxn([&](meta::Transaction& t) { return meter_->DeletionCancelled(t, b); });
  auto bill = meter_->ComputeBill("111122223333", "2024-01");
  ASSERT_TRUE(bill.ok());
  EXPECT_NEAR(bill->key_months, 1.0 + 10.0 / (31 * 24), 1e-9);
  // February: a is gone.
  EXPECT_NEAR(meter_->ComputeBill("111122223333", "2024-02")->key_months, 1.0, 1e-9);
}

}  // namespace
}  // namespace kura::kms
