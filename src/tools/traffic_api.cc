#include "tools/traffic_api.h"

#include <algorithm>

#include "tools/pagination.h"

namespace kura::tools {

AwsResult<std::vector<AddressInfo>> AddressesOf(const AwsClient& aws, const std::string& instance_id) {
  KURA_AWS_ASSIGN_OR_RETURN(XmlResponse r, aws.Query(kEc2, "DescribeAddresses",
                                                     {{"Filter.1.Name", "instance-id"},
                                                      {"Filter.1.Value.1", instance_id}}));
  std::vector<AddressInfo> out;
  for (pugi::xml_node a : r.result.child("addressesSet").children("item")) {
    out.push_back({ChildText(a, "allocationId"), ChildText(a, "publicIp"), ChildText(a, "instanceId")});
  }
  return out;
}

AwsResult<std::vector<std::string>> LoadBalancersOf(const AwsClient& aws, const std::string& instance_id) {
  std::vector<std::string> out;
  KURA_AWS_RETURN_IF_ERROR(PaginateQuery(
      aws, kElb, "DescribeLoadBalancers", {}, kMarkerPaging, [&](const pugi::xml_node& result) {
        for (pugi::xml_node lb : result.child("LoadBalancerDescriptions").children("member")) {
          for (pugi::xml_node i : lb.child("Instances").children("member")) {
            if (ChildText(i, "InstanceId") == instance_id) out.push_back(ChildText(lb, "LoadBalancerName"));
          }
        }
      }));
  return out;
}

namespace {

AwsStatus Membership(const AwsClient& aws, const char* action, const std::string& name,
                     const std::string& instance_id) {
  KURA_AWS_RETURN_IF_ERROR(
      aws.Query(kElb, action, {{"LoadBalancerName", name}, {"Instances.member.1.InstanceId", instance_id}}));
  return Done{};
}

}  // namespace

AwsStatus RegisterWithLoadBalancer(const AwsClient& aws, const std::string& name, const std::string& instance_id) {
  return Membership(aws, "RegisterInstancesWithLoadBalancer", name, instance_id);
}

AwsStatus DeregisterFromLoadBalancer(const AwsClient& aws, const std::string& name, const std::string& instance_id) {
  KURA_AWS_ASSIGN_OR_RETURN(auto members_of, LoadBalancersOf(aws, instance_id));
  if (std::find(members_of.begin(), members_of.end(), name) == members_of.end()) return Done{};
  return Membership(aws, "DeregisterInstancesFromLoadBalancer", name, instance_id);
}

}  // namespace kura::tools
