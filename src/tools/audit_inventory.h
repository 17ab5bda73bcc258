// The facts `kura audit` judges, gathered through the public APIs for the
// caller's account and one region: who is calling (STS), encryption by
// default and its key (EC2), every volume, own snapshot and own AMI (EC2),
// every KMS key those name with its state and aliases (KMS), and the month's
// KMS cost (Cost Explorer). Collecting is separate from judging
// (audit_report.h) so that the judgement and its rendering are tested on a
// fixed inventory.
// Thread-safety: CollectInventory is a function; an Inventory is a plain value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/aws_client.h"
#include "tools/ce_api.h"
#include "tools/ec2_api.h"
#include "tools/kms_api.h"
#include "tools/sts_api.h"

namespace kura::tools {

struct KeyRecord {
  bool found = false;                // false: DescribeKey said NotFoundException
  KeyInfo info;                      // when found
  std::vector<std::string> aliases;  // "alias/aws/ebs", sorted
};

struct CostRecord {
  std::string month;                 // "2026-11"
  std::optional<MonthlyCost> cost;   // absent when Cost Explorer would not say
  std::string unavailable;           // why not ("AccessDeniedException: ..."), when absent
};

struct Inventory {
  CallerIdentity caller;
  std::string region;
  int64_t generated_at = 0;  // Unix seconds
  bool encryption_by_default = false;
  std::string default_kms_key_id;  // as GetEbsDefaultKmsKeyId reports it
  std::vector<VolumeInfo> volumes;
  std::vector<SnapshotInfo> snapshots;
  std::vector<ImageInfo> images;
  // Every key named by a resource or as the default, by the name used there (an ARN or alias ARN).
  std::map<std::string, KeyRecord> keys;
  CostRecord cost;
};

// Any API error ends the collection, except Cost Explorer refusing
// (AccessDeniedException, DataUnavailableException), which is recorded in `cost`.
AwsResult<Inventory> CollectInventory(const AwsClient& aws, int64_t now);

}  // namespace kura::tools
