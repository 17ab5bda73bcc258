#include "ec2/record_json.h"

#include <nlohmann/json.hpp>

#include <optional>

#include "base/bytes.h"

namespace nlohmann {

// std::optional as JSON null when empty (nlohmann 3.11 has no built-in support).
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& v) {
    if (v) j = *v;
    else j = nullptr;
  }
  static void from_json(const json& j, std::optional<T>& v) {
    if (j.is_null()) v.reset();
    else v = j.get<T>();
  }
};

}  // namespace nlohmann

namespace kura::iam {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Principal, account_id, arn, user_id, user_name)
}  // namespace kura::iam

namespace kura::ec2 {

using nlohmann::json;

NLOHMANN_JSON_SERIALIZE_ENUM(VolumeState, {{VolumeState::kCreating, "creating"},
                                           {VolumeState::kAvailable, "available"},
                                           {VolumeState::kInUse, "in-use"},
                                           {VolumeState::kDeleting, "deleting"},
                                           {VolumeState::kDeleted, "deleted"},
                                           {VolumeState::kError, "error"}})
NLOHMANN_JSON_SERIALIZE_ENUM(AttachmentState, {{AttachmentState::kAttaching, "attaching"},
                                               {AttachmentState::kAttached, "attached"},
                                               {AttachmentState::kDetaching, "detaching"},
                                               {AttachmentState::kDetached, "detached"}})
NLOHMANN_JSON_SERIALIZE_ENUM(SnapshotState, {{SnapshotState::kPending, "pending"},
                                             {SnapshotState::kCompleted, "completed"},
                                             {SnapshotState::kError, "error"}})
NLOHMANN_JSON_SERIALIZE_ENUM(ImageState, {{ImageState::kPending, "pending"},
                                          {ImageState::kAvailable, "available"},
                                          {ImageState::kFailed, "failed"},
                                          {ImageState::kDeregistered, "deregistered"}})
NLOHMANN_JSON_SERIALIZE_ENUM(InstanceState, {{InstanceState::kPending, "pending"},
                                             {InstanceState::kRunning, "running"},
                                             {InstanceState::kShuttingDown, "shutting-down"},
                                             {InstanceState::kTerminated, "terminated"},
                                             {InstanceState::kStopping, "stopping"},
                                             {InstanceState::kStopped, "stopped"}})

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Tag, key, value)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Requester, principal, region, request_id)

// The wrapped data key is KMS ciphertext; hex keeps the document readable.
void to_json(json& j, const Encryption& e) {
  j = json{{"kms_key_arn", e.kms_key_arn},
           {"wrapped_key", base::HexEncode(e.wrapped_key)},
           {"context_id", e.context_id},
           {"aws_managed_key", e.aws_managed_key}};
}
void from_json(const json& j, Encryption& e) {
  e.kms_key_arn = j.value("kms_key_arn", "");
  e.context_id = j.value("context_id", "");
  e.aws_managed_key = j.value("aws_managed_key", false);
  auto bytes = base::HexDecode(j.value("wrapped_key", ""));
  e.wrapped_key = bytes.ok() ? std::move(bytes).value() : std::vector<uint8_t>{};
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VolumeAttachment, instance_id, device, state, attach_time,
                                                delete_on_termination)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VolumeModification, state, original_size_gib, target_size_gib,
                                                original_type, target_type, original_iops, target_iops,
                                                original_throughput, target_throughput, progress, start_time,
                                                end_time)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VolumeRecord, id, account, region, zone, size_gib, snapshot_id,
                                                volume_type, iops, throughput, multi_attach, encrypted, encryption,
                                                state, state_message, create_time, tags, attachment, modification,
                                                engine_id, client_token, requested_key_id, requester)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SnapshotRecord, id, account, region, volume_id, volume_size_gib,
                                                description, state, state_message, progress, start_time, encrypted,
                                                encryption, tags, shared_with, is_public, engine_id, copy_source_id,
                                                copy_source_region, requested_key_id, requester)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EbsBlockDevice, snapshot_id, volume_size_gib, volume_type, iops,
                                                throughput, delete_on_termination, encrypted, kms_key_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BlockDeviceMapping, device_name, no_device, virtual_name, ebs)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ImageRecord, id, account, region, name, description, state,
                                                state_message, creation_date, architecture, virtualization_type,
                                                root_device_name, ena_support, block_device_mappings, launch_users,
                                                is_public, tags, source_instance_id, source_image_id, source_region,
                                                client_token, requester)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StateReason, code, message)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InstanceBlockDevice, device_name, volume_id, status, attach_time,
                                                delete_on_termination)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InstanceRecord, id, reservation_id, account, region, image_id,
                                                instance_type, zone, state, state_reason, state_transition_reason,
                                                launch_time, ami_launch_index, private_ip, public_ip,
                                                root_device_name, block_devices, tags, client_token,
                                                disable_api_termination, ebs_optimized, key_name, launch_mappings,
                                                volume_tags, terminated_at, requester)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AddressRecord, allocation_id, account, region, public_ip,
                                                association_id, instance_id, private_ip, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Listener, protocol, load_balancer_port, instance_protocol,
                                                instance_port, ssl_certificate_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadBalancerRecord, name, account, region, dns_name, scheme,
                                                listeners, zones, subnets, security_groups, instances, tags,
                                                created_time)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EbsSettings, encryption_by_default, default_kms_key_arn)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SettingsRecord, account, region, settings)

std::string RecordToJson(const AnyRecord& record) {
  return std::visit([](const auto& r) { return json(r).dump(); }, record);
}

namespace {

template <size_t I = 0>
base::Result<AnyRecord> FromJsonAt(size_t kind, const json& j) {
  if constexpr (I < std::variant_size_v<AnyRecord>) {
    if (kind == I) return AnyRecord(std::in_place_index<I>, j.get<std::variant_alternative_t<I, AnyRecord>>());
    return FromJsonAt<I + 1>(kind, j);
  } else {
    return base::DataLossError("ec2 record of unknown kind " + std::to_string(kind));
  }
}

}  // namespace

base::Result<AnyRecord> RecordFromJson(size_t kind, std::string_view text) {
  // nlohmann reports bad documents by exception; it stays inside this function.
  try {
    return FromJsonAt(kind, json::parse(text));
  } catch (const json::exception& e) {
    return base::DataLossError(std::string("ec2 record does not parse: ") + e.what());
  }
}

}  // namespace kura::ec2
