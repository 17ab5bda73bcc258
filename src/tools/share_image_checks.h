// The source side of `kura encrypt share-image`, before anything changes:
// the AMI and each of its EBS snapshots, and for every key they are
// encrypted under, whether the target account may use it. A snapshot under
// an AWS managed key (alias/aws/ebs) can never be shared, a disabled key or
// an explicit Deny cannot be fixed by adding a statement: those are
// refusals. A customer managed key whose policy does not yet allow the
// target is a KeyFinding with the statement to add.
// Thread-safety: as AwsClient.
#pragma once

#include <string>
#include <vector>

#include "tools/aws_client.h"
#include "tools/key_policy_check.h"
#include "tools/share_image_api.h"

namespace kura::tools {

struct KeyFinding {
  std::string key_arn;
  std::vector<std::string> snapshot_ids;  // the image's snapshots under this key
  std::string policy;                     // the key policy as read
  KeyPolicyCheck check;
};

struct SourceCheck {
  ImageDetail image;
  std::vector<SnapshotState> snapshots;  // each distinct snapshot of the image, in mapping order
  std::vector<std::string> refusals;     // why the image cannot be shared at all
  std::vector<KeyFinding> keys;          // every customer managed key involved
  std::vector<std::string> notes;        // what the key policies leave undecided

  // Keys whose policy lacks actions for the target account.
  std::vector<const KeyFinding*> KeysMissingActions() const;
};

struct SourceCheckRequest {
  std::string image_id;
  std::string source_account;
  std::string target_account;
  std::string target_caller_arn;
};

// AWS errors (the image or a snapshot not found, no permission to read a key
// policy) come back as such; what the checks conclude is in SourceCheck.
AwsResult<SourceCheck> CheckSource(const AwsClient& source, const SourceCheckRequest& request);

}  // namespace kura::tools
