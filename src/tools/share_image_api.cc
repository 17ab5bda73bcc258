#include "tools/share_image_api.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "tools/ec2_describe.h"

namespace kura::tools {

namespace {

ImageDevice ReadDevice(const pugi::xml_node& m) {
  ImageDevice d{ChildText(m, "deviceName"), ChildText(m, "virtualName"), static_cast<bool>(m.child("noDevice")), {}};
  if (pugi::xml_node e = m.child("ebs")) {
    d.ebs = ImageEbs{ChildText(e, "snapshotId"),   ChildInt(e, "volumeSize"), ChildText(e, "volumeType"),
                     ChildBool(e, "deleteOnTermination"), ChildInt(e, "iops"), ChildInt(e, "throughput"),
                     ChildBool(e, "encrypted"),    ChildText(e, "kmsKeyId")};
  }
  return d;
}

// The text fields of an image, by their EC2 XML names.
constexpr std::pair<std::string ImageDetail::*, const char*> kImageText[] = {
    {&ImageDetail::image_id, "imageId"},
    {&ImageDetail::name, "name"},
    {&ImageDetail::description, "description"},
    {&ImageDetail::owner_id, "imageOwnerId"},
    {&ImageDetail::state, "imageState"},
    {&ImageDetail::architecture, "architecture"},
    {&ImageDetail::virtualization_type, "virtualizationType"},
    {&ImageDetail::root_device_name, "rootDeviceName"},
    {&ImageDetail::boot_mode, "bootMode"},
    {&ImageDetail::sriov_net_support, "sriovNetSupport"},
    {&ImageDetail::tpm_support, "tpmSupport"},
    {&ImageDetail::imds_support, "imdsSupport"},
};

ImageDetail ReadImageDetail(const pugi::xml_node& item) {
  ImageDetail i;
  for (const auto& [member, name] : kImageText) i.*member = ChildText(item, name);
  i.ena_support = ChildBool(item, "enaSupport");
  for (pugi::xml_node m : item.child("blockDeviceMapping").children("item")) i.devices.push_back(ReadDevice(m));
  return i;
}

SnapshotState ReadSnapshotState(const pugi::xml_node& item) {
  return {ChildText(item, "snapshotId"), ChildText(item, "ownerId"),  ChildText(item, "status"),
          ChildText(item, "progress"),   ChildText(item, "statusMessage"), ChildBool(item, "encrypted").value_or(false),
          ChildText(item, "kmsKeyId")};
}

AwsResult<std::vector<ImageDetail>> Images(const AwsClient& aws, const QueryParams& params) {
  return DescribeAll(aws, "DescribeImages", params, "imagesSet", ReadImageDetail);
}

AwsResult<std::vector<SnapshotState>> Snapshots(const AwsClient& aws, const QueryParams& params) {
  return DescribeAll(aws, "DescribeSnapshots", params, "snapshotSet", ReadSnapshotState);
}

AwsStatus Call(const AwsClient& aws, const char* action, const QueryParams& params) {
  KURA_AWS_RETURN_IF_ERROR(aws.Query(kEc2, action, params));
  return Done{};
}

}  // namespace

AwsResult<ImageDetail> DescribeImage(const AwsClient& aws, const std::string& image_id) {
  KURA_AWS_ASSIGN_OR_RETURN(auto images, Images(aws, {{"ImageId.1", image_id}}));
  if (images.empty()) {
    // EC2 answers an error for an id it does not know, but an empty set for one
    // the caller may not see; both mean the same here.
    return AwsError{"InvalidAMIID.NotFound", "The image id '[" + image_id + "]' does not exist", 400, "",
                    base::StatusCode::kNotFound};
  }
  return images.front();
}

AwsResult<std::vector<ImageDetail>> DescribeOwnImagesNamed(const AwsClient& aws, const std::string& name) {
  return Images(aws, {{"Owner.1", "self"}, {"Filter.1.Name", "name"}, {"Filter.1.Value.1", name}});
}

AwsResult<std::vector<SnapshotState>> DescribeSnapshotsById(const AwsClient& aws,
                                                            const std::vector<std::string>& snapshot_ids) {
  QueryParams params;
  for (size_t i = 0; i < snapshot_ids.size(); ++i) {
    params.emplace_back("SnapshotId." + std::to_string(i + 1), snapshot_ids[i]);
  }
  KURA_AWS_ASSIGN_OR_RETURN(auto snapshots, Snapshots(aws, params));
  auto rank = [&](const SnapshotState& s) {
    return std::find(snapshot_ids.begin(), snapshot_ids.end(), s.snapshot_id) - snapshot_ids.begin();
  };
  std::stable_sort(snapshots.begin(), snapshots.end(),
                   [&](const SnapshotState& a, const SnapshotState& b) { return rank(a) < rank(b); });
  return snapshots;
}

AwsResult<std::vector<SnapshotState>> DescribeOwnSnapshotsTagged(const AwsClient& aws, const std::string& key,
                                                                 const std::string& value) {
  return Snapshots(aws, {{"Owner.1", "self"}, {"Filter.1.Name", "tag:" + key}, {"Filter.1.Value.1", value}});
}

AwsStatus AddCreateVolumePermission(const AwsClient& aws, const std::string& snapshot_id, const std::string& account) {
  return Call(aws, "ModifySnapshotAttribute",
              {{"SnapshotId", snapshot_id},
               {"Attribute", "createVolumePermission"},
               {"OperationType", "add"},
               {"UserId.1", account}});
}

AwsStatus AddLaunchPermission(const AwsClient& aws, const std::string& image_id, const std::string& account) {
  return Call(aws, "ModifyImageAttribute", {{"ImageId", image_id}, {"LaunchPermission.Add.1.UserId", account}});
}

AwsResult<std::string> CopySnapshotEncrypted(const AwsClient& aws, const EncryptedCopyRequest& request) {
  QueryParams params{{"SourceRegion", request.source_region},
                     {"SourceSnapshotId", request.source_snapshot_id},
                     {"Encrypted", "true"},
                     {"KmsKeyId", request.kms_key_id},
                     {"Description", request.description}};
  if (!request.tags.empty()) params.emplace_back("TagSpecification.1.ResourceType", "snapshot");
  for (size_t i = 0; i < request.tags.size(); ++i) {
    const std::string prefix = "TagSpecification.1.Tag." + std::to_string(i + 1);
    params.emplace_back(prefix + ".Key", request.tags[i].first);
    params.emplace_back(prefix + ".Value", request.tags[i].second);
  }
  KURA_AWS_ASSIGN_OR_RETURN(XmlResponse r, aws.Query(kEc2, "CopySnapshot", params));
  return ChildText(r.result, "snapshotId");
}

AwsResult<std::string> RegisterImage(const AwsClient& aws, const QueryParams& params) {
  KURA_AWS_ASSIGN_OR_RETURN(XmlResponse r, aws.Query(kEc2, "RegisterImage", params));
  return ChildText(r.result, "imageId");
}

AwsResult<std::string> GetKeyPolicy(const AwsClient& aws, const std::string& key_id) {
  KURA_AWS_ASSIGN_OR_RETURN(nlohmann::json out,
                            aws.Json(kKms, "GetKeyPolicy", {{"KeyId", key_id}, {"PolicyName", "default"}}));
  return out.value("Policy", std::string());
}

AwsStatus PutKeyPolicy(const AwsClient& aws, const std::string& key_id, const std::string& policy) {
  KURA_AWS_RETURN_IF_ERROR(
      aws.Json(kKms, "PutKeyPolicy", {{"KeyId", key_id}, {"PolicyName", "default"}, {"Policy", policy}}));
  return Done{};
}

}  // namespace kura::tools
