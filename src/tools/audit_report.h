// The judgement of `kura audit` on an Inventory: one Finding per problem with
// a resource (or with the account's settings), the keys at risk with the
// resources that depend on them, and the counts the exit status follows.
// Findings, by their stable names (also the CSV/JSON `Finding` values):
//   EncryptionByDefaultDisabled  the account/region creates unencrypted volumes unless asked
//   Unencrypted                  a volume, own snapshot, or own AMI with an unencrypted EBS snapshot
//   AwsManagedKey                encrypted under alias/aws/ebs: never shareable with another account
//   KeyPendingDeletion           its customer managed key is scheduled for deletion
//   KeyDisabled                  its customer managed key is disabled
//   KeyNotFound                  its key no longer exists (DescribeKey: NotFoundException)
// Thread-safety: pure functions on values.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tools/audit_inventory.h"

namespace kura::tools {

struct Finding {
  std::string resource_type;  // Account, Volume, Snapshot, Image
  std::string resource_id;
  std::string finding;        // one of the names above
  std::string kms_key_id;     // the key's ARN when one is involved
  std::string detail;         // a human sentence
};

struct KeyAtRisk {
  std::string key;                  // the ARN (or the name resources use, when not found)
  std::string state;                // PendingDeletion, Disabled, NotFound
  std::vector<std::string> aliases;
  std::optional<double> deletion_date;
  std::vector<std::pair<std::string, std::string>> resources;  // (type, id)
};

struct AuditReport {
  const Inventory* inventory = nullptr;  // what was judged; outlives the report
  std::vector<Finding> findings;
  std::vector<KeyAtRisk> keys_at_risk;
  int unencrypted = 0;
  int aws_managed = 0;
  int on_unusable_keys = 0;  // resources on keys pending deletion, disabled or gone

  // 0 when nothing is unencrypted, 1 otherwise (2, errors, is the command's).
  int ExitCode() const { return unencrypted > 0 ? 1 : 0; }
};

AuditReport BuildAuditReport(const Inventory& inventory);

// "2026-11-18T11:06:40Z".
std::string IsoTime(double unix_seconds);

}  // namespace kura::tools
