#include "tools/audit_inventory.h"

#include <algorithm>
#include <set>

#include "tools/utc_time.h"

namespace kura::tools {

namespace {

AwsStatus ResolveKeys(const AwsClient& aws, Inventory& inventory) {
  std::set<std::string> names;
  if (!inventory.default_kms_key_id.empty()) names.insert(inventory.default_kms_key_id);
  for (const auto& v : inventory.volumes) {
    if (v.encrypted && !v.kms_key_id.empty()) names.insert(v.kms_key_id);
  }
  for (const auto& s : inventory.snapshots) {
    if (s.encrypted && !s.kms_key_id.empty()) names.insert(s.kms_key_id);
  }
  if (names.empty()) return Done{};
  KURA_AWS_ASSIGN_OR_RETURN(auto aliases, ListAliases(aws));
  for (const auto& name : names) {
    KeyRecord record;
    auto key = DescribeKey(aws, name);
    if (key.ok()) {
      record.found = true;
      record.info = std::move(key).value();
      for (const auto& alias : aliases) {
        if (!alias.target_key_id.empty() && alias.target_key_id == record.info.key_id) {
          record.aliases.push_back(alias.name);
        }
      }
      std::sort(record.aliases.begin(), record.aliases.end());
    } else if (!key.error().Is("NotFoundException")) {
      return key.error();
    }
    inventory.keys[name] = std::move(record);
  }
  return Done{};
}

// A caller may audit without seeing the bill: a refusal is reported, not fatal.
AwsStatus CollectCost(const AwsClient& aws, Inventory& inventory) {
  auto cost = GetMonthlyKmsCost(aws, inventory.cost.month);
  if (cost.ok()) {
    inventory.cost.cost = std::move(cost).value();
    return Done{};
  }
  const AwsError& error = cost.error();
  if (!error.Is("AccessDeniedException") && !error.Is("DataUnavailableException")) return error;
  inventory.cost.unavailable = error.code + ": " + error.message;
  return Done{};
}

}  // namespace

AwsResult<Inventory> CollectInventory(const AwsClient& aws, int64_t now) {
  Inventory inventory;
  inventory.region = aws.region();
  inventory.generated_at = now;
  inventory.cost.month = FormatUtc(now, "%Y-%m");
  KURA_AWS_ASSIGN_OR_RETURN(inventory.caller, GetCallerIdentity(aws));
  KURA_AWS_ASSIGN_OR_RETURN(inventory.encryption_by_default, GetEbsEncryptionByDefault(aws));
  KURA_AWS_ASSIGN_OR_RETURN(inventory.default_kms_key_id, GetEbsDefaultKmsKeyId(aws));
  KURA_AWS_ASSIGN_OR_RETURN(inventory.volumes, DescribeVolumes(aws));
  KURA_AWS_ASSIGN_OR_RETURN(inventory.snapshots, DescribeOwnSnapshots(aws));
  KURA_AWS_ASSIGN_OR_RETURN(inventory.images, DescribeOwnImages(aws));
  KURA_AWS_RETURN_IF_ERROR(ResolveKeys(aws, inventory));
  KURA_AWS_RETURN_IF_ERROR(CollectCost(aws, inventory));
  return inventory;
}

}  // namespace kura::tools
