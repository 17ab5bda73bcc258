#include "kms/meter.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace kura::kms {

namespace {

// Howard Hinnant's civil calendar algorithms (proleptic Gregorian, UTC).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

constexpr int64_t kHour = 3600;

}  // namespace

std::string MonthOf(int64_t unix_seconds) {
  int64_t y = 0;
  unsigned m = 0;
  CivilFromDays(FloorDiv(unix_seconds, 86400), &y, &m);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u", static_cast<long long>(y), m);
  return buf;
}

base::Result<std::pair<int64_t, int64_t>> MonthBounds(const std::string& month) {
  int y = 0;
  unsigned m = 0;
  char extra = 0;
  if (month.size() != 7 || std::sscanf(month.c_str(), "%4d-%2u%c", &y, &m, &extra) != 2 || m < 1 || m > 12) {
    return base::InvalidArgumentError("month must be YYYY-MM, got '" + month + "'");
  }
  const int64_t start = DaysFromCivil(y, m, 1) * 86400;
  const int64_t end = (m == 12 ? DaysFromCivil(y + 1, 1, 1) : DaysFromCivil(y, m + 1, 1)) * 86400;
  return std::make_pair(start, end);
}

Meter::Meter(std::shared_ptr<meta::Database> db) : db_(std::move(db)) {}

Meter::~Meter() { (void)Flush(); }

void Meter::CountRequest(const std::string& account_id, const std::string& region, int64_t now) {
  std::lock_guard lock(mu_);
  ++pending_[{account_id, region, MonthOf(now)}];
}

base::Status Meter::Flush() {
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return base::Status::Ok();
  auto write = [&]() -> base::Status {
    KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
    for (const auto& [k, n] : batch) {
      const auto& [account, region, month] = k;
      KURA_RETURN_IF_ERROR(txn->Exec("UPDATE kms_usage_requests SET requests = requests + ? WHERE account_id = ? "
                                     "AND region = ? AND month = ?",
                                     {n, account, region, month}));
      if (txn->ChangedRows() == 0) {
        KURA_RETURN_IF_ERROR(txn->Exec("INSERT INTO kms_usage_requests (account_id, region, month, requests) "
                                       "VALUES (?, ?, ?, ?)",
                                       {account, region, month, n}));
      }
    }
    return txn->Commit();
  };
  base::Status s = write();
  if (!s.ok()) {
    // Keep the counts for the next attempt.
    std::lock_guard lock(mu_);
    for (const auto& [k, n] : batch) pending_[k] += n;
  }
  return s;
}

base::Status Meter::KeyCreated(meta::Transaction& txn, const std::string& key_arn, const std::string& account_id,
                               const std::string& region, int64_t now) {
  KURA_RETURN_IF_ERROR(txn.Exec("INSERT INTO kms_usage_keys (key_arn, account_id, region, created_at) "
                                "VALUES (?, ?, ?, ?)",
                                {key_arn, account_id, region, now}));
  return VersionAdded(txn, key_arn, 1, now);
}

base::Status Meter::VersionAdded(meta::Transaction& txn, const std::string& key_arn, uint32_t version, int64_t now) {
  KURA_ASSIGN_OR_RETURN(auto rows, txn.Query("SELECT 1 FROM kms_usage_keys WHERE key_arn = ?", {key_arn}));
  if (rows.empty()) return base::Status::Ok();  // not a billed (customer managed) key
  return txn.Exec("INSERT INTO kms_usage_versions (key_arn, version, created_at) VALUES (?, ?, ?)",
                  {key_arn, int64_t{version}, now});
}

base::Status Meter::DeletionScheduled(meta::Transaction& txn, const std::string& key_arn, int64_t now) {
  return txn.Exec("UPDATE kms_usage_keys SET deletion_scheduled_at = ? WHERE key_arn = ?", {now, key_arn});
}

base::Status Meter::DeletionCancelled(meta::Transaction& txn, const std::string& key_arn) {
  return txn.Exec("UPDATE kms_usage_keys SET deletion_scheduled_at = NULL WHERE key_arn = ?", {key_arn});
}

base::Status Meter::KeyDeleted(meta::Transaction& txn, const std::string& key_arn, int64_t now) {
  return txn.Exec("UPDATE kms_usage_keys SET deleted_at = ? WHERE key_arn = ?", {now, key_arn});
}

base::Status Meter::DeleteAll(meta::Transaction& txn) {
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM kms_usage_requests"));
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM kms_usage_keys"));
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM kms_usage_versions"));
  std::lock_guard lock(mu_);
  pending_.clear();
  return base::Status::Ok();
}

base::Result<Bill> Meter::ComputeBill(const std::string& account_id, const std::string& month) {
  KURA_ASSIGN_OR_RETURN(auto bounds, MonthBounds(month));
  KURA_RETURN_IF_ERROR(Flush());
  const auto [start, end] = bounds;
  const double month_hours = static_cast<double>((end - start) / kHour);
  std::map<std::string, RegionUsage> regions;
  Bill bill;
  bill.account_id = account_id;
  bill.month = month;

  KURA_ASSIGN_OR_RETURN(auto req_rows, db_->Query("SELECT region, requests FROM kms_usage_requests WHERE "
                                                  "account_id = ? AND month = ?",
                                                  {account_id, month}));
  for (const auto& r : req_rows) {
    auto& u = regions[r.Text(0)];
    u.region = r.Text(0);
    u.requests += r.Int(1);
    bill.requests += r.Int(1);
  }

  KURA_ASSIGN_OR_RETURN(auto key_rows, db_->Query("SELECT key_arn, region, deletion_scheduled_at, deleted_at FROM "
                                                  "kms_usage_keys WHERE account_id = ? AND created_at < ? AND "
                                                  "(deleted_at IS NULL OR deleted_at > ?)",
                                                  {account_id, end, start}));
  for (const auto& k : key_rows) {
    // A deleted key is not billed from the moment its deletion was scheduled.
    int64_t billed_until = std::numeric_limits<int64_t>::max();
    if (!k.IsNull(3)) billed_until = k.IsNull(2) ? k.Int(3) : k.Int(2);
    KURA_ASSIGN_OR_RETURN(auto versions, db_->Query("SELECT created_at FROM kms_usage_versions WHERE key_arn = ? "
                                                    "AND version <= 3",
                                                    {k.Text(0)}));
    double months = 0;
    for (const auto& v : versions) {
      const int64_t from = std::max(v.Int(0), start);
      const int64_t to = std::min(billed_until, end);
      if (to <= from) continue;
      const int64_t hours = (to - from + kHour - 1) / kHour;
      months += static_cast<double>(hours) / month_hours;
    }
    auto& u = regions[k.Text(1)];
    u.region = k.Text(1);
    u.key_months += months;
    bill.key_months += months;
  }

  bill.free_requests = std::min(bill.requests, kFreeRequestsPerMonth);
  bill.billable_requests = bill.requests - bill.free_requests;
  bill.request_cost_usd = static_cast<double>(bill.billable_requests) * kUsdPerRequest;
  bill.key_cost_usd = bill.key_months * kUsdPerKeyMonth;
  bill.total_usd = bill.request_cost_usd + bill.key_cost_usd;
  for (auto& [name, u] : regions) bill.regions.push_back(u);
  return bill;
}

}  // namespace kura::kms
