#include "tools/ec2_instances_api.h"

#include "tools/pagination.h"

namespace kura::tools {

namespace {

InstanceInfo ReadInstance(const pugi::xml_node& item) {
  InstanceInfo i;
  i.instance_id = ChildText(item, "instanceId");
  i.state = item.child("instanceState").child_value("name");
  i.launch.instance_type = ChildText(item, "instanceType");
  i.launch.zone = item.child("placement").child_value("availabilityZone");
  i.image_id = ChildText(item, "imageId");
  i.launch.key_name = ChildText(item, "keyName");
  i.launch.subnet_id = ChildText(item, "subnetId");
  i.root_device_name = ChildText(item, "rootDeviceName");
  i.private_ip = ChildText(item, "privateIpAddress");
  for (pugi::xml_node g : item.child("groupSet").children("item")) i.launch.security_group_ids.push_back(g.child_value("groupId"));
  for (pugi::xml_node m : item.child("blockDeviceMapping").children("item")) {
    pugi::xml_node ebs = m.child("ebs");
    i.devices.push_back({ChildText(m, "deviceName"), ChildText(ebs, "volumeId"), ChildText(ebs, "status"),
                         ChildBool(ebs, "deleteOnTermination").value_or(false)});
  }
  i.launch.tags = ReadTags(item);
  return i;
}

}  // namespace

AwsResult<std::vector<InstanceInfo>> DescribeInstances(const AwsClient& aws, const QueryParams& params) {
  std::vector<InstanceInfo> out;
  KURA_AWS_RETURN_IF_ERROR(PaginateQuery(aws, kEc2, "DescribeInstances", params, kEc2Paging,
                                         [&](const pugi::xml_node& result) {
                                           for (pugi::xml_node r : result.child("reservationSet").children("item")) {
                                             for (pugi::xml_node i : r.child("instancesSet").children("item")) {
                                               out.push_back(ReadInstance(i));
                                             }
                                           }
                                         }));
  return out;
}

AwsResult<InstanceInfo> DescribeInstance(const AwsClient& aws, const std::string& instance_id) {
  KURA_AWS_ASSIGN_OR_RETURN(auto all, DescribeInstances(aws, {{"InstanceId.1", instance_id}}));
  if (all.empty()) {
    AwsError error;
    error.code = "InvalidInstanceID.NotFound";
    error.message = "The instance ID '" + instance_id + "' does not exist";
    return error;
  }
  return all.front();
}

}  // namespace kura::tools
