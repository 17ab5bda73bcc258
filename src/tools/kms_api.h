// Typed KMS calls (JSON 1.1, TrentService) for the tools, over AwsClient:
// what a key is and in which state (DescribeKey), the account's aliases and
// keys (ListAliases, ListKeys, every page).
// Thread-safety: as AwsClient.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/aws_client.h"

namespace kura::tools {

struct KeyInfo {
  std::string key_id;
  std::string arn;
  std::string state;        // Enabled, Disabled, PendingDeletion, PendingImport, Unavailable, ...
  std::string manager;      // AWS or CUSTOMER
  std::string description;
  std::optional<double> deletion_date;  // Unix seconds, when PendingDeletion
};

struct AliasInfo {
  std::string name;           // alias/aws/ebs
  std::string arn;
  std::string target_key_id;  // "" for an AWS managed alias whose key does not exist yet
};

struct KeyListEntry {
  std::string key_id;
  std::string arn;
};

// `key_id`: a key id, key ARN, alias name or alias ARN.
AwsResult<KeyInfo> DescribeKey(const AwsClient& aws, const std::string& key_id);
AwsResult<std::vector<AliasInfo>> ListAliases(const AwsClient& aws);
AwsResult<std::vector<KeyListEntry>> ListKeys(const AwsClient& aws);

}  // namespace kura::tools
