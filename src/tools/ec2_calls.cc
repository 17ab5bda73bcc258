#include "tools/ec2_calls.h"

namespace kura::tools {

AwsResult<XmlResponse> Perform(const AwsClient& aws, const Ec2Call& call) {
  return aws.Query(kEc2, call.action, call.params);
}

AwsResult<XmlResponse> DryRun(const AwsClient& aws, const Ec2Call& call) {
  QueryParams params = call.params;
  params.emplace_back("DryRun", "true");
  return aws.Query(kEc2, call.action, params);
}

void AddTagSpecification(QueryParams& params, int index, const std::string& resource_type, const Tags& tags) {
  if (tags.empty()) return;
  const std::string prefix = "TagSpecification." + std::to_string(index) + ".";
  params.emplace_back(prefix + "ResourceType", resource_type);
  int n = 0;
  for (const auto& [key, value] : tags) {
    const std::string tag = prefix + "Tag." + std::to_string(++n) + ".";
    params.emplace_back(tag + "Key", key);
    params.emplace_back(tag + "Value", value);
  }
}

Ec2Call CreateSnapshotCall(const std::string& volume_id, const std::string& description, const Tags& tags) {
  Ec2Call call{"CreateSnapshot", {{"VolumeId", volume_id}, {"Description", description}}};
  AddTagSpecification(call.params, 1, "snapshot", tags);
  return call;
}

Ec2Call CopySnapshotCall(const std::string& source_snapshot_id, const std::string& region,
                         const std::string& kms_key_id, const std::string& description, const Tags& tags) {
  Ec2Call call{"CopySnapshot",
               {{"SourceSnapshotId", source_snapshot_id}, {"SourceRegion", region}, {"Encrypted", "true"},
                {"Description", description}}};
  if (!kms_key_id.empty()) call.params.emplace_back("KmsKeyId", kms_key_id);
  AddTagSpecification(call.params, 1, "snapshot", tags);
  return call;
}

Ec2Call CreateVolumeCall(const NewVolumeSpec& spec) {
  Ec2Call call{"CreateVolume",
               {{"AvailabilityZone", spec.zone}, {"VolumeType", spec.volume_type},
                {"Size", std::to_string(spec.size_gib)}, {"Encrypted", "true"}}};
  if (!spec.snapshot_id.empty()) call.params.emplace_back("SnapshotId", spec.snapshot_id);
  if (!spec.kms_key_id.empty()) call.params.emplace_back("KmsKeyId", spec.kms_key_id);
  // gp2 and st1/sc1 report an Iops they do not accept as a parameter.
  const bool provisioned_iops = spec.volume_type == "io1" || spec.volume_type == "io2" || spec.volume_type == "gp3";
  if (provisioned_iops && spec.iops) call.params.emplace_back("Iops", std::to_string(*spec.iops));
  if (spec.volume_type == "gp3" && spec.throughput) {
    call.params.emplace_back("Throughput", std::to_string(*spec.throughput));
  }
  if (!spec.client_token.empty()) call.params.emplace_back("ClientToken", spec.client_token);
  AddTagSpecification(call.params, 1, "volume", spec.tags);
  return call;
}

Ec2Call AttachVolumeCall(const std::string& volume_id, const std::string& instance_id, const std::string& device) {
  return {"AttachVolume", {{"VolumeId", volume_id}, {"InstanceId", instance_id}, {"Device", device}}};
}

Ec2Call DetachVolumeCall(const std::string& volume_id, const std::string& instance_id) {
  return {"DetachVolume", {{"VolumeId", volume_id}, {"InstanceId", instance_id}}};
}

Ec2Call DeleteOnTerminationCall(const std::string& instance_id, const std::string& device,
                                const std::string& volume_id, bool delete_on_termination) {
  return {"ModifyInstanceAttribute",
          {{"InstanceId", instance_id},
           {"BlockDeviceMapping.1.DeviceName", device},
           {"BlockDeviceMapping.1.Ebs.VolumeId", volume_id},
           {"BlockDeviceMapping.1.Ebs.DeleteOnTermination", delete_on_termination ? "true" : "false"}}};
}

Ec2Call StopInstancesCall(const std::string& instance_id) { return {"StopInstances", {{"InstanceId.1", instance_id}}}; }
Ec2Call StartInstancesCall(const std::string& instance_id) {
  return {"StartInstances", {{"InstanceId.1", instance_id}}};
}
Ec2Call TerminateInstancesCall(const std::string& instance_id) {
  return {"TerminateInstances", {{"InstanceId.1", instance_id}}};
}

Ec2Call CreateTagsCall(const std::string& resource_id, const Tags& tags) {
  Ec2Call call{"CreateTags", {{"ResourceId.1", resource_id}}};
  int n = 0;
  for (const auto& [key, value] : tags) {
    const std::string tag = "Tag." + std::to_string(++n) + ".";
    call.params.emplace_back(tag + "Key", key);
    call.params.emplace_back(tag + "Value", value);
  }
  return call;
}

Ec2Call DeleteSnapshotCall(const std::string& snapshot_id) { return {"DeleteSnapshot", {{"SnapshotId", snapshot_id}}}; }
Ec2Call DeleteVolumeCall(const std::string& volume_id) { return {"DeleteVolume", {{"VolumeId", volume_id}}}; }
Ec2Call DeregisterImageCall(const std::string& image_id) { return {"DeregisterImage", {{"ImageId", image_id}}}; }

Ec2Call CreateImageCall(const std::string& instance_id, const std::string& name, bool no_reboot, const Tags& tags) {
  Ec2Call call{"CreateImage",
               {{"InstanceId", instance_id}, {"Name", name}, {"NoReboot", no_reboot ? "true" : "false"}}};
  AddTagSpecification(call.params, 1, "image", tags);
  return call;
}

Ec2Call CopyImageCall(const std::string& source_image_id, const std::string& region, const std::string& name,
                      const std::string& kms_key_id, const std::string& client_token) {
  Ec2Call call{"CopyImage",
               {{"SourceImageId", source_image_id}, {"SourceRegion", region}, {"Name", name}, {"Encrypted", "true"}}};
  if (!kms_key_id.empty()) call.params.emplace_back("KmsKeyId", kms_key_id);
  if (!client_token.empty()) call.params.emplace_back("ClientToken", client_token);
  return call;
}

Ec2Call RunInstancesCall(const ReplacementSpec& spec) {
  Ec2Call call{"RunInstances",
               {{"ImageId", spec.image_id}, {"InstanceType", spec.launch.instance_type}, {"MinCount", "1"},
                {"MaxCount", "1"}, {"Placement.AvailabilityZone", spec.launch.zone}}};
  const LaunchSettings& l = spec.launch;
  if (!l.key_name.empty()) call.params.emplace_back("KeyName", l.key_name);
  if (!l.subnet_id.empty()) call.params.emplace_back("SubnetId", l.subnet_id);
  for (size_t i = 0; i < l.security_group_ids.size(); ++i) {
    call.params.emplace_back("SecurityGroupId." + std::to_string(i + 1), l.security_group_ids[i]);
  }
  if (!spec.client_token.empty()) call.params.emplace_back("ClientToken", spec.client_token);
  AddTagSpecification(call.params, 1, "instance", l.tags);
  return call;
}

Ec2Call AssociateAddressCall(const std::string& allocation_id, const std::string& instance_id) {
  return {"AssociateAddress",
          {{"AllocationId", allocation_id}, {"InstanceId", instance_id}, {"AllowReassociation", "true"}}};
}

std::string CreatedId(const XmlResponse& response, const char* path) {
  return response.result.first_element_by_path(path).child_value();
}

}  // namespace kura::tools
