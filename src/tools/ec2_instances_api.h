// Typed DescribeInstances for the tools (every page, every reservation):
// what `kura encrypt` needs to know of an instance to swap its volumes or
// launch a replacement like it.
// Thread-safety: as AwsClient.
#pragma once

#include <string>
#include <vector>

#include "tools/ec2_api.h"

namespace kura::tools {

struct InstanceDevice {
  std::string device_name;
  std::string volume_id;
  std::string status;  // attaching, attached, ...
  bool delete_on_termination = false;
};

// What a replacement launched like an instance must have in common with it.
struct LaunchSettings {
  std::string instance_type;
  std::string zone;
  std::string key_name;
  std::string subnet_id;
  std::vector<std::string> security_group_ids;
  Tags tags;
};

struct InstanceInfo {
  std::string instance_id;
  std::string state;  // pending, running, stopping, stopped, ...
  std::string image_id;
  std::string root_device_name;
  std::string private_ip;
  LaunchSettings launch;
  std::vector<InstanceDevice> devices;
};

// `params`: "InstanceId.N" and/or "Filter.N.Name"/"Filter.N.Value.M".
AwsResult<std::vector<InstanceInfo>> DescribeInstances(const AwsClient& aws, const QueryParams& params);
// One instance by id; InvalidInstanceID.NotFound as AWS answers it.
AwsResult<InstanceInfo> DescribeInstance(const AwsClient& aws, const std::string& instance_id);

}  // namespace kura::tools
