// Classic load balancers (elb.md): just enough to put instances behind a
// load balancer and swap one for another. Records are per account and region.
#include <algorithm>
#include <cctype>
#include <set>

#include "ec2/ec2_service.h"
#include "ec2/filters.h"
#include "ec2/ids.h"

namespace kura::ec2 {

namespace {

constexpr size_t kMaxNameLength = 32;
constexpr size_t kMaxLoadBalancersPerRegion = 20;

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

base::Status CheckName(const std::string& name) {
  const bool valid = !name.empty() && name.size() <= kMaxNameLength && name.front() != '-' && name.back() != '-' &&
                     std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '-'; });
  if (valid) return base::Status::Ok();
  return Ec2Status(Ec2Error::kElbValidation,
                   "LoadBalancerName '" + name +
                       "' must have at most 32 characters, contain only alphanumeric characters or hyphens, and must "
                       "not begin or end with a hyphen.");
}

// Protocols upper-cased, the instance protocol defaulted to the front one.
base::Result<std::vector<Listener>> NormalizeListeners(const std::vector<Listener>& listeners) {
  if (listeners.empty()) {
    return Ec2Status(Ec2Error::kElbValidation, "The request must contain the parameter Listeners");
  }
  static const std::set<std::string> kProtocols = {"HTTP", "HTTPS", "TCP", "SSL"};
  std::vector<Listener> out;
  std::set<int> ports;
  for (Listener l : listeners) {
    l.protocol = Upper(l.protocol);
    l.instance_protocol = l.instance_protocol.empty() ? l.protocol : Upper(l.instance_protocol);
    for (const auto* p : {&l.protocol, &l.instance_protocol}) {
      if (!kProtocols.contains(*p)) {
        return Ec2Status(Ec2Error::kInvalidConfigurationRequest,
                         "Invalid protocol " + *p + ": the protocol must be HTTP, HTTPS, TCP or SSL.");
      }
    }
    for (int port : {l.load_balancer_port, l.instance_port}) {
      if (port < 1 || port > 65535) {
        return Ec2Status(Ec2Error::kElbValidation, "Invalid port " + std::to_string(port) + ": must be 1-65535.");
      }
    }
    if ((l.protocol == "HTTPS" || l.protocol == "SSL") && l.ssl_certificate_id.empty()) {
      return Ec2Status(Ec2Error::kElbValidation, "A listener with protocol " + l.protocol +
                                                     " requires an SSLCertificateId.");
    }
    if (!ports.insert(l.load_balancer_port).second) {
      return Ec2Status(Ec2Error::kDuplicateListener, "A listener already exists for load balancer port " +
                                                         std::to_string(l.load_balancer_port) + ".");
    }
    out.push_back(std::move(l));
  }
  return out;
}

bool SameListeners(const std::vector<Listener>& a, const std::vector<Listener>& b) {
  auto key = [](const std::vector<Listener>& ls) {
    std::set<std::tuple<std::string, int, std::string, int, std::string>> k;
    for (const auto& l : ls) k.emplace(l.protocol, l.load_balancer_port, l.instance_protocol, l.instance_port, l.ssl_certificate_id);
    return k;
  };
  return key(a) == key(b);
}

bool SameSet(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::set<std::string>(a.begin(), a.end()) == std::set<std::string>(b.begin(), b.end());
}

// "<name>-<10 digits>.<region>.elb.amazonaws.com" (internal- in front for internal ones).
std::string DnsName(const std::string& name, const std::string& region, const std::string& scheme) {
  std::string digits;
  for (char c : NewId("")) digits += static_cast<char>('0' + (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'a') % 10);
  digits.resize(10);
  if (digits[0] == '0') digits[0] = '1';
  return (scheme == "internal" ? "internal-" : "") + name + "-" + digits + "." + region + ".elb.amazonaws.com";
}

base::Status LoadBalancerNotFound(const std::string& name) {
  return Ec2Status(Ec2Error::kLoadBalancerNotFound, "There is no ACTIVE Load Balancer named '" + name + "'");
}

base::Status InvalidInstance(const std::string& id) {
  return Ec2Status(Ec2Error::kInvalidInstance, "The specified EC2 Instance ID does not exist: " + id);
}

}  // namespace

base::Result<std::string> Ec2Service::CreateLoadBalancer(const Caller& caller, const CreateLoadBalancerRequest& request) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "elasticloadbalancing:CreateLoadBalancer", {}));
  KURA_RETURN_IF_ERROR(CheckName(request.name));
  KURA_ASSIGN_OR_RETURN(std::vector<Listener> listeners, NormalizeListeners(request.listeners));
  const std::string scheme = request.scheme.empty() ? "internet-facing" : request.scheme;
  if (scheme != "internet-facing" && scheme != "internal") {
    return Ec2Status(Ec2Error::kInvalidConfigurationRequest, "Invalid scheme " + scheme +
                                                                 ": must be internet-facing or internal.");
  }
  if (request.zones.empty() && request.subnets.empty()) {
    return Ec2Status(Ec2Error::kElbValidation, "Either AvailabilityZones or Subnets must be specified");
  }
  const auto zones = ZonesOf(caller.region);
  for (const auto& z : request.zones) {
    if (std::none_of(zones.begin(), zones.end(), [&](const ZoneInfo& info) { return info.name == z; })) {
      return Ec2Status(Ec2Error::kElbValidation, "Invalid Availability Zone: " + z);
    }
  }
  std::lock_guard lock(mu_);
  const std::string key = ScopedKey(caller.principal.account_id, caller.region, request.name);
  if (const auto* existing = store_->Find<LoadBalancerRecord>(key)) {
    // Asking again for the same load balancer is not an error.
    if (SameListeners(existing->listeners, listeners) && SameSet(existing->zones, request.zones) &&
        SameSet(existing->subnets, request.subnets) && SameSet(existing->security_groups, request.security_groups) &&
        existing->scheme == scheme) {
      return existing->dns_name;
    }
    return Ec2Status(Ec2Error::kDuplicateLoadBalancerName,
                     "Load Balancer named '" + request.name + "' already exists and it is configured with different "
                     "parameters.");
  }
  const auto& all = store_->All<LoadBalancerRecord>();
  const size_t mine = std::count_if(all.begin(), all.end(), [&](const auto& kv) {
    return kv.second.account == caller.principal.account_id && kv.second.region == caller.region;
  });
  if (mine >= kMaxLoadBalancersPerRegion) {
    return Ec2Status(Ec2Error::kTooManyLoadBalancers,
                     "Exceeded quota of account " + caller.principal.account_id + ": at most " +
                         std::to_string(kMaxLoadBalancersPerRegion) + " load balancers per region.");
  }
  LoadBalancerRecord lb;
  lb.name = request.name;
  lb.account = caller.principal.account_id;
  lb.region = caller.region;
  lb.dns_name = DnsName(request.name, caller.region, scheme);
  lb.scheme = scheme;
  lb.listeners = std::move(listeners);
  lb.zones = request.zones;
  lb.subnets = request.subnets;
  lb.security_groups = request.security_groups;
  lb.tags = request.tags;
  lb.created_time = NowMs();
  KURA_RETURN_IF_ERROR(store_->Put(lb));
  return lb.dns_name;
}

base::Result<Page<LoadBalancerRecord>> Ec2Service::DescribeLoadBalancers(const Caller& caller,
                                                                         const std::vector<std::string>& names,
                                                                         const PageRequest& page) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "elasticloadbalancing:DescribeLoadBalancers", {}));
  std::lock_guard lock(mu_);
  std::vector<LoadBalancerRecord> matched;
  if (!names.empty()) {
    for (const auto& name : names) {
      const auto* lb = store_->Find<LoadBalancerRecord>(ScopedKey(caller.principal.account_id, caller.region, name));
      if (!lb) return LoadBalancerNotFound(name);
      matched.push_back(*lb);
    }
  } else {
    for (const auto& [key, lb] : store_->All<LoadBalancerRecord>()) {
      if (lb.account == caller.principal.account_id && lb.region == caller.region) matched.push_back(lb);
    }
  }
  KURA_ASSIGN_OR_RETURN(Paging p, PageOf(matched.size(), page.max_results, page.next_token, 1, 400));
  Page<LoadBalancerRecord> out;
  out.items.assign(std::make_move_iterator(matched.begin() + static_cast<ptrdiff_t>(p.begin)),
                   std::make_move_iterator(matched.begin() + static_cast<ptrdiff_t>(p.end)));
  out.next_token = p.next_token;
  return out;
}

base::Status Ec2Service::DeleteLoadBalancer(const Caller& caller, const std::string& name) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "elasticloadbalancing:DeleteLoadBalancer", {}));
  std::lock_guard lock(mu_);
  const std::string key = ScopedKey(caller.principal.account_id, caller.region, name);
  if (!store_->Find<LoadBalancerRecord>(key)) return base::Status::Ok();  // idempotent, as AWS
  Batch batch;
  batch.Erase<LoadBalancerRecord>(key);
  return store_->Apply(batch);
}

base::Result<std::vector<std::string>> Ec2Service::RegisterInstancesWithLoadBalancer(
    const Caller& caller, const std::string& name, const std::vector<std::string>& instances) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "elasticloadbalancing:RegisterInstancesWithLoadBalancer", {}));
  std::lock_guard lock(mu_);
  const auto* found = store_->Find<LoadBalancerRecord>(ScopedKey(caller.principal.account_id, caller.region, name));
  if (!found) return LoadBalancerNotFound(name);
  for (const auto& id : instances) {
    auto instance = FindInstance(caller, id);
    if (!instance.ok() || instance->state == InstanceState::kShuttingDown ||
        instance->state == InstanceState::kTerminated) {
      return InvalidInstance(id);
    }
  }
  LoadBalancerRecord lb = *found;
  for (const auto& id : instances) {
    if (std::find(lb.instances.begin(), lb.instances.end(), id) == lb.instances.end()) lb.instances.push_back(id);
  }
  KURA_RETURN_IF_ERROR(store_->Put(lb));
  return lb.instances;
}

base::Result<std::vector<std::string>> Ec2Service::DeregisterInstancesFromLoadBalancer(
    const Caller& caller, const std::string& name, const std::vector<std::string>& instances) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "elasticloadbalancing:DeregisterInstancesFromLoadBalancer", {}));
  std::lock_guard lock(mu_);
  const auto* found = store_->Find<LoadBalancerRecord>(ScopedKey(caller.principal.account_id, caller.region, name));
  if (!found) return LoadBalancerNotFound(name);
  LoadBalancerRecord lb = *found;
  for (const auto& id : instances) {
    if (std::find(lb.instances.begin(), lb.instances.end(), id) == lb.instances.end()) return InvalidInstance(id);
  }
  for (const auto& id : instances) std::erase(lb.instances, id);
  KURA_RETURN_IF_ERROR(store_->Put(lb));
  return lb.instances;
}

}  // namespace kura::ec2
