#include "api/ec2_wire.h"

#include <algorithm>
#include <utility>

#include "api/codec_internal.h"
#include "base/log.h"
#include "ec2/ec2_error.h"

namespace kura::api::ec2_wire {

namespace {

using nlohmann::json;
using ec2::Ec2Error;
using ec2::Ec2Status;

base::Status InvalidValue(std::string message) { return Ec2Status(Ec2Error::kInvalidParameterValue, std::move(message)); }

// "us-east-1" -> "ec2.internal" / "compute-1.amazonaws.com" style DNS suffixes.
std::string PrivateDns(const std::string& ip, const std::string& region) {
  if (ip.empty()) return "";
  std::string dashed = ip;
  std::replace(dashed.begin(), dashed.end(), '.', '-');
  return "ip-" + dashed + (region == "us-east-1" ? ".ec2.internal" : "." + region + ".compute.internal");
}

std::string PublicDns(const std::string& ip, const std::string& region) {
  if (ip.empty()) return "";
  std::string dashed = ip;
  std::replace(dashed.begin(), dashed.end(), '.', '-');
  return "ec2-" + dashed + (region == "us-east-1" ? ".compute-1.amazonaws.com" : "." + region + ".compute.amazonaws.com");
}

void PutTags(json& out, const std::vector<ec2::Tag>& tags) {
  if (!tags.empty()) out["Tags"] = TagList(tags);
}

}  // namespace

// ---- input -------------------------------------------------------------------

DocumentReader Reader(const json& doc) {
  return DocumentReader(doc, [](std::string_view member, std::string_view expected) {
    return InvalidValue("Invalid value for parameter " + std::string(member) + ": it must be " +
                        std::string(expected));
  });
}

base::Result<std::vector<ec2::Filter>> Filters(const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto items, in.Structures("Filters"));
  std::vector<ec2::Filter> out;
  for (const auto& item : items) {
    ec2::Filter f;
    KURA_ASSIGN_OR_RETURN(auto name, item.OptString("Name"));
    if (!name || name->empty()) return InvalidValue("The filter 'null' is invalid");
    f.name = *name;
    KURA_ASSIGN_OR_RETURN(f.values, item.Strings("Values"));
    out.push_back(std::move(f));
  }
  return out;
}

base::Result<ec2::PageRequest> Page(const DocumentReader& in) {
  ec2::PageRequest page;
  KURA_ASSIGN_OR_RETURN(page.max_results, in.OptInt32("MaxResults"));
  KURA_ASSIGN_OR_RETURN(page.next_token, in.String("NextToken"));
  return page;
}

base::Result<std::vector<ec2::Tag>> Tags(const DocumentReader& in, std::string_view member) {
  KURA_ASSIGN_OR_RETURN(auto items, in.Structures(member));
  std::vector<ec2::Tag> out;
  for (const auto& item : items) {
    ec2::Tag t;
    KURA_ASSIGN_OR_RETURN(t.key, item.String("Key"));
    KURA_ASSIGN_OR_RETURN(t.value, item.String("Value"));
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<ec2::Tag> TagSpecs::Of(std::string_view resource_type) const {
  std::vector<ec2::Tag> out;
  for (const auto& [type, tags] : by_type) {
    if (type == resource_type) out.insert(out.end(), tags.begin(), tags.end());
  }
  return out;
}

base::Result<TagSpecs> TagSpecifications(const DocumentReader& in, const std::vector<std::string>& allowed) {
  KURA_ASSIGN_OR_RETURN(auto specs, in.Structures("TagSpecifications"));
  TagSpecs out;
  for (const auto& spec : specs) {
    KURA_ASSIGN_OR_RETURN(auto type, spec.String("ResourceType"));
    if (type.empty()) return InvalidValue("Tag specification resource type must have a value");
    if (std::find(allowed.begin(), allowed.end(), type) == allowed.end()) {
      return InvalidValue("'" + type + "' is not a valid taggable resource type for this operation.");
    }
    KURA_ASSIGN_OR_RETURN(auto tags, Tags(spec, "Tags"));
    if (tags.empty()) return InvalidValue("Tag specification must have at least one tag");
    out.by_type.emplace_back(std::move(type), std::move(tags));
  }
  return out;
}

base::Result<std::vector<ec2::BlockDeviceMapping>> BlockDeviceMappings(const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto items, in.Structures("BlockDeviceMappings"));
  std::vector<ec2::BlockDeviceMapping> out;
  for (const auto& item : items) {
    ec2::BlockDeviceMapping m;
    KURA_ASSIGN_OR_RETURN(m.device_name, item.String("DeviceName"));
    KURA_ASSIGN_OR_RETURN(m.virtual_name, item.String("VirtualName"));
    // NoDevice is a string whose presence (any value, usually "") suppresses the device.
    m.no_device = item.Has("NoDevice");
    KURA_ASSIGN_OR_RETURN(auto ebs, item.Structure("Ebs"));
    if (ebs) {
      ec2::EbsBlockDevice e;
      KURA_ASSIGN_OR_RETURN(e.snapshot_id, ebs->String("SnapshotId"));
      KURA_ASSIGN_OR_RETURN(e.volume_size_gib, ebs->OptInt("VolumeSize"));
      KURA_ASSIGN_OR_RETURN(e.volume_type, ebs->String("VolumeType"));
      KURA_ASSIGN_OR_RETURN(e.iops, ebs->OptInt32("Iops"));
      KURA_ASSIGN_OR_RETURN(e.throughput, ebs->OptInt32("Throughput"));
      KURA_ASSIGN_OR_RETURN(e.delete_on_termination, ebs->OptBool("DeleteOnTermination"));
      KURA_ASSIGN_OR_RETURN(e.encrypted, ebs->OptBool("Encrypted"));
      KURA_ASSIGN_OR_RETURN(e.kms_key_id, ebs->String("KmsKeyId"));
      m.ebs = std::move(e);
    }
    out.push_back(std::move(m));
  }
  return out;
}

base::Result<AttributeChange> PermissionChanges(const DocumentReader& in, std::string_view structured_member,
                                                std::string_view groups_member,
                                                std::string_view permission_attribute) {
  AttributeChange out;
  KURA_ASSIGN_OR_RETURN(out.attribute, in.String("Attribute"));
  ec2::PermissionChange& c = out.change;

  // The flat form.
  KURA_ASSIGN_OR_RETURN(auto users, in.Strings("UserIds"));
  KURA_ASSIGN_OR_RETURN(auto groups, in.Strings(groups_member));
  KURA_ASSIGN_OR_RETURN(auto operation, in.String("OperationType"));
  if (!users.empty() || !groups.empty()) {
    if (operation.empty()) return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter OperationType");
    if (operation == "add") {
      c.add_users = std::move(users);
      c.add_groups = std::move(groups);
    } else if (operation == "remove") {
      c.remove_users = std::move(users);
      c.remove_groups = std::move(groups);
    } else {
      return InvalidValue("Value (" + operation + ") for parameter OperationType is invalid. Expected: 'add' or 'remove'.");
    }
    if (out.attribute.empty()) out.attribute = std::string(permission_attribute);
  } else if (!operation.empty() && operation != "add" && operation != "remove") {
    return InvalidValue("Value (" + operation + ") for parameter OperationType is invalid. Expected: 'add' or 'remove'.");
  }

  // The structured form.
  KURA_ASSIGN_OR_RETURN(auto structured, in.Structure(structured_member));
  if (structured) {
    for (const char* side : {"Add", "Remove"}) {
      KURA_ASSIGN_OR_RETURN(auto entries, structured->Structures(side));
      const bool add = std::string_view(side) == "Add";
      for (const auto& entry : entries) {
        KURA_ASSIGN_OR_RETURN(auto user, entry.String("UserId"));
        KURA_ASSIGN_OR_RETURN(auto group, entry.String("Group"));
        if (!user.empty()) (add ? c.add_users : c.remove_users).push_back(user);
        if (!group.empty()) (add ? c.add_groups : c.remove_groups).push_back(group);
      }
    }
    if (out.attribute.empty()) out.attribute = std::string(permission_attribute);
  }
  return out;
}

// ---- output ------------------------------------------------------------------

json Time(int64_t ms) {
  if (ms % 1000 == 0) return json(ms / 1000);
  return json(static_cast<double>(ms) / 1000.0);
}

std::string IsoTime(int64_t ms) { return codec_internal::FormatIso8601(static_cast<double>(ms) / 1000.0); }

json TagList(const std::vector<ec2::Tag>& tags) {
  json out = json::array();
  for (const auto& t : tags) out.push_back({{"Key", t.key}, {"Value", t.value}});
  return out;
}

json AttachmentDoc(const std::string& volume_id, const ec2::VolumeAttachment& a) {
  return json{{"VolumeId", volume_id},
              {"InstanceId", a.instance_id},
              {"Device", a.device},
              {"State", ec2::Name(a.state)},
              {"AttachTime", Time(a.attach_time)},
              {"DeleteOnTermination", a.delete_on_termination}};
}

json VolumeDoc(const ec2::VolumeRecord& v) {
  json out{{"VolumeId", v.id},
           {"Size", v.size_gib},
           {"SnapshotId", v.snapshot_id},
           {"AvailabilityZone", v.zone},
           {"State", ec2::Name(v.state)},
           {"CreateTime", Time(v.create_time)},
           {"VolumeType", v.volume_type},
           {"Encrypted", v.encrypted},
           {"MultiAttachEnabled", v.multi_attach}};
  if (v.iops) out["Iops"] = *v.iops;
  if (v.throughput) out["Throughput"] = *v.throughput;
  if (v.encrypted && !v.encryption.kms_key_arn.empty()) out["KmsKeyId"] = v.encryption.kms_key_arn;
  json attachments = json::array();
  if (v.attachment) attachments.push_back(AttachmentDoc(v.id, *v.attachment));
  out["Attachments"] = std::move(attachments);
  PutTags(out, v.tags);
  return out;
}

json VolumeStatusDoc(const ec2::VolumeRecord& v) {
  const bool impaired = v.state == ec2::VolumeState::kError;
  json details = json::array();
  details.push_back({{"Name", "io-enabled"}, {"Status", impaired ? "failed" : "passed"}});
  details.push_back({{"Name", "io-performance"}, {"Status", "not-applicable"}});
  return json{{"VolumeId", v.id},
              {"AvailabilityZone", v.zone},
              {"VolumeStatus", {{"Status", impaired ? "impaired" : "ok"}, {"Details", std::move(details)}}},
              {"Actions", json::array()},
              {"Events", json::array()}};
}

json ModificationDoc(const std::string& volume_id, const ec2::VolumeModification& m) {
  json out{{"VolumeId", volume_id},
           {"ModificationState", m.state},
           {"TargetSize", m.target_size_gib},
           {"TargetVolumeType", m.target_type},
           {"OriginalSize", m.original_size_gib},
           {"OriginalVolumeType", m.original_type},
           {"Progress", m.progress},
           {"StartTime", Time(m.start_time)}};
  if (m.target_iops) out["TargetIops"] = *m.target_iops;
  if (m.original_iops) out["OriginalIops"] = *m.original_iops;
  if (m.target_throughput) out["TargetThroughput"] = *m.target_throughput;
  if (m.original_throughput) out["OriginalThroughput"] = *m.original_throughput;
  if (m.end_time > 0) out["EndTime"] = Time(m.end_time);
  return out;
}

namespace {
std::string ProgressText(int progress) { return progress < 0 ? "" : std::to_string(progress) + "%"; }
}  // namespace

// CreateSnapshots' SnapshotInfo: the members it shares with Snapshot.
json SnapshotInfoDoc(const ec2::SnapshotRecord& s) {
  json out{{"SnapshotId", s.id},
           {"VolumeId", s.volume_id},
           {"State", ec2::Name(s.state)},
           {"StartTime", Time(s.start_time)},
           {"Progress", ProgressText(s.progress)},
           {"OwnerId", s.account},
           {"VolumeSize", s.volume_size_gib},
           {"Description", s.description},
           {"Encrypted", s.encrypted}};
  PutTags(out, s.tags);
  return out;
}

json SnapshotDoc(const ec2::SnapshotRecord& s) {
  json out = SnapshotInfoDoc(s);
  out["StorageTier"] = "standard";
  if (!s.state_message.empty()) out["StateMessage"] = s.state_message;
  if (s.encrypted && !s.encryption.kms_key_arn.empty()) out["KmsKeyId"] = s.encryption.kms_key_arn;
  return out;
}

json PermissionsDoc(const std::vector<std::string>& users, bool is_public) {
  json out = json::array();
  if (is_public) out.push_back({{"Group", "all"}});
  for (const auto& u : users) out.push_back({{"UserId", u}});
  return out;
}

json ImageMappingsDoc(const std::vector<ec2::BlockDeviceMapping>& mappings) {
  json out = json::array();
  for (const auto& m : mappings) {
    json item{{"DeviceName", m.device_name}};
    if (!m.virtual_name.empty()) item["VirtualName"] = m.virtual_name;
    if (m.no_device) item["NoDevice"] = "";
    if (m.ebs) {
      const ec2::EbsBlockDevice& e = *m.ebs;
      json ebs = json::object();
      if (!e.snapshot_id.empty()) ebs["SnapshotId"] = e.snapshot_id;
      if (e.volume_size_gib) ebs["VolumeSize"] = *e.volume_size_gib;
      ebs["DeleteOnTermination"] = e.delete_on_termination.value_or(true);
      ebs["VolumeType"] = e.volume_type.empty() ? "gp2" : e.volume_type;
      if (e.iops) ebs["Iops"] = *e.iops;
      if (e.throughput) ebs["Throughput"] = *e.throughput;
      const bool encrypted = e.encrypted.value_or(false);
      ebs["Encrypted"] = encrypted;
      if (encrypted && !e.kms_key_id.empty()) ebs["KmsKeyId"] = e.kms_key_id;
      item["Ebs"] = std::move(ebs);
    }
    out.push_back(std::move(item));
  }
  return out;
}

json ImageDoc(const ec2::ImageRecord& i) {
  json out{{"ImageId", i.id},
           {"ImageLocation", i.account + "/" + i.name},
           {"State", ec2::Name(i.state)},
           {"OwnerId", i.account},
           {"CreationDate", IsoTime(i.creation_date)},
           {"Public", i.is_public},
           {"Architecture", i.architecture},
           {"ImageType", "machine"},
           {"Name", i.name},
           {"RootDeviceType", "ebs"},
           {"RootDeviceName", i.root_device_name},
           {"BlockDeviceMappings", ImageMappingsDoc(i.block_device_mappings)},
           {"VirtualizationType", i.virtualization_type},
           {"Hypervisor", "xen"},
           {"EnaSupport", i.ena_support}};
  if (!i.description.empty()) out["Description"] = i.description;
  if (!i.state_message.empty()) out["StateReason"] = {{"Code", "Client.InternalError"}, {"Message", i.state_message}};
  PutTags(out, i.tags);
  return out;
}

json InstanceMappingsDoc(const std::vector<ec2::InstanceBlockDevice>& devices) {
  json out = json::array();
  for (const auto& d : devices) {
    out.push_back({{"DeviceName", d.device_name},
                   {"Ebs",
                    {{"VolumeId", d.volume_id},
                     {"Status", d.status},
                     {"AttachTime", Time(d.attach_time)},
                     {"DeleteOnTermination", d.delete_on_termination}}}});
  }
  return out;
}

json StateDoc(ec2::InstanceState s) { return json{{"Code", ec2::Code(s)}, {"Name", ec2::Name(s)}}; }

json InstanceDoc(const ec2::InstanceRecord& i) {
  json out{{"InstanceId", i.id},
           {"ImageId", i.image_id},
           {"State", StateDoc(i.state)},
           {"PrivateDnsName", PrivateDns(i.private_ip, i.region)},
           {"PublicDnsName", PublicDns(i.public_ip, i.region)},
           {"StateTransitionReason", i.state_transition_reason},
           {"AmiLaunchIndex", i.ami_launch_index},
           {"InstanceType", i.instance_type},
           {"LaunchTime", Time(i.launch_time)},
           {"Placement", {{"AvailabilityZone", i.zone}, {"Tenancy", "default"}}},
           {"Monitoring", {{"State", "disabled"}}},
           {"RootDeviceType", "ebs"},
           {"RootDeviceName", i.root_device_name},
           {"BlockDeviceMappings", InstanceMappingsDoc(i.block_devices)},
           {"Architecture", "x86_64"},
           {"VirtualizationType", "hvm"},
           {"Hypervisor", "xen"},
           {"ClientToken", i.client_token},
           {"EbsOptimized", i.ebs_optimized},
           {"EnaSupport", true}};
  if (!i.private_ip.empty()) out["PrivateIpAddress"] = i.private_ip;
  if (!i.public_ip.empty()) out["PublicIpAddress"] = i.public_ip;
  if (!i.key_name.empty()) out["KeyName"] = i.key_name;
  if (i.state_reason) out["StateReason"] = {{"Code", i.state_reason->code}, {"Message", i.state_reason->message}};
  PutTags(out, i.tags);
  return out;
}

json ReservationDoc(const ec2::Reservation& r) {
  json instances = json::array();
  for (const auto& i : r.instances) instances.push_back(InstanceDoc(i));
  return json{{"ReservationId", r.reservation_id},
              {"OwnerId", r.owner_id},
              {"Groups", json::array()},
              {"Instances", std::move(instances)}};
}

json StateChangesDoc(const std::vector<ec2::InstanceStateChange>& changes) {
  json out = json::array();
  for (const auto& c : changes) {
    out.push_back({{"InstanceId", c.instance_id},
                   {"CurrentState", StateDoc(c.current)},
                   {"PreviousState", StateDoc(c.previous)}});
  }
  return out;
}

json InstanceTypeDoc(const ec2::InstanceTypeInfo& t) {
  return json{{"InstanceType", t.instance_type},
              {"CurrentGeneration", t.current_generation},
              {"SupportedRootDeviceTypes", json::array({"ebs"})},
              {"SupportedVirtualizationTypes", json::array({"hvm"})},
              {"ProcessorInfo", {{"SupportedArchitectures", t.architectures}}},
              {"VCpuInfo", {{"DefaultVCpus", t.vcpus}}},
              {"MemoryInfo", {{"SizeInMiB", t.memory_mib}}},
              {"EbsInfo",
               {{"EbsOptimizedSupport", t.ebs_optimized_support},
                {"EncryptionSupport", t.encryption_supported ? "supported" : "unsupported"},
                {"NvmeSupport", t.nvme_support}}}};
}

json TagDescriptionDoc(const ec2::TagDescription& t) {
  return json{{"ResourceId", t.resource_id}, {"ResourceType", t.resource_type}, {"Key", t.key}, {"Value", t.value}};
}

json RegionDoc(const ec2::RegionInfo& r) {
  return json{{"RegionName", r.name}, {"Endpoint", r.endpoint}, {"OptInStatus", "opt-in-not-required"}};
}

json ZoneDoc(const ec2::ZoneInfo& z) {
  return json{{"ZoneName", z.name},
              {"ZoneId", z.zone_id},
              {"State", "available"},
              {"RegionName", z.region},
              {"GroupName", z.region},
              {"NetworkBorderGroup", z.region},
              {"ZoneType", "availability-zone"},
              {"OptInStatus", "opt-in-not-required"},
              {"Messages", json::array()}};
}

json AddressDoc(const ec2::AddressRecord& a) {
  json out{{"PublicIp", a.public_ip},
           {"AllocationId", a.allocation_id},
           {"Domain", "vpc"},
           {"PublicIpv4Pool", "amazon"},
           {"NetworkBorderGroup", a.region}};
  if (!a.association_id.empty()) out["AssociationId"] = a.association_id;
  if (!a.instance_id.empty()) out["InstanceId"] = a.instance_id;
  if (!a.private_ip.empty()) out["PrivateIpAddress"] = a.private_ip;
  PutTags(out, a.tags);
  return out;
}

json LoadBalancerDoc(const ec2::LoadBalancerRecord& lb) {
  json listeners = json::array();
  for (const auto& l : lb.listeners) {
    json listener{{"Protocol", l.protocol},
                  {"LoadBalancerPort", l.load_balancer_port},
                  {"InstanceProtocol", l.instance_protocol.empty() ? l.protocol : l.instance_protocol},
                  {"InstancePort", l.instance_port}};
    if (!l.ssl_certificate_id.empty()) listener["SSLCertificateId"] = l.ssl_certificate_id;
    listeners.push_back({{"Listener", std::move(listener)}, {"PolicyNames", json::array()}});
  }
  json instances = json::array();
  for (const auto& id : lb.instances) instances.push_back({{"InstanceId", id}});
  const int first_port = lb.listeners.empty() ? 80 : lb.listeners.front().instance_port;
  return json{{"LoadBalancerName", lb.name},
              {"DNSName", lb.dns_name},
              {"CanonicalHostedZoneName", lb.dns_name},
              {"CanonicalHostedZoneNameID", "Z35SXDOTRQ7X7K"},
              {"ListenerDescriptions", std::move(listeners)},
              {"Policies",
               {{"AppCookieStickinessPolicies", json::array()},
                {"LBCookieStickinessPolicies", json::array()},
                {"OtherPolicies", json::array()}}},
              {"BackendServerDescriptions", json::array()},
              {"AvailabilityZones", lb.zones},
              {"Subnets", lb.subnets},
              {"Instances", std::move(instances)},
              {"HealthCheck",
               {{"Target", "TCP:" + std::to_string(first_port)},
                {"Interval", 30},
                {"Timeout", 5},
                {"UnhealthyThreshold", 2},
                {"HealthyThreshold", 10}}},
              {"SourceSecurityGroup", {{"OwnerAlias", "amazon-elb"}, {"GroupName", "amazon-elb-sg"}}},
              {"SecurityGroups", lb.security_groups},
              {"CreatedTime", Time(lb.created_time)},
              {"Scheme", lb.scheme}};
}

// ---- errors ------------------------------------------------------------------

namespace {

// The wire code of every EC2 kind (the one table; ec2_error.h names them).
const char* Ec2Code(Ec2Error e) {
  switch (e) {
    case Ec2Error::kInvalidParameterValue: return "InvalidParameterValue";
    case Ec2Error::kMissingParameter: return "MissingParameter";
    case Ec2Error::kInvalidParameterDependency: return "InvalidParameterDependency";
    case Ec2Error::kInvalidParameterCombination: return "InvalidParameterCombination";
    case Ec2Error::kInvalidParameter: return "InvalidParameter";
    case Ec2Error::kInvalidId: return "InvalidID";
    case Ec2Error::kIdempotentParameterMismatch: return "IdempotentParameterMismatch";
    case Ec2Error::kUnauthorizedOperation: return "UnauthorizedOperation";
    case Ec2Error::kDryRunOperation: return "DryRunOperation";
    case Ec2Error::kOperationNotPermitted: return "OperationNotPermitted";
    case Ec2Error::kUnsupportedOperation: return "UnsupportedOperation";
    case Ec2Error::kIncorrectState: return "IncorrectState";
    case Ec2Error::kIncorrectInstanceState: return "IncorrectInstanceState";
    case Ec2Error::kIncorrectModificationState: return "IncorrectModificationState";
    case Ec2Error::kResourceLimitExceeded: return "ResourceLimitExceeded";
    case Ec2Error::kTagLimitExceeded: return "TagLimitExceeded";
    case Ec2Error::kInternal: return "InternalError";
    case Ec2Error::kVolumeNotFound: return "InvalidVolume.NotFound";
    case Ec2Error::kVolumeIdMalformed: return "InvalidVolumeID.Malformed";
    case Ec2Error::kVolumeZoneMismatch: return "InvalidVolume.ZoneMismatch";
    case Ec2Error::kVolumeInUse: return "VolumeInUse";
    case Ec2Error::kAttachmentNotFound: return "InvalidAttachment.NotFound";
    case Ec2Error::kAttachmentLimitExceeded: return "AttachmentLimitExceeded";
    case Ec2Error::kEncryptedVolumesNotSupported: return "EncryptedVolumesNotSupported";
    case Ec2Error::kZoneNotFound: return "InvalidZone.NotFound";
    case Ec2Error::kSnapshotNotFound: return "InvalidSnapshot.NotFound";
    case Ec2Error::kSnapshotIdMalformed: return "InvalidSnapshotID.Malformed";
    case Ec2Error::kSnapshotInUse: return "InvalidSnapshot.InUse";
    case Ec2Error::kAmiNotFound: return "InvalidAMIID.NotFound";
    case Ec2Error::kAmiIdMalformed: return "InvalidAMIID.Malformed";
    case Ec2Error::kAmiNameDuplicate: return "InvalidAMIName.Duplicate";
    case Ec2Error::kAmiAttributeItemValue: return "InvalidAMIAttributeItemValue";
    case Ec2Error::kInstanceNotFound: return "InvalidInstanceID.NotFound";
    case Ec2Error::kInstanceIdMalformed: return "InvalidInstanceID.Malformed";
    case Ec2Error::kInvalidInstanceType: return "InvalidInstanceType";
    case Ec2Error::kInstanceLimitExceeded: return "InstanceLimitExceeded";
    case Ec2Error::kAllocationNotFound: return "InvalidAllocationID.NotFound";
    case Ec2Error::kAssociationNotFound: return "InvalidAssociationID.NotFound";
    case Ec2Error::kAddressNotFound: return "InvalidAddress.NotFound";
    case Ec2Error::kIpAddressInUse: return "InvalidIPAddress.InUse";
    case Ec2Error::kResourceAlreadyAssociated: return "Resource.AlreadyAssociated";
    case Ec2Error::kAddressLimitExceeded: return "AddressLimitExceeded";
    case Ec2Error::kLoadBalancerNotFound: return "LoadBalancerNotFound";
    case Ec2Error::kDuplicateLoadBalancerName: return "DuplicateLoadBalancerName";
    case Ec2Error::kInvalidInstance: return "InvalidInstance";
    case Ec2Error::kInvalidConfigurationRequest: return "InvalidConfigurationRequest";
    case Ec2Error::kDuplicateListener: return "DuplicateListener";
    case Ec2Error::kUnsupportedProtocol: return "UnsupportedProtocol";
    case Ec2Error::kElbValidation: return "ValidationError";
    case Ec2Error::kTooManyLoadBalancers: return "TooManyLoadBalancers";
    case Ec2Error::kNone: break;
  }
  return nullptr;
}

// Not an EC2 kind (store, engine, an unmapped KMS failure): never show internals to the client.
bool IsInternal(const base::Status& status, Ec2Error kind) {
  if (kind != Ec2Error::kInternal) return false;
  if (status.detail() != static_cast<int>(Ec2Error::kInternal)) {
    base::LogEvent(base::LogLevel::kError, "ec2_internal_error", {{"status", status.ToString()}});
  }
  return true;
}

}  // namespace

WireError Ec2WireError(const base::Status& status) {
  const Ec2Error kind = ec2::ErrorOf(status);
  if (IsInternal(status, kind) || kind == Ec2Error::kNone) {
    return {"InternalError", "An internal error has occurred", 500, false};
  }
  int http = 400;
  if (kind == Ec2Error::kUnauthorizedOperation) http = 403;
  if (kind == Ec2Error::kDryRunOperation) http = 412;
  return {Ec2Code(kind), status.message(), http, true};
}

WireError ElbWireError(const base::Status& status) {
  const Ec2Error kind = ec2::ErrorOf(status);
  if (IsInternal(status, kind) || kind == Ec2Error::kNone) {
    return {"InternalFailure", "The request processing has failed because of an unknown error.", 500, false};
  }
  switch (kind) {
    case Ec2Error::kLoadBalancerNotFound:
    case Ec2Error::kDuplicateLoadBalancerName:
    case Ec2Error::kInvalidInstance:
    case Ec2Error::kDuplicateListener:
    case Ec2Error::kUnsupportedProtocol:
    case Ec2Error::kElbValidation:
    case Ec2Error::kTooManyLoadBalancers:
      return {Ec2Code(kind), status.message(), 400, true};
    case Ec2Error::kInvalidConfigurationRequest: return {Ec2Code(kind), status.message(), 409, true};
    case Ec2Error::kUnauthorizedOperation: return {"AccessDenied", status.message(), 403, true};
    case Ec2Error::kInstanceNotFound:
    case Ec2Error::kInstanceIdMalformed: return {"InvalidInstance", status.message(), 400, true};
    default: break;
  }
  // Generic parameter problems (InvalidParameterValue, MissingParameter, ...) are ValidationError in ELB.
  return {"ValidationError", status.message(), 400, true};
}

}  // namespace kura::api::ec2_wire
