#include "api/ec2_provider.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "api/ec2_wire.h"
#include "ec2/ec2_error.h"

namespace kura::api {

namespace {

using nlohmann::json;
using ec2::Caller;
using ec2::Ec2Error;
using ec2::Ec2Service;
namespace w = ec2_wire;

using Handler = std::function<base::Result<json>(Ec2Service&, const Caller&, const DocumentReader&)>;

// An id the operation acts on: its ARN resource type ("" = from the id's
// prefix) and the input member holding it (a string or a list of strings;
// "A.B" for a member of a structure).
struct Target {
  const char* type;
  const char* member;
};

struct Operation {
  Handler handler;
  std::vector<Target> targets;  // none: the resource is "*"
};

base::Result<json> Empty(const base::Status& s) {
  if (!s.ok()) return s;
  return json::object();
}

void PutNextToken(json& out, const std::string& token) {
  if (!token.empty()) out["NextToken"] = token;
}

std::string TypeOfId(const std::string& id) {
  if (id.rfind("vol-", 0) == 0) return "volume";
  if (id.rfind("snap-", 0) == 0) return "snapshot";
  if (id.rfind("ami-", 0) == 0) return "image";
  if (id.rfind("i-", 0) == 0) return "instance";
  if (id.rfind("eipalloc-", 0) == 0) return "elastic-ip";
  return "";
}

// Snapshots and images are not scoped to an account in their ARNs (they may be shared).
std::string ArnOf(const std::string& type, const std::string& id, const Caller& caller) {
  const bool unowned = type == "snapshot" || type == "image";
  return "arn:aws:ec2:" + caller.region + ":" + (unowned ? std::string() : caller.principal.account_id) + ":" + type +
         "/" + id;
}

std::vector<std::string> ResourcesOf(const std::vector<Target>& targets, const json& input, const Caller& caller) {
  std::vector<std::string> out;
  for (const Target& t : targets) {
    const json* v = &input;
    std::string_view path = t.member;
    while (v && v->is_object()) {
      const size_t dot = path.find('.');
      auto it = v->find(path.substr(0, dot));
      v = it == v->end() ? nullptr : &*it;
      if (dot == std::string_view::npos) break;
      path = path.substr(dot + 1);
    }
    if (!v) continue;
    auto add = [&](const json& id) {
      if (!id.is_string() || id.get_ref<const std::string&>().empty()) return;
      const std::string& s = id.get_ref<const std::string&>();
      std::string type = *t.type ? std::string(t.type) : TypeOfId(s);
      if (!type.empty()) out.push_back(ArnOf(type, s, caller));
    };
    if (v->is_array()) {
      for (const auto& id : *v) add(id);
    } else {
      add(*v);
    }
  }
  return out;
}

// ---- volumes -----------------------------------------------------------------

base::Result<json> CreateVolume(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  ec2::CreateVolumeRequest r;
  KURA_ASSIGN_OR_RETURN(r.zone, in.String("AvailabilityZone"));
  KURA_ASSIGN_OR_RETURN(r.size_gib, in.OptInt("Size"));
  KURA_ASSIGN_OR_RETURN(r.snapshot_id, in.String("SnapshotId"));
  KURA_ASSIGN_OR_RETURN(r.volume_type, in.String("VolumeType"));
  KURA_ASSIGN_OR_RETURN(r.iops, in.OptInt32("Iops"));
  KURA_ASSIGN_OR_RETURN(r.throughput, in.OptInt32("Throughput"));
  KURA_ASSIGN_OR_RETURN(r.encrypted, in.OptBool("Encrypted"));
  KURA_ASSIGN_OR_RETURN(r.kms_key_id, in.String("KmsKeyId"));
  KURA_ASSIGN_OR_RETURN(r.multi_attach, in.Bool("MultiAttachEnabled"));
  KURA_ASSIGN_OR_RETURN(auto specs, w::TagSpecifications(in, {"volume"}));
  r.tags = specs.Of("volume");
  KURA_ASSIGN_OR_RETURN(r.client_token, in.String("ClientToken"));
  KURA_ASSIGN_OR_RETURN(auto v, svc.CreateVolume(c, r));
  return w::VolumeDoc(v);
}

base::Result<json> DescribeVolumes(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto ids, in.Strings("VolumeIds"));
  KURA_ASSIGN_OR_RETURN(auto filters, w::Filters(in));
  KURA_ASSIGN_OR_RETURN(auto page, w::Page(in));
  KURA_ASSIGN_OR_RETURN(auto result, svc.DescribeVolumes(c, ids, filters, page));
  json volumes = json::array();
  for (const auto& v : result.items) volumes.push_back(w::VolumeDoc(v));
  json out{{"Volumes", std::move(volumes)}};
  PutNextToken(out, result.next_token);
  return out;
}

base::Result<json> DeleteVolume(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto id, in.String("VolumeId"));
  return Empty(svc.DeleteVolume(c, id));
}

base::Result<json> AttachVolume(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto volume, in.String("VolumeId"));
  KURA_ASSIGN_OR_RETURN(auto instance, in.String("InstanceId"));
  KURA_ASSIGN_OR_RETURN(auto device, in.String("Device"));
  KURA_ASSIGN_OR_RETURN(auto a, svc.AttachVolume(c, volume, instance, device));
  return w::AttachmentDoc(volume, a);
}

base::Result<json> DetachVolume(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  ec2::DetachVolumeRequest r;
  KURA_ASSIGN_OR_RETURN(r.volume_id, in.String("VolumeId"));
  KURA_ASSIGN_OR_RETURN(r.instance_id, in.String("InstanceId"));
  KURA_ASSIGN_OR_RETURN(r.device, in.String("Device"));
  KURA_ASSIGN_OR_RETURN(r.force, in.Bool("Force"));
  KURA_ASSIGN_OR_RETURN(auto a, svc.DetachVolume(c, r));
  return w::AttachmentDoc(r.volume_id, a);
}

base::Result<json> ModifyVolume(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  ec2::ModifyVolumeRequest r;
  KURA_ASSIGN_OR_RETURN(r.volume_id, in.String("VolumeId"));
  KURA_ASSIGN_OR_RETURN(r.size_gib, in.OptInt("Size"));
  KURA_ASSIGN_OR_RETURN(r.volume_type, in.String("VolumeType"));
  KURA_ASSIGN_OR_RETURN(r.iops, in.OptInt32("Iops"));
  KURA_ASSIGN_OR_RETURN(r.throughput, in.OptInt32("Throughput"));
  KURA_ASSIGN_OR_RETURN(r.multi_attach, in.OptBool("MultiAttachEnabled"));
  KURA_ASSIGN_OR_RETURN(auto m, svc.ModifyVolume(c, r));
  return json{{"VolumeModification", w::ModificationDoc(r.volume_id, m)}};
}

base::Result<json> DescribeVolumeStatus(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto ids, in.Strings("VolumeIds"));
  KURA_ASSIGN_OR_RETURN(auto filters, w::Filters(in));
  KURA_ASSIGN_OR_RETURN(auto page, w::Page(in));
  KURA_ASSIGN_OR_RETURN(auto result, svc.DescribeVolumeStatus(c, ids, filters, page));
  json statuses = json::array();
  for (const auto& v : result.items) statuses.push_back(w::VolumeStatusDoc(v));
  json out{{"VolumeStatuses", std::move(statuses)}};
  PutNextToken(out, result.next_token);
  return out;
}

// ---- snapshots ---------------------------------------------------------------

base::Result<json> CreateSnapshot(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto volume, in.String("VolumeId"));
  KURA_ASSIGN_OR_RETURN(auto description, in.String("Description"));
  KURA_ASSIGN_OR_RETURN(auto specs, w::TagSpecifications(in, {"snapshot"}));
  KURA_ASSIGN_OR_RETURN(auto s, svc.CreateSnapshot(c, volume, description, specs.Of("snapshot")));
  return w::SnapshotDoc(s);
}

base::Result<json> CreateSnapshots(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto spec, in.Structure("InstanceSpecification"));
  std::string instance;
  bool exclude_boot = false;
  if (spec) {
    KURA_ASSIGN_OR_RETURN(instance, spec->String("InstanceId"));
    KURA_ASSIGN_OR_RETURN(exclude_boot, spec->Bool("ExcludeBootVolume"));
  }
  KURA_ASSIGN_OR_RETURN(auto description, in.String("Description"));
  KURA_ASSIGN_OR_RETURN(auto specs, w::TagSpecifications(in, {"snapshot"}));
  KURA_ASSIGN_OR_RETURN(auto copy_tags, in.String("CopyTagsFromSource"));
  KURA_ASSIGN_OR_RETURN(auto snapshots, svc.CreateSnapshots(c, instance, exclude_boot, description,
                                                            specs.Of("snapshot"), copy_tags == "volume"));
  json items = json::array();
  for (const auto& s : snapshots) items.push_back(w::SnapshotInfoDoc(s));
  return json{{"Snapshots", std::move(items)}};
}

base::Result<json> DescribeSnapshots(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto ids, in.Strings("SnapshotIds"));
  KURA_ASSIGN_OR_RETURN(auto owners, in.Strings("OwnerIds"));
  KURA_ASSIGN_OR_RETURN(auto restorable_by, in.Strings("RestorableByUserIds"));
  KURA_ASSIGN_OR_RETURN(auto filters, w::Filters(in));
  KURA_ASSIGN_OR_RETURN(auto page, w::Page(in));
  KURA_ASSIGN_OR_RETURN(auto result, svc.DescribeSnapshots(c, ids, owners, restorable_by, filters, page));
  json snapshots = json::array();
  for (const auto& s : result.items) snapshots.push_back(w::SnapshotDoc(s));
  json out{{"Snapshots", std::move(snapshots)}};
  PutNextToken(out, result.next_token);
  return out;
}

base::Result<json> CopySnapshot(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  ec2::CopySnapshotRequest r;
  KURA_ASSIGN_OR_RETURN(r.source_region, in.String("SourceRegion"));
  KURA_ASSIGN_OR_RETURN(r.source_snapshot_id, in.String("SourceSnapshotId"));
  KURA_ASSIGN_OR_RETURN(r.description, in.String("Description"));
  KURA_ASSIGN_OR_RETURN(r.encrypted, in.OptBool("Encrypted"));
  KURA_ASSIGN_OR_RETURN(r.kms_key_id, in.String("KmsKeyId"));
  KURA_ASSIGN_OR_RETURN(r.presigned_url, in.String("PresignedUrl"));
  KURA_ASSIGN_OR_RETURN(r.destination_region, in.String("DestinationRegion"));
  KURA_ASSIGN_OR_RETURN(auto specs, w::TagSpecifications(in, {"snapshot"}));
  r.tags = specs.Of("snapshot");
  KURA_ASSIGN_OR_RETURN(auto s, svc.CopySnapshot(c, r));
  json out{{"SnapshotId", s.id}};
  if (!s.tags.empty()) out["Tags"] = w::TagList(s.tags);
  return out;
}

base::Result<json> DeleteSnapshot(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto id, in.String("SnapshotId"));
  return Empty(svc.DeleteSnapshot(c, id));
}

base::Result<json> ModifySnapshotAttribute(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto id, in.String("SnapshotId"));
  KURA_ASSIGN_OR_RETURN(auto change,
                        w::PermissionChanges(in, "CreateVolumePermission", "GroupNames", "createVolumePermission"));
  return Empty(svc.ModifySnapshotAttribute(c, id, change.attribute, change.change));
}

base::Result<json> DescribeSnapshotAttribute(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto id, in.String("SnapshotId"));
  KURA_ASSIGN_OR_RETURN(auto attribute, in.String("Attribute"));
  KURA_ASSIGN_OR_RETURN(auto s, svc.DescribeSnapshotAttribute(c, id, attribute));
  json out{{"SnapshotId", s.id}};
  if (attribute == "productCodes") {
    out["ProductCodes"] = json::array();
  } else {
    out["CreateVolumePermissions"] = w::PermissionsDoc(s.shared_with, s.is_public);
  }
  return out;
}

base::Result<json> ResetSnapshotAttribute(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto id, in.String("SnapshotId"));
  KURA_ASSIGN_OR_RETURN(auto attribute, in.String("Attribute"));
  return Empty(svc.ResetSnapshotAttribute(c, id, attribute));
}

// ---- encryption by default -----------------------------------------------------

base::Result<json> EnableEbsEncryptionByDefault(Ec2Service& svc, const Caller& c, const DocumentReader&) {
  KURA_ASSIGN_OR_RETURN(bool on, svc.SetEbsEncryptionByDefault(c, true));
  return json{{"EbsEncryptionByDefault", on}};
}

base::Result<json> DisableEbsEncryptionByDefault(Ec2Service& svc, const Caller& c, const DocumentReader&) {
  KURA_ASSIGN_OR_RETURN(bool on, svc.SetEbsEncryptionByDefault(c, false));
  return json{{"EbsEncryptionByDefault", on}};
}

base::Result<json> GetEbsEncryptionByDefault(Ec2Service& svc, const Caller& c, const DocumentReader&) {
  KURA_ASSIGN_OR_RETURN(bool on, svc.GetEbsEncryptionByDefault(c));
  return json{{"EbsEncryptionByDefault", on}};
}

base::Result<json> GetEbsDefaultKmsKeyId(Ec2Service& svc, const Caller& c, const DocumentReader&) {
  KURA_ASSIGN_OR_RETURN(auto key, svc.GetEbsDefaultKmsKeyId(c));
  return json{{"KmsKeyId", key}};
}

base::Result<json> ModifyEbsDefaultKmsKeyId(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto requested, in.String("KmsKeyId"));
  KURA_ASSIGN_OR_RETURN(auto key, svc.ModifyEbsDefaultKmsKeyId(c, requested));
  return json{{"KmsKeyId", key}};
}

base::Result<json> ResetEbsDefaultKmsKeyId(Ec2Service& svc, const Caller& c, const DocumentReader&) {
  KURA_ASSIGN_OR_RETURN(auto key, svc.ResetEbsDefaultKmsKeyId(c));
  return json{{"KmsKeyId", key}};
}

// ---- images --------------------------------------------------------------------

base::Result<json> CreateImage(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  ec2::CreateImageRequest r;
  KURA_ASSIGN_OR_RETURN(r.instance_id, in.String("InstanceId"));
  KURA_ASSIGN_OR_RETURN(r.name, in.String("Name"));
  KURA_ASSIGN_OR_RETURN(r.description, in.String("Description"));
  KURA_ASSIGN_OR_RETURN(r.no_reboot, in.Bool("NoReboot"));
  KURA_ASSIGN_OR_RETURN(r.block_device_mappings, w::BlockDeviceMappings(in));
  KURA_ASSIGN_OR_RETURN(auto specs, w::TagSpecifications(in, {"image", "snapshot"}));
  r.tags = specs.Of("image");
  r.snapshot_tags = specs.Of("snapshot");
  KURA_ASSIGN_OR_RETURN(auto id, svc.CreateImage(c, r));
  return json{{"ImageId", id}};
}

base::Result<json> RegisterImage(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  ec2::RegisterImageRequest r;
  KURA_ASSIGN_OR_RETURN(r.name, in.String("Name"));
  KURA_ASSIGN_OR_RETURN(r.description, in.String("Description"));
  KURA_ASSIGN_OR_RETURN(r.architecture, in.String("Architecture"));
  KURA_ASSIGN_OR_RETURN(r.virtualization_type, in.String("VirtualizationType"));
  KURA_ASSIGN_OR_RETURN(r.root_device_name, in.String("RootDeviceName"));
  KURA_ASSIGN_OR_RETURN(r.ena_support, in.OptBool("EnaSupport"));
  KURA_ASSIGN_OR_RETURN(r.block_device_mappings, w::BlockDeviceMappings(in));
  KURA_ASSIGN_OR_RETURN(auto specs, w::TagSpecifications(in, {"image"}));
  r.tags = specs.Of("image");
  KURA_ASSIGN_OR_RETURN(auto id, svc.RegisterImage(c, r));
  return json{{"ImageId", id}};
}

base::Result<json> CopyImage(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  ec2::CopyImageRequest r;
  KURA_ASSIGN_OR_RETURN(r.name, in.String("Name"));
  KURA_ASSIGN_OR_RETURN(r.source_image_id, in.String("SourceImageId"));
  KURA_ASSIGN_OR_RETURN(r.source_region, in.String("SourceRegion"));
  KURA_ASSIGN_OR_RETURN(r.description, in.String("Description"));
  KURA_ASSIGN_OR_RETURN(r.encrypted, in.OptBool("Encrypted"));
  KURA_ASSIGN_OR_RETURN(r.kms_key_id, in.String("KmsKeyId"));
  KURA_ASSIGN_OR_RETURN(r.client_token, in.String("ClientToken"));
  KURA_ASSIGN_OR_RETURN(r.copy_image_tags, in.Bool("CopyImageTags"));
  KURA_ASSIGN_OR_RETURN(auto specs, w::TagSpecifications(in, {"image"}));
  r.tags = specs.Of("image");
  KURA_ASSIGN_OR_RETURN(auto id, svc.CopyImage(c, r));
  return json{{"ImageId", id}};
}

base::Result<json> DescribeImages(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto ids, in.Strings("ImageIds"));
  KURA_ASSIGN_OR_RETURN(auto owners, in.Strings("Owners"));
  KURA_ASSIGN_OR_RETURN(auto executable_by, in.Strings("ExecutableUsers"));
  KURA_ASSIGN_OR_RETURN(auto filters, w::Filters(in));
  KURA_ASSIGN_OR_RETURN(auto page, w::Page(in));
  KURA_ASSIGN_OR_RETURN(auto result, svc.DescribeImages(c, ids, owners, executable_by, filters, page));
  json images = json::array();
  for (const auto& i : result.items) images.push_back(w::ImageDoc(i));
  json out{{"Images", std::move(images)}};
  PutNextToken(out, result.next_token);
  return out;
}

base::Result<json> DeregisterImage(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto id, in.String("ImageId"));
  KURA_ASSIGN_OR_RETURN(bool delete_snapshots, in.Bool("DeleteAssociatedSnapshots"));
  KURA_ASSIGN_OR_RETURN(auto deleted, svc.DeregisterImage(c, id, delete_snapshots));
  json out = json::object();
  if (delete_snapshots) {  // newer models: DeleteSnapshotResults (the codec drops it for older ones)
    json results = json::array();
    for (const auto& s : deleted) results.push_back({{"SnapshotId", s}, {"ReturnCode", "success"}});
    out["DeleteSnapshotResults"] = std::move(results);
  }
  return out;
}

base::Result<json> ModifyImageAttribute(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto id, in.String("ImageId"));
  KURA_ASSIGN_OR_RETURN(auto change, w::PermissionChanges(in, "LaunchPermission", "UserGroups", "launchPermission"));
  std::optional<std::string> description;
  KURA_ASSIGN_OR_RETURN(auto structured, in.Structure("Description"));
  if (structured) {
    KURA_ASSIGN_OR_RETURN(description, structured->String("Value"));
    if (change.attribute.empty()) change.attribute = "description";
  } else if (change.attribute == "description") {
    KURA_ASSIGN_OR_RETURN(description, in.String("Value"));
  }
  return Empty(svc.ModifyImageAttribute(c, id, change.attribute, change.change, description));
}

base::Result<json> DescribeImageAttribute(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto id, in.String("ImageId"));
  KURA_ASSIGN_OR_RETURN(auto attribute, in.String("Attribute"));
  KURA_ASSIGN_OR_RETURN(auto image, svc.DescribeImageAttribute(c, id, attribute));
  json out{{"ImageId", image.id}};
  if (attribute == "launchPermission") {
    out["LaunchPermissions"] = w::PermissionsDoc(image.launch_users, image.is_public);
  } else if (attribute == "description") {
    out["Description"] = {{"Value", image.description}};
  } else if (attribute == "blockDeviceMapping") {
    out["BlockDeviceMappings"] = w::ImageMappingsDoc(image.block_device_mappings);
  } else if (attribute == "productCodes") {
    out["ProductCodes"] = json::array();
  }
  return out;
}

base::Result<json> ResetImageAttribute(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto id, in.String("ImageId"));
  KURA_ASSIGN_OR_RETURN(auto attribute, in.String("Attribute"));
  return Empty(svc.ResetImageAttribute(c, id, attribute));
}

// ---- instances -------------------------------------------------------------------

base::Result<json> RunInstances(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  ec2::RunInstancesRequest r;
  KURA_ASSIGN_OR_RETURN(r.image_id, in.String("ImageId"));
  KURA_ASSIGN_OR_RETURN(auto min_count, in.OptInt32("MinCount"));
  KURA_ASSIGN_OR_RETURN(auto max_count, in.OptInt32("MaxCount"));
  r.min_count = min_count.value_or(1);
  r.max_count = max_count.value_or(r.min_count);
  KURA_ASSIGN_OR_RETURN(r.instance_type, in.String("InstanceType"));
  KURA_ASSIGN_OR_RETURN(auto placement, in.Structure("Placement"));
  if (placement) {
    KURA_ASSIGN_OR_RETURN(r.zone, placement->String("AvailabilityZone"));
  }
  KURA_ASSIGN_OR_RETURN(r.key_name, in.String("KeyName"));
  KURA_ASSIGN_OR_RETURN(r.block_device_mappings, w::BlockDeviceMappings(in));
  KURA_ASSIGN_OR_RETURN(auto specs, w::TagSpecifications(in, {"instance", "volume", "network-interface"}));
  r.instance_tags = specs.Of("instance");
  r.volume_tags = specs.Of("volume");
  KURA_ASSIGN_OR_RETURN(r.client_token, in.String("ClientToken"));
  KURA_ASSIGN_OR_RETURN(r.disable_api_termination, in.Bool("DisableApiTermination"));
  KURA_ASSIGN_OR_RETURN(r.ebs_optimized, in.Bool("EbsOptimized"));
  KURA_ASSIGN_OR_RETURN(auto reservation, svc.RunInstances(c, r));
  return w::ReservationDoc(reservation);
}

base::Result<json> DescribeInstances(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto ids, in.Strings("InstanceIds"));
  KURA_ASSIGN_OR_RETURN(auto filters, w::Filters(in));
  KURA_ASSIGN_OR_RETURN(auto page, w::Page(in));
  KURA_ASSIGN_OR_RETURN(auto result, svc.DescribeInstances(c, ids, filters, page));
  json reservations = json::array();
  for (const auto& r : result.items) reservations.push_back(w::ReservationDoc(r));
  json out{{"Reservations", std::move(reservations)}};
  PutNextToken(out, result.next_token);
  return out;
}

base::Result<json> StartInstances(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto ids, in.Strings("InstanceIds"));
  KURA_ASSIGN_OR_RETURN(auto changes, svc.StartInstances(c, ids));
  return json{{"StartingInstances", w::StateChangesDoc(changes)}};
}

base::Result<json> StopInstances(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto ids, in.Strings("InstanceIds"));
  KURA_ASSIGN_OR_RETURN(bool force, in.Bool("Force"));
  KURA_ASSIGN_OR_RETURN(auto changes, svc.StopInstances(c, ids, force));
  return json{{"StoppingInstances", w::StateChangesDoc(changes)}};
}

base::Result<json> RebootInstances(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto ids, in.Strings("InstanceIds"));
  return Empty(svc.RebootInstances(c, ids));
}

base::Result<json> TerminateInstances(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto ids, in.Strings("InstanceIds"));
  KURA_ASSIGN_OR_RETURN(auto changes, svc.TerminateInstances(c, ids));
  return json{{"TerminatingInstances", w::StateChangesDoc(changes)}};
}

base::Result<json> DescribeInstanceTypes(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto types, in.Strings("InstanceTypes"));
  KURA_ASSIGN_OR_RETURN(auto filters, w::Filters(in));
  KURA_ASSIGN_OR_RETURN(auto page, w::Page(in));
  KURA_ASSIGN_OR_RETURN(auto result, svc.DescribeInstanceTypes(c, types, filters, page));
  json items = json::array();
  for (const auto& t : result.items) items.push_back(w::InstanceTypeDoc(t));
  json out{{"InstanceTypes", std::move(items)}};
  PutNextToken(out, result.next_token);
  return out;
}

// Only BlockDeviceMapping's DeleteOnTermination is served; the other
// attributes describe hardware and networking kura does not model.
base::Result<json> ModifyInstanceAttribute(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto id, in.String("InstanceId"));
  KURA_ASSIGN_OR_RETURN(auto mappings, in.Structures("BlockDeviceMappings"));
  if (mappings.empty()) {
    return ec2::Ec2Status(Ec2Error::kUnsupportedOperation,
                          "kura's ModifyInstanceAttribute changes only BlockDeviceMapping DeleteOnTermination");
  }
  std::vector<ec2::DeleteOnTerminationChange> changes;
  for (const auto& m : mappings) {
    ec2::DeleteOnTerminationChange change;
    KURA_ASSIGN_OR_RETURN(change.device_name, m.String("DeviceName"));
    KURA_ASSIGN_OR_RETURN(auto ebs, m.Structure("Ebs"));
    if (!ebs) return ec2::Ec2Status(Ec2Error::kMissingParameter, "BlockDeviceMapping needs Ebs.DeleteOnTermination");
    KURA_ASSIGN_OR_RETURN(change.volume_id, ebs->String("VolumeId"));
    KURA_ASSIGN_OR_RETURN(change.delete_on_termination, ebs->Bool("DeleteOnTermination"));
    changes.push_back(std::move(change));
  }
  return Empty(svc.ModifyDeleteOnTermination(c, id, changes));
}

base::Result<json> DescribeInstanceAttribute(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto id, in.String("InstanceId"));
  KURA_ASSIGN_OR_RETURN(auto attribute, in.String("Attribute"));
  KURA_ASSIGN_OR_RETURN(auto i, svc.DescribeInstanceAttribute(c, id, attribute));
  json out{{"InstanceId", i.id}};
  if (attribute == "instanceType") out["InstanceType"] = {{"Value", i.instance_type}};
  if (attribute == "disableApiTermination") out["DisableApiTermination"] = {{"Value", i.disable_api_termination}};
  if (attribute == "ebsOptimized") out["EbsOptimized"] = {{"Value", i.ebs_optimized}};
  if (attribute == "rootDeviceName") out["RootDeviceName"] = {{"Value", i.root_device_name}};
  if (attribute == "blockDeviceMapping") out["BlockDeviceMappings"] = w::InstanceMappingsDoc(i.block_devices);
  if (attribute == "instanceInitiatedShutdownBehavior") out["InstanceInitiatedShutdownBehavior"] = {{"Value", "stop"}};
  if (attribute == "enaSupport") out["EnaSupport"] = {{"Value", true}};
  if (attribute == "sourceDestCheck") out["SourceDestCheck"] = {{"Value", true}};
  if (attribute == "disableApiStop") out["DisableApiStop"] = {{"Value", false}};
  if (attribute == "userData") out["UserData"] = json::object();
  if (attribute == "groupSet") out["Groups"] = json::array();
  if (attribute == "productCodes") out["ProductCodes"] = json::array();
  return out;
}

// ---- tags ------------------------------------------------------------------------

base::Result<json> CreateTags(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto resources, in.Strings("Resources"));
  KURA_ASSIGN_OR_RETURN(auto tags, w::Tags(in, "Tags"));
  return Empty(svc.CreateTags(c, resources, tags));
}

base::Result<json> DeleteTags(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto resources, in.Strings("Resources"));
  KURA_ASSIGN_OR_RETURN(auto items, in.Structures("Tags"));
  std::vector<ec2::TagFilterKey> tags;
  for (const auto& item : items) {
    ec2::TagFilterKey k;
    KURA_ASSIGN_OR_RETURN(k.key, item.String("Key"));
    KURA_ASSIGN_OR_RETURN(k.value, item.OptString("Value"));
    tags.push_back(std::move(k));
  }
  return Empty(svc.DeleteTags(c, resources, tags));
}

base::Result<json> DescribeTags(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto filters, w::Filters(in));
  KURA_ASSIGN_OR_RETURN(auto page, w::Page(in));
  KURA_ASSIGN_OR_RETURN(auto result, svc.DescribeTags(c, filters, page));
  json tags = json::array();
  for (const auto& t : result.items) tags.push_back(w::TagDescriptionDoc(t));
  json out{{"Tags", std::move(tags)}};
  PutNextToken(out, result.next_token);
  return out;
}

// ---- regions -----------------------------------------------------------------------

base::Result<json> DescribeRegions(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto names, in.Strings("RegionNames"));
  KURA_ASSIGN_OR_RETURN(auto filters, w::Filters(in));
  KURA_ASSIGN_OR_RETURN(auto regions, svc.DescribeRegions(c, names, filters));
  json items = json::array();
  for (const auto& r : regions) items.push_back(w::RegionDoc(r));
  return json{{"Regions", std::move(items)}};
}

base::Result<json> DescribeAvailabilityZones(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto names, in.Strings("ZoneNames"));
  KURA_ASSIGN_OR_RETURN(auto ids, in.Strings("ZoneIds"));
  KURA_ASSIGN_OR_RETURN(auto filters, w::Filters(in));
  KURA_ASSIGN_OR_RETURN(auto zones, svc.DescribeAvailabilityZones(c, names, ids, filters));
  json items = json::array();
  for (const auto& z : zones) items.push_back(w::ZoneDoc(z));
  return json{{"AvailabilityZones", std::move(items)}};
}

// ---- Elastic IPs -------------------------------------------------------------------

base::Result<json> AllocateAddress(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto specs, w::TagSpecifications(in, {"elastic-ip"}));
  KURA_ASSIGN_OR_RETURN(auto a, svc.AllocateAddress(c, specs.Of("elastic-ip")));
  return json{{"PublicIp", a.public_ip},
              {"AllocationId", a.allocation_id},
              {"PublicIpv4Pool", "amazon"},
              {"NetworkBorderGroup", a.region},
              {"Domain", "vpc"}};
}

base::Result<json> AssociateAddress(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  ec2::AssociateAddressRequest r;
  KURA_ASSIGN_OR_RETURN(r.allocation_id, in.String("AllocationId"));
  KURA_ASSIGN_OR_RETURN(r.public_ip, in.String("PublicIp"));
  KURA_ASSIGN_OR_RETURN(r.instance_id, in.String("InstanceId"));
  KURA_ASSIGN_OR_RETURN(r.private_ip, in.String("PrivateIpAddress"));
  KURA_ASSIGN_OR_RETURN(r.allow_reassociation, in.Bool("AllowReassociation"));
  KURA_ASSIGN_OR_RETURN(auto association, svc.AssociateAddress(c, r));
  return json{{"AssociationId", association}};
}

base::Result<json> DisassociateAddress(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto association, in.String("AssociationId"));
  KURA_ASSIGN_OR_RETURN(auto public_ip, in.String("PublicIp"));
  return Empty(svc.DisassociateAddress(c, association, public_ip));
}

base::Result<json> ReleaseAddress(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto allocation, in.String("AllocationId"));
  KURA_ASSIGN_OR_RETURN(auto public_ip, in.String("PublicIp"));
  return Empty(svc.ReleaseAddress(c, allocation, public_ip));
}

base::Result<json> DescribeAddresses(Ec2Service& svc, const Caller& c, const DocumentReader& in) {
  KURA_ASSIGN_OR_RETURN(auto ips, in.Strings("PublicIps"));
  KURA_ASSIGN_OR_RETURN(auto allocations, in.Strings("AllocationIds"));
  KURA_ASSIGN_OR_RETURN(auto filters, w::Filters(in));
  KURA_ASSIGN_OR_RETURN(auto addresses, svc.DescribeAddresses(c, ips, allocations, filters));
  json items = json::array();
  for (const auto& a : addresses) items.push_back(w::AddressDoc(a));
  return json{{"Addresses", std::move(items)}};
}

// Describe* and Get* write nothing, so they answer without waiting for the
// next group commit.
bool IsReadOnly(std::string_view operation) {
  return operation.starts_with("Describe") || operation.starts_with("Get");
}

const std::map<std::string, Operation, std::less<>>& Operations() {
  static const std::map<std::string, Operation, std::less<>> ops = {
      {"CreateVolume", {CreateVolume, {}}},
      {"DescribeVolumes", {DescribeVolumes, {}}},
      {"DeleteVolume", {DeleteVolume, {{"volume", "VolumeId"}}}},
      {"AttachVolume", {AttachVolume, {{"volume", "VolumeId"}, {"instance", "InstanceId"}}}},
      {"DetachVolume", {DetachVolume, {{"volume", "VolumeId"}, {"instance", "InstanceId"}}}},
      {"ModifyVolume", {ModifyVolume, {{"volume", "VolumeId"}}}},
      {"DescribeVolumeStatus", {DescribeVolumeStatus, {}}},
      {"CreateSnapshot", {CreateSnapshot, {{"volume", "VolumeId"}}}},
      {"CreateSnapshots", {CreateSnapshots, {{"instance", "InstanceSpecification.InstanceId"}}}},
      {"DescribeSnapshots", {DescribeSnapshots, {}}},
      {"CopySnapshot", {CopySnapshot, {}}},
      {"DeleteSnapshot", {DeleteSnapshot, {{"snapshot", "SnapshotId"}}}},
      {"ModifySnapshotAttribute", {ModifySnapshotAttribute, {{"snapshot", "SnapshotId"}}}},
      {"DescribeSnapshotAttribute", {DescribeSnapshotAttribute, {{"snapshot", "SnapshotId"}}}},
      {"ResetSnapshotAttribute", {ResetSnapshotAttribute, {{"snapshot", "SnapshotId"}}}},
      {"EnableEbsEncryptionByDefault", {EnableEbsEncryptionByDefault, {}}},
      {"DisableEbsEncryptionByDefault", {DisableEbsEncryptionByDefault, {}}},
      {"GetEbsEncryptionByDefault", {GetEbsEncryptionByDefault, {}}},
      {"GetEbsDefaultKmsKeyId", {GetEbsDefaultKmsKeyId, {}}},
      {"ModifyEbsDefaultKmsKeyId", {ModifyEbsDefaultKmsKeyId, {}}},
      {"ResetEbsDefaultKmsKeyId", {ResetEbsDefaultKmsKeyId, {}}},
      {"CreateImage", {CreateImage, {{"instance", "InstanceId"}}}},
      {"RegisterImage", {RegisterImage, {}}},
      {"CopyImage", {CopyImage, {}}},
      {"DescribeImages", {DescribeImages, {}}},
      {"DeregisterImage", {DeregisterImage, {{"image", "ImageId"}}}},
      {"ModifyImageAttribute", {ModifyImageAttribute, {{"image", "ImageId"}}}},
      {"DescribeImageAttribute", {DescribeImageAttribute, {{"image", "ImageId"}}}},
      {"ResetImageAttribute", {ResetImageAttribute, {{"image", "ImageId"}}}},
      {"RunInstances", {RunInstances, {}}},
      {"DescribeInstances", {DescribeInstances, {}}},
      {"StartInstances", {StartInstances, {{"instance", "InstanceIds"}}}},
      {"StopInstances", {StopInstances, {{"instance", "InstanceIds"}}}},
      {"RebootInstances", {RebootInstances, {{"instance", "InstanceIds"}}}},
      {"TerminateInstances", {TerminateInstances, {{"instance", "InstanceIds"}}}},
      {"DescribeInstanceTypes", {DescribeInstanceTypes, {}}},
      {"DescribeInstanceAttribute", {DescribeInstanceAttribute, {{"instance", "InstanceId"}}}},
      {"ModifyInstanceAttribute", {ModifyInstanceAttribute, {{"instance", "InstanceId"}}}},
      {"CreateTags", {CreateTags, {{"", "Resources"}}}},
      {"DeleteTags", {DeleteTags, {{"", "Resources"}}}},
      {"DescribeTags", {DescribeTags, {}}},
      {"DescribeRegions", {DescribeRegions, {}}},
      {"DescribeAvailabilityZones", {DescribeAvailabilityZones, {}}},
      {"AllocateAddress", {AllocateAddress, {}}},
      {"AssociateAddress", {AssociateAddress, {{"elastic-ip", "AllocationId"}, {"instance", "InstanceId"}}}},
      {"DisassociateAddress", {DisassociateAddress, {}}},
      {"ReleaseAddress", {ReleaseAddress, {{"elastic-ip", "AllocationId"}}}},
      {"DescribeAddresses", {DescribeAddresses, {}}},
  };
  return ops;
}

}  // namespace

Ec2Provider::Ec2Provider(std::shared_ptr<Ec2Service> service) : ec2_(std::move(service)) {}

base::Result<json> Ec2Provider::Call(std::string_view operation, const json& input, const CallContext& context) {
  const auto& ops = Operations();
  auto it = ops.find(operation);
  if (it == ops.end()) {
    return ec2::Ec2Status(Ec2Error::kInvalidParameterValue,
                          "The action " + std::string(operation) + " is not valid for this web service.");
  }
  static const json kEmpty = json::object();
  const json& doc = input.is_object() ? input : kEmpty;
  const Caller caller{context.caller, context.region, context.request_id};
  KURA_RETURN_IF_ERROR(
      ec2_->Authorize(caller, "ec2:" + std::string(operation), ResourcesOf(it->second.targets, doc, caller)));
  const DocumentReader in = w::Reader(doc);
  KURA_ASSIGN_OR_RETURN(bool dry_run, in.Bool("DryRun"));
  if (dry_run) {
    return ec2::Ec2Status(Ec2Error::kDryRunOperation, "Request would have succeeded, but DryRun flag is set.");
  }
  base::Result<json> result = it->second.handler(*ec2_, caller, in);
  // Nobody hears of a write before it is durable (the store commits in
  // groups, ec2/store.h); a failed one may have written part, so it waits too.
  if (!IsReadOnly(operation)) KURA_RETURN_IF_ERROR(ec2_->WaitDurable());
  return result;
}

WireError Ec2Provider::MapError(const base::Status& status) const { return ec2_wire::Ec2WireError(status); }

}  // namespace kura::api
