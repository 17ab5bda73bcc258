// Ec2Call: one mutating EC2 request as a value (action + parameters), built
// by the functions below and sent either for real (Perform) or as a dry run
// (DryRun adds DryRun=true: AWS then answers DryRunOperation when the caller
// may do it, UnauthorizedOperation when not, and changes nothing). Building
// the request once and sending it either way is what lets `kura encrypt
// plan` check exactly the calls `run` will make.
// Thread-safety: values and functions; sending is as AwsClient.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/aws_client.h"
#include "tools/ec2_instances_api.h"

namespace kura::tools {

struct Ec2Call {
  std::string action;
  QueryParams params;
};

AwsResult<XmlResponse> Perform(const AwsClient& aws, const Ec2Call& call);
AwsResult<XmlResponse> DryRun(const AwsClient& aws, const Ec2Call& call);

// TagSpecification.1 for `resource_type` ("snapshot", "volume", "image", "instance").
void AddTagSpecification(QueryParams& params, int index, const std::string& resource_type, const Tags& tags);

Ec2Call CreateSnapshotCall(const std::string& volume_id, const std::string& description, const Tags& tags);
Ec2Call CopySnapshotCall(const std::string& source_snapshot_id, const std::string& region,
                         const std::string& kms_key_id, const std::string& description, const Tags& tags);

struct NewVolumeSpec {
  std::string zone;
  std::string volume_type;
  int64_t size_gib = 0;
  std::optional<int64_t> iops;        // sent only for io1/io2/gp3
  std::optional<int64_t> throughput;  // sent only for gp3
  std::string snapshot_id;
  std::string kms_key_id;             // "": the snapshot's key
  Tags tags;
  std::string client_token;
};
Ec2Call CreateVolumeCall(const NewVolumeSpec& spec);
Ec2Call AttachVolumeCall(const std::string& volume_id, const std::string& instance_id, const std::string& device);
Ec2Call DetachVolumeCall(const std::string& volume_id, const std::string& instance_id);
Ec2Call DeleteOnTerminationCall(const std::string& instance_id, const std::string& device,
                                const std::string& volume_id, bool delete_on_termination);
Ec2Call StopInstancesCall(const std::string& instance_id);
Ec2Call StartInstancesCall(const std::string& instance_id);
Ec2Call TerminateInstancesCall(const std::string& instance_id);
Ec2Call CreateTagsCall(const std::string& resource_id, const Tags& tags);
Ec2Call DeleteSnapshotCall(const std::string& snapshot_id);
Ec2Call DeleteVolumeCall(const std::string& volume_id);
Ec2Call DeregisterImageCall(const std::string& image_id);
Ec2Call CreateImageCall(const std::string& instance_id, const std::string& name, bool no_reboot, const Tags& tags);
Ec2Call CopyImageCall(const std::string& source_image_id, const std::string& region, const std::string& name,
                      const std::string& kms_key_id, const std::string& client_token);
// RunInstances of one instance like an existing one.
struct ReplacementSpec {
  std::string image_id;
  LaunchSettings launch;
  std::string client_token;
};
Ec2Call RunInstancesCall(const ReplacementSpec& spec);
Ec2Call AssociateAddressCall(const std::string& allocation_id, const std::string& instance_id);

// The id a create answered with, by its path under the result: "snapshotId",
// "volumeId", "imageId", "instancesSet/item/instanceId".
std::string CreatedId(const XmlResponse& response, const char* path);

}  // namespace kura::tools
