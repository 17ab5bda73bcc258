// Typed EC2 and KMS calls for moving an AMI to another account (`kura
// encrypt share-image`), over AwsClient: the full description of one image
// (every field RegisterImage can take back), snapshots by id or by tag with
// their copy progress, the two share calls (createVolumePermission,
// launchPermission), CopySnapshot, RegisterImage, and a key's policy.
// Thread-safety: as AwsClient.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/aws_client.h"

namespace kura::tools {

struct ImageEbs {
  std::string snapshot_id;  // "" for an empty volume
  std::optional<int64_t> volume_size_gib;
  std::string volume_type;
  std::optional<bool> delete_on_termination;
  std::optional<int64_t> iops;
  std::optional<int64_t> throughput;
  std::optional<bool> encrypted;
  std::string kms_key_id;
};

struct ImageDevice {
  std::string device_name;
  std::string virtual_name;  // ephemeralN for instance store
  bool no_device = false;
  std::optional<ImageEbs> ebs;
};

// What DescribeImages says of one image; empty strings for fields AWS left out.
struct ImageDetail {
  std::string image_id;
  std::string name;
  std::string description;
  std::string owner_id;
  std::string state;
  std::string architecture;
  std::string virtualization_type;
  std::string root_device_name;
  std::string boot_mode;
  std::string sriov_net_support;
  std::string tpm_support;
  std::string imds_support;
  std::optional<bool> ena_support;
  std::vector<ImageDevice> devices;
};

struct SnapshotState {
  std::string snapshot_id;
  std::string owner_id;
  std::string state;     // pending, completed, error
  std::string progress;  // "45%" as EC2 reports it; may be empty
  std::string state_message;
  bool encrypted = false;
  std::string kms_key_id;
};

// One image by id; the AWS error InvalidAMIID.NotFound when it is not visible.
AwsResult<ImageDetail> DescribeImage(const AwsClient& aws, const std::string& image_id);
// The caller's own images called `name` (none or one: EC2 names are unique per account and region).
AwsResult<std::vector<ImageDetail>> DescribeOwnImagesNamed(const AwsClient& aws, const std::string& name);

// In the order of `snapshot_ids` (EC2 answers in its own).
AwsResult<std::vector<SnapshotState>> DescribeSnapshotsById(const AwsClient& aws,
                                                            const std::vector<std::string>& snapshot_ids);
// The caller's own snapshots carrying tag `key`=`value`.
AwsResult<std::vector<SnapshotState>> DescribeOwnSnapshotsTagged(const AwsClient& aws, const std::string& key,
                                                                 const std::string& value);

// ModifySnapshotAttribute createVolumePermission add UserId=`account`.
AwsStatus AddCreateVolumePermission(const AwsClient& aws, const std::string& snapshot_id, const std::string& account);
// ModifyImageAttribute launchPermission add UserId=`account`.
AwsStatus AddLaunchPermission(const AwsClient& aws, const std::string& image_id, const std::string& account);

struct EncryptedCopyRequest {
  std::string source_region;
  std::string source_snapshot_id;
  std::string kms_key_id;
  std::string description;
  std::vector<std::pair<std::string, std::string>> tags;  // put on the copy when it is created
};
// CopySnapshot Encrypted=true; the new snapshot's id.
AwsResult<std::string> CopySnapshotEncrypted(const AwsClient& aws, const EncryptedCopyRequest& request);

// RegisterImage with `params` (RegisterImageParams in share_image_plan.h); the new image's id.
AwsResult<std::string> RegisterImage(const AwsClient& aws, const QueryParams& params);

// GetKeyPolicy / PutKeyPolicy of the policy named "default" (the only one KMS has).
AwsResult<std::string> GetKeyPolicy(const AwsClient& aws, const std::string& key_id);
AwsStatus PutKeyPolicy(const AwsClient& aws, const std::string& key_id, const std::string& policy);

}  // namespace kura::tools
