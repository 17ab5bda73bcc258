#include "tools/ec2_api.h"

#include "tools/ec2_describe.h"

namespace kura::tools {

namespace {

// EC2 caps MaxResults at 500 for volumes (1000 for snapshots and images); one size for all.
constexpr char kPageSize[] = "500";

VolumeInfo ReadVolume(const pugi::xml_node& item) {
  VolumeInfo v;
  v.volume_id = ChildText(item, "volumeId");
  v.state = ChildText(item, "status");
  v.availability_zone = ChildText(item, "availabilityZone");
  v.volume_type = ChildText(item, "volumeType");
  v.size_gib = ChildInt(item, "size").value_or(0);
  v.iops = ChildInt(item, "iops");
  v.throughput = ChildInt(item, "throughput");
  v.encrypted = ChildBool(item, "encrypted").value_or(false);
  v.kms_key_id = ChildText(item, "kmsKeyId");
  v.snapshot_id = ChildText(item, "snapshotId");
  for (pugi::xml_node a : item.child("attachmentSet").children("item")) {
    v.attachments.push_back({ChildText(a, "instanceId"), ChildText(a, "device"), ChildText(a, "status"),
                             ChildBool(a, "deleteOnTermination").value_or(false)});
  }
  v.tags = ReadTags(item);
  return v;
}

SnapshotInfo ReadSnapshot(const pugi::xml_node& item) {
  SnapshotInfo s;
  s.snapshot_id = ChildText(item, "snapshotId");
  s.volume_id = ChildText(item, "volumeId");
  s.state = ChildText(item, "status");
  s.owner_id = ChildText(item, "ownerId");
  s.volume_size_gib = ChildInt(item, "volumeSize").value_or(0);
  s.encrypted = ChildBool(item, "encrypted").value_or(false);
  s.kms_key_id = ChildText(item, "kmsKeyId");
  s.description = ChildText(item, "description");
  s.progress = ChildText(item, "progress");
  s.tags = ReadTags(item);
  return s;
}

ImageInfo ReadImage(const pugi::xml_node& item) {
  ImageInfo i;
  i.image_id = ChildText(item, "imageId");
  i.name = ChildText(item, "name");
  i.state = ChildText(item, "imageState");
  i.owner_id = ChildText(item, "imageOwnerId");
  i.root_device_name = ChildText(item, "rootDeviceName");
  for (pugi::xml_node m : item.child("blockDeviceMapping").children("item")) {
    pugi::xml_node ebs = m.child("ebs");
    i.mappings.push_back({ChildText(m, "deviceName"), ChildText(ebs, "snapshotId"), ChildBool(ebs, "encrypted")});
  }
  i.tags = ReadTags(item);
  return i;
}

}  // namespace

Tags ReadTags(const pugi::xml_node& item) {
  Tags tags;
  for (pugi::xml_node tag : item.child("tagSet").children("item")) tags[tag.child_value("key")] = tag.child_value("value");
  return tags;
}

AwsResult<std::vector<VolumeInfo>> DescribeVolumes(const AwsClient& aws) {
  return DescribeAll<VolumeInfo>(aws, "DescribeVolumes", {{"MaxResults", kPageSize}}, "volumeSet", ReadVolume);
}

AwsResult<std::vector<VolumeInfo>> DescribeVolumes(const AwsClient& aws, const QueryParams& params) {
  return DescribeAll<VolumeInfo>(aws, "DescribeVolumes", params, "volumeSet", ReadVolume);
}

AwsResult<std::vector<SnapshotInfo>> DescribeSnapshots(const AwsClient& aws, const QueryParams& params) {
  return DescribeAll<SnapshotInfo>(aws, "DescribeSnapshots", params, "snapshotSet", ReadSnapshot);
}

AwsResult<std::vector<ImageInfo>> DescribeImages(const AwsClient& aws, const QueryParams& params) {
  return DescribeAll<ImageInfo>(aws, "DescribeImages", params, "imagesSet", ReadImage);
}

AwsResult<std::vector<SnapshotInfo>> DescribeOwnSnapshots(const AwsClient& aws) {
  return DescribeAll<SnapshotInfo>(aws, "DescribeSnapshots", {{"Owner.1", "self"}, {"MaxResults", kPageSize}},
                                   "snapshotSet", ReadSnapshot);
}

AwsResult<std::vector<ImageInfo>> DescribeOwnImages(const AwsClient& aws) {
  return DescribeAll<ImageInfo>(aws, "DescribeImages", {{"Owner.1", "self"}, {"MaxResults", kPageSize}},
                                "imagesSet", ReadImage);
}

AwsResult<bool> GetEbsEncryptionByDefault(const AwsClient& aws) {
  KURA_AWS_ASSIGN_OR_RETURN(XmlResponse r, aws.Query(kEc2, "GetEbsEncryptionByDefault", {}));
  return ChildBool(r.result, "ebsEncryptionByDefault").value_or(false);
}

AwsResult<std::string> GetEbsDefaultKmsKeyId(const AwsClient& aws) {
  KURA_AWS_ASSIGN_OR_RETURN(XmlResponse r, aws.Query(kEc2, "GetEbsDefaultKmsKeyId", {}));
  return ChildText(r.result, "kmsKeyId");
}

}  // namespace kura::tools
