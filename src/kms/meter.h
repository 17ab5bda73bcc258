// Meter: usage for cost reports (shared/spec/pricing.md §1), kept in the
// metadata store — requests per caller account, region and month, and the
// life of every customer managed key and of its first three material
// versions (key-months) — and Bill(account, month) from them.
//
// Rules: $1 per customer managed key-month, prorated hourly (every started
// hour counts); the first and second rotation each add $1/month, later ones
// are free; AWS managed keys cost nothing; a key that was deleted is not
// billed for its pending-deletion window, a cancelled deletion is billed as if
// never scheduled; requests cost $0.03 per 10,000 after a free tier of
// 20,000 per account and month across all regions; the account that makes a
// request pays for it.
// Thread-safety: safe from any thread. Request counts are buffered in memory
// and written by Flush (also called by Bill and on destruction).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "base/status.h"
#include "meta/database.h"

namespace kura::kms {

inline constexpr int64_t kFreeRequestsPerMonth = 20000;
inline constexpr double kUsdPerRequest = 0.03 / 10000.0;
inline constexpr double kUsdPerKeyMonth = 1.0;

struct RegionUsage {
  std::string region;
  int64_t requests = 0;
  double key_months = 0;
};

struct Bill {
  std::string account_id;
  std::string month;  // "2025-01"
  int64_t requests = 0;
  int64_t free_requests = 0;
  int64_t billable_requests = 0;
  double request_cost_usd = 0;
  double key_months = 0;
  double key_cost_usd = 0;
  double total_usd = 0;
  std::vector<RegionUsage> regions;  // by region name
};

// "YYYY-MM" (UTC) of a Unix time.
std::string MonthOf(int64_t unix_seconds);
// [start, end) Unix seconds of "YYYY-MM"; InvalidArgument when malformed.
base::Result<std::pair<int64_t, int64_t>> MonthBounds(const std::string& month);

class Meter {
 public:
  explicit Meter(std::shared_ptr<meta::Database> db);
  ~Meter();

  // One request by `account_id` in `region` at `now`.
  void CountRequest(const std::string& account_id, const std::string& region, int64_t now);
  base::Status Flush();

  // Key life events, written in the transaction of the operation that causes them.
  base::Status KeyCreated(meta::Transaction& txn, const std::string& key_arn, const std::string& account_id,
                          const std::string& region, int64_t now);
  base::Status VersionAdded(meta::Transaction& txn, const std::string& key_arn, uint32_t version, int64_t now);
  base::Status DeletionScheduled(meta::Transaction& txn, const std::string& key_arn, int64_t now);
  base::Status DeletionCancelled(meta::Transaction& txn, const std::string& key_arn);
  base::Status KeyDeleted(meta::Transaction& txn, const std::string& key_arn, int64_t now);

  // Test-harness reset: deletes every usage row in `txn` and drops the
  // request counts not yet flushed.
  base::Status DeleteAll(meta::Transaction& txn);

  base::Result<Bill> ComputeBill(const std::string& account_id, const std::string& month);

 private:
  std::shared_ptr<meta::Database> db_;
  std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> pending_;  // (account, region, month)
};

}  // namespace kura::kms
