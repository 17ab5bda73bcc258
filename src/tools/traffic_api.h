// What points traffic at an instance, through the public APIs: its Elastic
// IPs (EC2 DescribeAddresses/AssociateAddress) and its classic load balancer
// memberships (ELB DescribeLoadBalancers/RegisterInstancesWithLoadBalancer/
// DeregisterInstancesFromLoadBalancer), so `kura encrypt --method image`
// can move both to a replacement instance and `rollback` move them back.
// Thread-safety: as AwsClient.
#pragma once

#include <string>
#include <vector>

#include "tools/aws_client.h"

namespace kura::tools {

struct AddressInfo {
  std::string allocation_id;
  std::string public_ip;
  std::string instance_id;
};

// The Elastic IPs associated with `instance_id`.
AwsResult<std::vector<AddressInfo>> AddressesOf(const AwsClient& aws, const std::string& instance_id);
// The names of the classic load balancers `instance_id` is registered with.
AwsResult<std::vector<std::string>> LoadBalancersOf(const AwsClient& aws, const std::string& instance_id);
AwsStatus RegisterWithLoadBalancer(const AwsClient& aws, const std::string& name, const std::string& instance_id);
// Registering twice is harmless; deregistering a non-member is an error
// (InvalidInstance), so this looks first: a resumed or rolled-back step may
// find the instance already gone from the load balancer.
AwsStatus DeregisterFromLoadBalancer(const AwsClient& aws, const std::string& name, const std::string& instance_id);

}  // namespace kura::tools
