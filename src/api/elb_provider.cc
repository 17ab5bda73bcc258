#include "api/elb_provider.h"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "api/document_reader.h"
#include "api/ec2_wire.h"
#include "ec2/ec2_error.h"

namespace kura::api {

namespace {

using nlohmann::json;
using ec2::Caller;
using ec2::Ec2Error;
namespace w = ec2_wire;

DocumentReader Reader(const json& doc) {
  return DocumentReader(doc, [](std::string_view member, std::string_view expected) {
    return ec2::Ec2Status(Ec2Error::kElbValidation,
                          "1 validation error detected: Value at '" + std::string(member) +
                              "' failed to satisfy constraint: Member must be " + std::string(expected));
  });
}

json InstanceList(const std::vector<std::string>& ids) {
  json out = json::array();
  for (const auto& id : ids) out.push_back({{"InstanceId", id}});
  return out;
}

base::Result<std::vector<std::string>> InstanceIds(const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto items, in.Structures("Instances"));
  std::vector<std::string> out;
  for (const auto& item : items) {
    KURA_ASSIGN_OR_RETURN(auto id, item.String("InstanceId"));
    out.push_back(std::move(id));
  }
  return out;
}

}  // namespace

ElbProvider::ElbProvider(std::shared_ptr<ec2::Ec2Service> service) : ec2_(std::move(service)) {}

base::Result<json> ElbProvider::Call(std::string_view operation, const json& input, const CallContext& context) {
  base::Result<json> result = Dispatch(operation, input, context);
  // As Ec2Provider: a write is answered once it is durable (ec2/store.h).
  if (operation != "DescribeLoadBalancers") KURA_RETURN_IF_ERROR(ec2_->WaitDurable());
  return result;
}

base::Result<json> ElbProvider::Dispatch(std::string_view operation, const json& input, const CallContext& context) {
  static const json kEmpty = json::object();
  const DocumentReader in = Reader(input.is_object() ? input : kEmpty);
  const Caller caller{context.caller, context.region, context.request_id};
  KURA_ASSIGN_OR_RETURN(auto name, in.String("LoadBalancerName"));
  std::vector<std::string> resources;
  if (!name.empty()) {
    resources.push_back("arn:aws:elasticloadbalancing:" + caller.region + ":" + caller.principal.account_id +
                        ":loadbalancer/" + name);
  }
  KURA_RETURN_IF_ERROR(ec2_->Authorize(caller, "elasticloadbalancing:" + std::string(operation), resources));

  if (operation == "CreateLoadBalancer") {
    ec2::CreateLoadBalancerRequest r;
    r.name = name;
    KURA_ASSIGN_OR_RETURN(auto listeners, in.Structures("Listeners"));
    for (const auto& l : listeners) {
      ec2::Listener listener;
      KURA_ASSIGN_OR_RETURN(listener.protocol, l.String("Protocol"));
      KURA_ASSIGN_OR_RETURN(auto lb_port, l.OptInt32("LoadBalancerPort"));
      listener.load_balancer_port = lb_port.value_or(0);
      KURA_ASSIGN_OR_RETURN(listener.instance_protocol, l.String("InstanceProtocol"));
      KURA_ASSIGN_OR_RETURN(auto instance_port, l.OptInt32("InstancePort"));
      listener.instance_port = instance_port.value_or(0);
      KURA_ASSIGN_OR_RETURN(listener.ssl_certificate_id, l.String("SSLCertificateId"));
      r.listeners.push_back(std::move(listener));
    }
    KURA_ASSIGN_OR_RETURN(r.zones, in.Strings("AvailabilityZones"));
    KURA_ASSIGN_OR_RETURN(r.subnets, in.Strings("Subnets"));
    KURA_ASSIGN_OR_RETURN(r.security_groups, in.Strings("SecurityGroups"));
    KURA_ASSIGN_OR_RETURN(r.scheme, in.String("Scheme"));
    KURA_ASSIGN_OR_RETURN(r.tags, w::Tags(in, "Tags"));
    KURA_ASSIGN_OR_RETURN(auto dns, ec2_->CreateLoadBalancer(caller, r));
    return json{{"DNSName", dns}};
  }
  if (operation == "DescribeLoadBalancers") {
    KURA_ASSIGN_OR_RETURN(auto names, in.Strings("LoadBalancerNames"));
    ec2::PageRequest page;
    KURA_ASSIGN_OR_RETURN(page.max_results, in.OptInt32("PageSize"));
    KURA_ASSIGN_OR_RETURN(page.next_token, in.String("Marker"));
    KURA_ASSIGN_OR_RETURN(auto result, ec2_->DescribeLoadBalancers(caller, names, page));
    json items = json::array();
    for (const auto& lb : result.items) items.push_back(w::LoadBalancerDoc(lb));
    json out{{"LoadBalancerDescriptions", std::move(items)}};
    if (!result.next_token.empty()) out["NextMarker"] = result.next_token;
    return out;
  }
  if (operation == "DeleteLoadBalancer") {
    KURA_RETURN_IF_ERROR(ec2_->DeleteLoadBalancer(caller, name));
    return json::object();
  }
  if (operation == "RegisterInstancesWithLoadBalancer") {
    KURA_ASSIGN_OR_RETURN(auto ids, InstanceIds(in));
    KURA_ASSIGN_OR_RETURN(auto registered, ec2_->RegisterInstancesWithLoadBalancer(caller, name, ids));
    return json{{"Instances", InstanceList(registered)}};
  }
  if (operation == "DeregisterInstancesFromLoadBalancer") {
    KURA_ASSIGN_OR_RETURN(auto ids, InstanceIds(in));
    KURA_ASSIGN_OR_RETURN(auto remaining, ec2_->DeregisterInstancesFromLoadBalancer(caller, name, ids));
    return json{{"Instances", InstanceList(remaining)}};
  }
  return ec2::Ec2Status(Ec2Error::kElbValidation,
                        "Could not find operation " + std::string(operation) + " for version 2012-06-01");
}

WireError ElbProvider::MapError(const base::Status& status) const { return ec2_wire::ElbWireError(status); }

}  // namespace kura::api
