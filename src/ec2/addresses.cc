// Elastic IPs (ec2-api.md §6.9): VPC addresses of an account and region,
// associated with at most one instance each; the instance shows the address
// as its public IP.
#include <algorithm>

#include "ec2/ec2_service.h"
#include "ec2/filters.h"
#include "ec2/ids.h"

namespace kura::ec2 {

namespace {

// Elastic IPs per account and region (AWS's default quota).
constexpr size_t kMaxAddressesPerRegion = 5;

bool Mine(const AddressRecord& a, const Caller& caller) {
  return a.account == caller.principal.account_id && a.region == caller.region;
}

base::Status AllocationNotFound(const std::string& id) {
  return Ec2Status(Ec2Error::kAllocationNotFound, "The allocation ID '" + id + "' does not exist");
}
base::Status AddressNotFound(const std::string& ip) {
  return Ec2Status(Ec2Error::kAddressNotFound, "Address '" + ip + "' not found.");
}

// Clears the association on both sides; the instance may already be gone.
void Disassociate(AddressRecord& address, const Ec2Store& store, Batch& batch) {
  if (const auto* i = store.Find<InstanceRecord>(address.instance_id); i && i->public_ip == address.public_ip) {
    InstanceRecord instance = *i;
    instance.public_ip.clear();
    batch.Put(std::move(instance));
  }
  address.association_id.clear();
  address.instance_id.clear();
  address.private_ip.clear();
}

// The caller's address named by allocation id, or else by public IP; under mu_.
base::Result<AddressRecord> FindAddress(const Ec2Store& store, const Caller& caller,
                                               const std::string& allocation_id, const std::string& public_ip) {
  if (allocation_id.empty() && public_ip.empty()) {
    return Ec2Status(Ec2Error::kMissingParameter, "Either public IP or allocation id must be specified");
  }
  for (const auto& [key, a] : store.All<AddressRecord>()) {
    if (!Mine(a, caller)) continue;
    if (!allocation_id.empty() ? a.allocation_id == allocation_id : a.public_ip == public_ip) return a;
  }
  return allocation_id.empty() ? AddressNotFound(public_ip) : AllocationNotFound(allocation_id);
}

}  // namespace

base::Result<AddressRecord> Ec2Service::AllocateAddress(const Caller& caller, const std::vector<Tag>& tags) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:AllocateAddress", {}));
  KURA_ASSIGN_OR_RETURN(std::vector<Tag> merged, MergeTags({}, tags));
  std::lock_guard lock(mu_);
  const auto& all = store_->All<AddressRecord>();
  const size_t mine = std::count_if(all.begin(), all.end(), [&](const auto& kv) { return Mine(kv.second, caller); });
  if (mine >= kMaxAddressesPerRegion) {
    return Ec2Status(Ec2Error::kAddressLimitExceeded, "The maximum number of addresses has been reached.");
  }
  AddressRecord a;
  a.allocation_id = NewId("eipalloc-");
  a.account = caller.principal.account_id;
  a.region = caller.region;
  // A public address is held by one allocation at a time, in every account.
  auto taken = [&](const std::string& ip) {
    return std::any_of(all.begin(), all.end(),
                       [&](const auto& kv) { return kv.second.region == caller.region && kv.second.public_ip == ip; });
  };
  for (int attempt = 0; attempt < 64; ++attempt) {
    a.public_ip = NewPublicIp();
    if (!taken(a.public_ip)) break;
  }
  if (taken(a.public_ip)) {
    return Ec2Status(Ec2Error::kAddressLimitExceeded, "There are no more public addresses available.");
  }
  a.tags = std::move(merged);
  KURA_RETURN_IF_ERROR(store_->Put(a));
  return a;
}

base::Result<std::string> Ec2Service::AssociateAddress(const Caller& caller, const AssociateAddressRequest& request) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:AssociateAddress", {}));
  if (request.instance_id.empty()) {
    return Ec2Status(Ec2Error::kMissingParameter, "Either instance ID or network interface id must be specified");
  }
  std::lock_guard lock(mu_);
  KURA_ASSIGN_OR_RETURN(AddressRecord address, FindAddress(*store_, caller, request.allocation_id, request.public_ip));
  KURA_ASSIGN_OR_RETURN(InstanceRecord instance, FindInstance(caller, request.instance_id));
  if (instance.state != InstanceState::kRunning && instance.state != InstanceState::kStopped) {
    return Ec2Status(Ec2Error::kIncorrectInstanceState,
                     "The instance '" + instance.id + "' is not in a valid state for this operation.");
  }
  if (!address.association_id.empty()) {
    if (address.instance_id == instance.id) return address.association_id;
    if (!request.allow_reassociation) {
      return Ec2Status(Ec2Error::kResourceAlreadyAssociated, "resource " + address.allocation_id +
                                                                 " is already associated with associate-id " +
                                                                 address.association_id);
    }
  }
  Batch batch;
  // Moving: the previous instance loses the address.
  if (!address.association_id.empty()) Disassociate(address, *store_, batch);
  // An instance has one Elastic IP: one it had before stays allocated, unassociated.
  for (const auto& [key, other] : store_->All<AddressRecord>()) {
    if (other.instance_id != instance.id || other.allocation_id == address.allocation_id) continue;
    AddressRecord displaced = other;
    displaced.association_id.clear();
    displaced.instance_id.clear();
    displaced.private_ip.clear();
    batch.Put(std::move(displaced));
  }
  address.association_id = NewId("eipassoc-");
  address.instance_id = instance.id;
  address.private_ip = request.private_ip.empty() ? instance.private_ip : request.private_ip;
  instance.public_ip = address.public_ip;
  batch.Put(address);
  batch.Put(instance);  // after Disassociate's put of the same instance, if any: this one wins
  KURA_RETURN_IF_ERROR(store_->Apply(batch));
  return address.association_id;
}

base::Status Ec2Service::DisassociateAddress(const Caller& caller, const std::string& association_id,
                                             const std::string& public_ip) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DisassociateAddress", {}));
  std::lock_guard lock(mu_);
  AddressRecord address;
  if (!association_id.empty()) {
    const auto& all = store_->All<AddressRecord>();
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& kv) {
      return Mine(kv.second, caller) && kv.second.association_id == association_id;
    });
    if (it == all.end()) {
      return Ec2Status(Ec2Error::kAssociationNotFound, "The association ID '" + association_id + "' does not exist");
    }
    address = it->second;
  } else {
    KURA_ASSIGN_OR_RETURN(address, FindAddress(*store_, caller, "", public_ip));
    if (address.association_id.empty()) return base::Status::Ok();
  }
  Batch batch;
  Disassociate(address, *store_, batch);
  batch.Put(address);
  return store_->Apply(batch);
}

base::Status Ec2Service::ReleaseAddress(const Caller& caller, const std::string& allocation_id,
                                        const std::string& public_ip) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:ReleaseAddress", {}));
  std::lock_guard lock(mu_);
  KURA_ASSIGN_OR_RETURN(AddressRecord address, FindAddress(*store_, caller, allocation_id, public_ip));
  if (!address.association_id.empty()) {
    return Ec2Status(Ec2Error::kIpAddressInUse, "Address " + address.public_ip + " is in use.");
  }
  Batch batch;
  batch.Erase<AddressRecord>(KeyOf(address));
  return store_->Apply(batch);
}

base::Result<std::vector<AddressRecord>> Ec2Service::DescribeAddresses(const Caller& caller,
                                                                       const std::vector<std::string>& public_ips,
                                                                       const std::vector<std::string>& allocation_ids,
                                                                       const std::vector<Filter>& filters) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeAddresses", {}));
  std::lock_guard lock(mu_);
  for (const auto& id : allocation_ids) KURA_RETURN_IF_ERROR(FindAddress(*store_, caller, id, "").status());
  for (const auto& ip : public_ips) KURA_RETURN_IF_ERROR(FindAddress(*store_, caller, "", ip).status());
  auto listed = [](const std::vector<std::string>& list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  };
  std::vector<AddressRecord> out;
  const auto values_of = [](const AddressRecord& a, const std::string& name) -> std::optional<std::vector<std::string>> {
          using V = std::vector<std::string>;
          auto optional = [](const std::string& v) { return v.empty() ? V{} : V{v}; };
          if (name == "domain") return V{"vpc"};
          if (name == "instance-id") return optional(a.instance_id);
          if (name == "public-ip") return V{a.public_ip};
          if (name == "allocation-id") return V{a.allocation_id};
          if (name == "association-id") return optional(a.association_id);
          if (name == "private-ip-address") return optional(a.private_ip);
          if (name == "network-border-group") return V{a.region};
          if (name == "public-ipv4-pool") return V{"amazon"};
          return std::nullopt;
        };
  KURA_RETURN_IF_ERROR(CheckFilterNames<AddressRecord>(filters, values_of));
  for (const auto& [key, a] : store_->All<AddressRecord>()) {
    if (!Mine(a, caller)) continue;
    if ((!public_ips.empty() || !allocation_ids.empty()) && !listed(public_ips, a.public_ip) &&
        !listed(allocation_ids, a.allocation_id)) {
      continue;
    }
    KURA_ASSIGN_OR_RETURN(
        bool keep, MatchesFilters(filters, a.tags, [&](const std::string& name) { return values_of(a, name); }));
    if (keep) out.push_back(a);
  }
  return out;
}

}  // namespace kura::ec2
