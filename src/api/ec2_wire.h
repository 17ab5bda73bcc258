// The EC2 and classic-ELB wire forms, as documents (codec.h conventions):
//   - input documents -> the typed requests of ec2/ec2_service.h (filters,
//     tag specifications, block device mappings, both forms of the sharing
//     attributes, paging);
//   - records -> output documents under the botocore model's member names,
//     shared by Create*/Describe* (timestamps as seconds, except
//     Image.CreationDate, a string in the model);
//   - the error tables: Ec2Error -> (wire code, HTTP status) for EC2 and ELB.
// Only Ec2Provider/ElbProvider use this; it is separate so that it can be
// tested on its own.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/document_reader.h"
#include "api/provider.h"
#include "base/status.h"
#include "ec2/ec2_service.h"
#include "ec2/types.h"

namespace kura::api::ec2_wire {

// ---- input -------------------------------------------------------------------

// A reader whose type errors are InvalidParameterValue.
DocumentReader Reader(const nlohmann::json& doc);

// Filters [{Name, Values}]; a filter without a Name -> InvalidParameterValue.
base::Result<std::vector<ec2::Filter>> Filters(const DocumentReader& in);
// MaxResults / NextToken.
base::Result<ec2::PageRequest> Page(const DocumentReader& in);
// A list of {Key, Value} under `member`.
base::Result<std::vector<ec2::Tag>> Tags(const DocumentReader& in, std::string_view member);

// TagSpecifications [{ResourceType, Tags}] split by resource type. Every spec
// must name one of `allowed` (InvalidParameterValue "'x' is not a valid
// taggable resource type for this operation.") and carry at least one tag
// (InvalidParameterValue "Tag specification must have at least one tag").
struct TagSpecs {
  std::vector<std::pair<std::string, std::vector<ec2::Tag>>> by_type;
  std::vector<ec2::Tag> Of(std::string_view resource_type) const;
};
base::Result<TagSpecs> TagSpecifications(const DocumentReader& in, const std::vector<std::string>& allowed);

// BlockDeviceMappings [{DeviceName, VirtualName, NoDevice, Ebs{...}}].
base::Result<std::vector<ec2::BlockDeviceMapping>> BlockDeviceMappings(const DocumentReader& in);

// ModifySnapshotAttribute / ModifyImageAttribute: the flat form (Attribute,
// OperationType add|remove, UserIds, `groups_member` = GroupNames|UserGroups)
// and the structured one (`structured_member` = CreateVolumePermission|
// LaunchPermission {Add, Remove: [{UserId, Group}]}), in one PermissionChange.
// `attribute` is set to the attribute named (the permission attribute when
// only the structured form is given).
struct AttributeChange {
  std::string attribute;
  ec2::PermissionChange change;
};
base::Result<AttributeChange> PermissionChanges(const DocumentReader& in, std::string_view structured_member,
                                                std::string_view groups_member, std::string_view permission_attribute);

// ---- output ------------------------------------------------------------------

nlohmann::json Time(int64_t ms);            // seconds, fractional when needed
std::string IsoTime(int64_t ms);            // "2024-05-01T12:00:00.000Z"
nlohmann::json TagList(const std::vector<ec2::Tag>& tags);

nlohmann::json VolumeDoc(const ec2::VolumeRecord& v);
nlohmann::json AttachmentDoc(const std::string& volume_id, const ec2::VolumeAttachment& a);
nlohmann::json VolumeStatusDoc(const ec2::VolumeRecord& v);
nlohmann::json ModificationDoc(const std::string& volume_id, const ec2::VolumeModification& m);
nlohmann::json SnapshotDoc(const ec2::SnapshotRecord& s);
nlohmann::json SnapshotInfoDoc(const ec2::SnapshotRecord& s);  // CreateSnapshots
nlohmann::json PermissionsDoc(const std::vector<std::string>& users, bool is_public);
nlohmann::json ImageDoc(const ec2::ImageRecord& i);
nlohmann::json ImageMappingsDoc(const std::vector<ec2::BlockDeviceMapping>& mappings);
nlohmann::json InstanceDoc(const ec2::InstanceRecord& i);
nlohmann::json InstanceMappingsDoc(const std::vector<ec2::InstanceBlockDevice>& devices);
nlohmann::json ReservationDoc(const ec2::Reservation& r);
nlohmann::json StateDoc(ec2::InstanceState s);
nlohmann::json StateChangesDoc(const std::vector<ec2::InstanceStateChange>& changes);
nlohmann::json InstanceTypeDoc(const ec2::InstanceTypeInfo& t);
nlohmann::json TagDescriptionDoc(const ec2::TagDescription& t);
nlohmann::json RegionDoc(const ec2::RegionInfo& r);
nlohmann::json ZoneDoc(const ec2::ZoneInfo& z);
nlohmann::json AddressDoc(const ec2::AddressRecord& a);
nlohmann::json LoadBalancerDoc(const ec2::LoadBalancerRecord& lb);

// ---- errors ------------------------------------------------------------------

// EC2: UnauthorizedOperation 403, DryRunOperation 412, InternalError 500
// (also for a Status that carries no Ec2Error: its text is logged, not sent),
// everything else 400.
WireError Ec2WireError(const base::Status& status);
// Classic ELB: InvalidConfigurationRequest 409, AccessDenied 403 (IAM
// denial), InternalFailure 500, everything else 400 (parameter problems are
// ValidationError).
WireError ElbWireError(const base::Status& status);

}  // namespace kura::api::ec2_wire
