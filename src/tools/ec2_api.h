// Typed EC2 calls (API 2016-11-15) for the tools, over AwsClient: the EBS
// inventory and encryption-by-default settings that `kura audit` reads and
// `kura encrypt` starts from. Each Describe* follows every page.
// Thread-safety: as AwsClient.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/aws_client.h"

namespace kura::tools {

using Tags = std::map<std::string, std::string>;
// The <tagSet> of a Describe* item.
Tags ReadTags(const pugi::xml_node& item);

struct VolumeAttachmentInfo {
  std::string instance_id;
  std::string device;
  std::string state;
  bool delete_on_termination = false;
};

struct VolumeInfo {
  std::string volume_id;
  std::string state;  // creating, available, in-use, ...
  std::string availability_zone;
  std::string volume_type;
  int64_t size_gib = 0;
  std::optional<int64_t> iops;
  std::optional<int64_t> throughput;
  bool encrypted = false;
  std::string kms_key_id;  // the key ARN when encrypted
  std::string snapshot_id;
  std::vector<VolumeAttachmentInfo> attachments;
  Tags tags;
};

struct SnapshotInfo {
  std::string snapshot_id;
  std::string volume_id;
  std::string state;  // pending, completed, error
  std::string owner_id;
  int64_t volume_size_gib = 0;
  bool encrypted = false;
  std::string kms_key_id;
  std::string description;
  Tags tags;
  std::string progress;  // "42%"
};

struct ImageMapping {
  std::string device_name;
  std::string snapshot_id;  // "" for instance-store or no-device mappings
  std::optional<bool> encrypted;
};

struct ImageInfo {
  std::string image_id;
  std::string name;
  std::string state;
  std::string owner_id;
  std::vector<ImageMapping> mappings;
  Tags tags;
  std::string root_device_name;
};

AwsResult<std::vector<VolumeInfo>> DescribeVolumes(const AwsClient& aws);
// With ids or filters ("VolumeId.1", "Filter.1.Name", ...); every page.
AwsResult<std::vector<VolumeInfo>> DescribeVolumes(const AwsClient& aws, const QueryParams& params);
AwsResult<std::vector<SnapshotInfo>> DescribeSnapshots(const AwsClient& aws, const QueryParams& params);
AwsResult<std::vector<ImageInfo>> DescribeImages(const AwsClient& aws, const QueryParams& params);
// --owner-ids self
AwsResult<std::vector<SnapshotInfo>> DescribeOwnSnapshots(const AwsClient& aws);
// --owners self
AwsResult<std::vector<ImageInfo>> DescribeOwnImages(const AwsClient& aws);
AwsResult<bool> GetEbsEncryptionByDefault(const AwsClient& aws);
// The key new encrypted volumes get by default: an ARN, or the alias ARN of alias/aws/ebs.
AwsResult<std::string> GetEbsDefaultKmsKeyId(const AwsClient& aws);

}  // namespace kura::tools
