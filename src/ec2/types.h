// The EC2/EBS/ELB domain's records: what kura stores about volumes,
// snapshots, images, instances, Elastic IPs, classic load balancers and the
// per-account-and-region EBS settings. Field names follow the AWS API so a
// reader can map them to DescribeVolumes & co. at a glance. Times are Unix
// milliseconds. Wrapped data keys are KMS ciphertext blobs (never plaintext).
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "iam/principal.h"

namespace kura::ec2 {

struct Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};

// A Describe* filter: Name with its Values (ORed; `*` and `?` wildcards).
struct Filter {
  std::string name;
  std::vector<std::string> values;
};

// Who asked for an asynchronous piece of work: KMS calls made later on the
// caller's behalf (GenerateDataKeyWithoutPlaintext, CreateGrant, Decrypt via
// EC2) are authorized as this principal, as AWS does.
struct Requester {
  iam::Principal principal;
  std::string region;
  std::string request_id;
};

// The encryption of a volume or snapshot lineage: the KMS key, the data key
// wrapped by it, and the encryption context it was wrapped under
// ({"aws:ebs:id": context_id}).
struct Encryption {
  std::string kms_key_arn;
  std::vector<uint8_t> wrapped_key;  // empty until the data key exists
  std::string context_id;            // vol-… or snap-… named in the context
  bool aws_managed_key = false;      // alias/aws/ebs: can never be shared
};

// ---- volumes -----------------------------------------------------------------

enum class VolumeState { kCreating, kAvailable, kInUse, kDeleting, kDeleted, kError };
enum class AttachmentState { kAttaching, kAttached, kDetaching, kDetached };

struct VolumeAttachment {
  std::string instance_id;
  std::string device;
  AttachmentState state = AttachmentState::kAttaching;
  int64_t attach_time = 0;
  bool delete_on_termination = false;
};

struct VolumeModification {
  std::string state;  // modifying | optimizing | completed | failed
  int64_t original_size_gib = 0, target_size_gib = 0;
  std::string original_type, target_type;
  std::optional<int> original_iops, target_iops, original_throughput, target_throughput;
  int progress = 0;
  int64_t start_time = 0, end_time = 0;
};

struct VolumeRecord {
  std::string id;
  std::string account;
  std::string region;
  std::string zone;
  int64_t size_gib = 0;
  std::string snapshot_id;  // "" when not created from a snapshot
  std::string volume_type = "gp2";
  std::optional<int> iops;
  std::optional<int> throughput;
  bool multi_attach = false;
  bool encrypted = false;
  Encryption encryption;  // when encrypted
  VolumeState state = VolumeState::kCreating;
  std::string state_message;  // why it went to error
  int64_t create_time = 0;
  std::vector<Tag> tags;
  std::optional<VolumeAttachment> attachment;
  std::optional<VolumeModification> modification;
  int64_t engine_id = 0;  // blocks::VolumeId, 0 until the block volume exists
  std::string client_token;
  // Creation work still to do (state creating): asked-for key (id/alias/ARN as given).
  std::string requested_key_id;
  Requester requester;
};

// ---- snapshots ---------------------------------------------------------------

enum class SnapshotState { kPending, kCompleted, kError };

struct SnapshotRecord {
  std::string id;
  std::string account;
  std::string region;
  std::string volume_id;  // source volume; "vol-ffffffff" for copies
  int64_t volume_size_gib = 0;
  std::string description;
  SnapshotState state = SnapshotState::kPending;
  std::string state_message;
  int progress = -1;  // -1: "" (just created); else 0..100
  int64_t start_time = 0;
  bool encrypted = false;
  Encryption encryption;
  std::vector<Tag> tags;
  std::vector<std::string> shared_with;  // createVolumePermission account ids
  bool is_public = false;                // createVolumePermission group all
  int64_t engine_id = 0;                 // blocks::SnapshotId; 0 until it exists
  // Copies (CopySnapshot / CopyImage): where the data comes from, and the key asked for.
  std::string copy_source_id;
  std::string copy_source_region;
  std::string requested_key_id;
  Requester requester;
};

// ---- images ------------------------------------------------------------------

enum class ImageState { kPending, kAvailable, kFailed, kDeregistered };

struct EbsBlockDevice {
  std::string snapshot_id;
  std::optional<int64_t> volume_size_gib;
  std::string volume_type;  // "" = default
  std::optional<int> iops;
  std::optional<int> throughput;
  std::optional<bool> delete_on_termination;
  std::optional<bool> encrypted;
  std::string kms_key_id;  // as given (RunInstances overrides) or the snapshot's key ARN (images)
};

struct BlockDeviceMapping {
  std::string device_name;
  bool no_device = false;
  std::string virtual_name;
  std::optional<EbsBlockDevice> ebs;
};

struct ImageRecord {
  std::string id;
  std::string account;
  std::string region;
  std::string name;
  std::string description;
  ImageState state = ImageState::kPending;
  std::string state_message;
  int64_t creation_date = 0;
  std::string architecture = "x86_64";
  std::string virtualization_type = "hvm";
  std::string root_device_name = "/dev/xvda";
  bool ena_support = true;
  std::vector<BlockDeviceMapping> block_device_mappings;
  std::vector<std::string> launch_users;  // launchPermission account ids
  bool is_public = false;                 // launchPermission group all
  std::vector<Tag> tags;
  std::string source_instance_id;  // CreateImage
  std::string source_image_id;     // CopyImage
  std::string source_region;
  std::string client_token;  // CopyImage idempotency
  Requester requester;
};

// ---- instances ---------------------------------------------------------------

enum class InstanceState { kPending, kRunning, kShuttingDown, kTerminated, kStopping, kStopped };

struct StateReason {
  std::string code;
  std::string message;
};

struct InstanceBlockDevice {
  std::string device_name;
  std::string volume_id;
  std::string status = "attached";  // attaching | attached | detaching | detached
  int64_t attach_time = 0;
  bool delete_on_termination = true;
};

struct InstanceRecord {
  std::string id;
  std::string reservation_id;
  std::string account;
  std::string region;
  std::string image_id;
  std::string instance_type = "m1.small";
  std::string zone;
  InstanceState state = InstanceState::kPending;
  std::optional<StateReason> state_reason;
  std::string state_transition_reason;
  int64_t launch_time = 0;
  int ami_launch_index = 0;
  std::string private_ip;
  std::string public_ip;  // from an associated Elastic IP
  std::string root_device_name = "/dev/xvda";
  std::vector<InstanceBlockDevice> block_devices;
  std::vector<Tag> tags;
  std::string client_token;
  bool disable_api_termination = false;
  bool ebs_optimized = false;
  std::string key_name;
  // Launch work still to do (state pending after RunInstances): the resolved mappings.
  std::vector<BlockDeviceMapping> launch_mappings;
  std::vector<Tag> volume_tags;  // TagSpecification ResourceType=volume
  int64_t terminated_at = 0;     // for hiding terminated instances after an hour
  Requester requester;
};

// ---- Elastic IPs -------------------------------------------------------------

struct AddressRecord {
  std::string allocation_id;
  std::string account;
  std::string region;
  std::string public_ip;
  std::string association_id;  // "" when not associated
  std::string instance_id;
  std::string private_ip;
  std::vector<Tag> tags;
};

// ---- classic load balancers --------------------------------------------------

struct Listener {
  std::string protocol;
  int load_balancer_port = 0;
  std::string instance_protocol;
  int instance_port = 0;
  std::string ssl_certificate_id;
};

struct LoadBalancerRecord {
  std::string name;
  std::string account;
  std::string region;
  std::string dns_name;
  std::string scheme = "internet-facing";
  std::vector<Listener> listeners;
  std::vector<std::string> zones;
  std::vector<std::string> subnets;
  std::vector<std::string> security_groups;
  std::vector<std::string> instances;
  std::vector<Tag> tags;
  int64_t created_time = 0;
};

// ---- account settings --------------------------------------------------------

struct EbsSettings {
  bool encryption_by_default = false;
  std::string default_kms_key_arn;  // "" = the AWS managed key alias/aws/ebs
};

// State names as AWS writes them.
const char* Name(VolumeState s);
const char* Name(AttachmentState s);
const char* Name(SnapshotState s);
const char* Name(ImageState s);
const char* Name(InstanceState s);
int Code(InstanceState s);  // 0 pending, 16 running, 32 shutting-down, 48 terminated, 64 stopping, 80 stopped

// A record time as AWS writes it and Describe* time filters match it:
// "2023-11-14T22:13:20.000Z".
inline std::string IsoTime(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];  // room for any int the format could print
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace kura::ec2
