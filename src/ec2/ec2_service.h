// Ec2Service: the EC2/EBS/ELB operations (ec2-api.md, elb.md) as typed calls,
// with the KMS flows of ebs-kms-flows.md. The API providers map wire
// documents onto these; nothing here knows XML or wire error codes.
//
// Where things live (one file per area):
//   volumes.cc        CreateVolume … DescribeVolumeStatus, and the internal
//                     volume creation/attachment steps launches reuse
//   snapshots.cc      CreateSnapshot(s), CopySnapshot, sharing attributes
//   ebs_settings.cc   encryption by default and the default KMS key
//   images.cc         CreateImage, RegisterImage, CopyImage, launch permissions
//   instances.cc      RunInstances … TerminateInstances, instance attributes
//   addresses.cc      Elastic IPs;  load_balancers.cc  classic ELB
//   tags.cc           CreateTags, DeleteTags, DescribeTags
//   regions.cc        DescribeRegions, DescribeAvailabilityZones
//   disk_images.cc    volumes staged on a host of their own, to import or export disk images
//   key_resolution.*  which KMS key a new volume/copy gets (ebs-kms-flows.md §2.1)
//   data_keys.*       every KMS call EBS makes (as the caller via EC2, or as the host through a grant)
//   hosts.*           plaintext data keys and open block volumes of running instances
//   worker.*          the bounded pool that runs asynchronous transitions
//   store.*           persistence of every record (metadata database + memory)
//
// Asynchronous state: calls return at once with the transitional state
// (creating, pending, …); the worker finishes the transition. Every record is
// persisted in its transitional state, so Resume() at start finishes or fails
// what a stop interrupted.
// Errors: Status whose detail() is an Ec2Error (ec2_error.h) and whose message
// is AWS's text; KMS failures inside asynchronous work end in the states AWS
// shows (volume error, instance terminated with a StateReason).
// Thread-safety: every method is safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "blocks/engine.h"
#include "ec2/ec2_error.h"
#include "ec2/store.h"
#include "ec2/types.h"
#include "iam/policy.h"
#include "kms/kms_service.h"
#include "meta/database.h"

namespace kura::ec2 {

class DataKeys;
class Hosts;
class HostObserver;
class InstanceTypeCatalog;
class Worker;

using IdentityPoliciesFn =
    std::function<base::Result<std::vector<std::shared_ptr<const iam::PolicyDocument>>>(const iam::Principal&)>;

struct Ec2Options {
  std::shared_ptr<meta::Database> db;
  blocks::Engine* engine = nullptr;  // not owned; outlives the service
  std::shared_ptr<kms::KmsService> kms;
  IdentityPoliciesFn identity_policies;
  std::function<int64_t()> clock_ms;  // Unix milliseconds; default: the system clock
  std::vector<std::string> regions = {"us-east-1", "ap-northeast-1"};
  // The instance-type catalog (JSON, see data/instance-types.json); "" = the built-in one.
  std::string instance_types_file;
  unsigned workers = 4;  // asynchronous transitions in parallel
  // Shortest time a resource stays in a transitional state (creating, pending,
  // stopping, …), so clients see it as on AWS; 0 = as fast as the work allows.
  int64_t min_transition_ms = 0;
  // The pre-May-2019 rule: sharing an AMI that has encrypted snapshots with
  // another account fails with UnsupportedOperation. Off = current AWS.
  bool legacy_encrypted_ami_sharing = false;
};

// A volume open on a staging host: the NBD export `host_id`/`volume_id`.
struct StagedVolume {
  std::string volume_id;
  std::string host_id;
  uint64_t size_bytes = 0;
};

// Describe* paging: MaxResults / NextToken as AWS has them.
struct PageRequest {
  std::optional<int> max_results;
  std::string next_token;
};
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_token;  // "" on the last page
};

// The request's own caller, region and request id.
using Caller = Requester;

struct CreateVolumeRequest {
  std::string zone;
  std::optional<int64_t> size_gib;
  std::string snapshot_id;
  std::string volume_type;  // "" = gp2
  std::optional<int> iops;
  std::optional<int> throughput;
  std::optional<bool> encrypted;
  std::string kms_key_id;
  bool multi_attach = false;
  std::vector<Tag> tags;
  std::string client_token;
};

struct DetachVolumeRequest {
  std::string volume_id;
  std::string instance_id;  // optional
  std::string device;       // optional
  bool force = false;
};

// One BlockDeviceMapping entry of ModifyInstanceAttribute.
struct DeleteOnTerminationChange {
  std::string device_name;
  std::string volume_id;  // optional: must be the volume at device_name when given
  bool delete_on_termination = false;
};

struct ModifyVolumeRequest {
  std::string volume_id;
  std::optional<int64_t> size_gib;
  std::string volume_type;
  std::optional<int> iops;
  std::optional<int> throughput;
  std::optional<bool> multi_attach;
};

struct CopySnapshotRequest {
  std::string source_region;
  std::string source_snapshot_id;
  std::string description;
  std::optional<bool> encrypted;
  std::string kms_key_id;
  std::string presigned_url;
  std::string destination_region;  // "" = the caller's region
  std::vector<Tag> tags;
};

// createVolumePermission / launchPermission changes, from either wire form.
struct PermissionChange {
  std::vector<std::string> add_users, remove_users;
  std::vector<std::string> add_groups, remove_groups;  // only "all"
};

struct CreateImageRequest {
  std::string instance_id;
  std::string name;
  std::string description;
  bool no_reboot = false;
  std::vector<BlockDeviceMapping> block_device_mappings;  // overrides/NoDevice
  std::vector<Tag> tags;           // ResourceType image
  std::vector<Tag> snapshot_tags;  // ResourceType snapshot
};

struct RegisterImageRequest {
  std::string name;
  std::string description;
  std::string architecture;         // "" = x86_64
  std::string virtualization_type;  // "" = hvm
  std::string root_device_name;
  std::optional<bool> ena_support;
  std::vector<BlockDeviceMapping> block_device_mappings;
  std::vector<Tag> tags;
};

struct CopyImageRequest {
  std::string name;
  std::string source_image_id;
  std::string source_region;
  std::string description;
  std::optional<bool> encrypted;
  std::string kms_key_id;
  std::string client_token;
  bool copy_image_tags = false;
  std::vector<Tag> tags;
};

struct RunInstancesRequest {
  std::string image_id;
  int min_count = 1;
  int max_count = 1;
  std::string instance_type;  // "" = m1.small, as AWS
  std::string zone;           // Placement.AvailabilityZone; "" = the region's first
  std::string key_name;
  std::vector<BlockDeviceMapping> block_device_mappings;
  std::vector<Tag> instance_tags;
  std::vector<Tag> volume_tags;
  std::string client_token;
  bool disable_api_termination = false;
  bool ebs_optimized = false;
};

struct Reservation {
  std::string reservation_id;
  std::string owner_id;
  std::vector<InstanceRecord> instances;
};

struct InstanceStateChange {
  std::string instance_id;
  InstanceState current = InstanceState::kPending;
  InstanceState previous = InstanceState::kPending;
};

struct InstanceTypeInfo {
  std::string instance_type;
  bool current_generation = true;
  int vcpus = 1;
  int64_t memory_mib = 1024;
  std::string ebs_optimized_support = "default";  // unsupported | supported | default
  bool encryption_supported = true;
  std::string nvme_support = "required";
  std::vector<std::string> architectures = {"x86_64"};
};

struct TagDescription {
  std::string resource_id;
  std::string resource_type;  // volume | snapshot | image | instance | elastic-ip
  std::string key;
  std::string value;
};
struct TagFilterKey {  // DeleteTags: value absent = any value
  std::string key;
  std::optional<std::string> value;
};

struct RegionInfo {
  std::string name;
  std::string endpoint;
};
struct ZoneInfo {
  std::string name;
  std::string zone_id;
  std::string region;
};

struct AssociateAddressRequest {
  std::string allocation_id;
  std::string public_ip;
  std::string instance_id;
  std::string private_ip;
  bool allow_reassociation = false;
};

struct CreateLoadBalancerRequest {
  std::string name;
  std::vector<Listener> listeners;
  std::vector<std::string> zones;
  std::vector<std::string> subnets;
  std::vector<std::string> security_groups;
  std::string scheme;  // "" = internet-facing
  std::vector<Tag> tags;
};

class Ec2Service {
 public:
  // Applies the "ec2" schema migrations, loads the records and the instance
  // type catalog, and starts the worker. Call Resume() once the server is ready.
  static base::Result<std::unique_ptr<Ec2Service>> Open(Ec2Options options);
  ~Ec2Service();  // Shutdown()

  // Finishes or fails transitions a previous run left in flight (creating
  // volumes, pending snapshots and images, pending/stopping/shutting-down
  // instances) and brings instances that were running back up (their data keys
  // unwrapped again through KMS).
  base::Status Resume();
  // Stops the worker (work in flight finishes), flushes and closes every open
  // volume and wipes every plaintext data key.
  void Shutdown();

  // IAM authorization of an EC2 or ELB action ("ec2:CreateVolume") on
  // `resources` (ARNs; empty = "*"): UnauthorizedOperation with AWS's encoded
  // message when the caller's identity policies do not allow it. An account's
  // root is always allowed.
  base::Status Authorize(const Caller& caller, const std::string& action, const std::vector<std::string>& resources);

  // ---- volumes (volumes.cc)
  base::Result<VolumeRecord> CreateVolume(const Caller& caller, const CreateVolumeRequest& request);
  base::Result<Page<VolumeRecord>> DescribeVolumes(const Caller& caller, const std::vector<std::string>& ids,
                                                   const std::vector<Filter>& filters, const PageRequest& page);
  base::Status DeleteVolume(const Caller& caller, const std::string& volume_id);
  // The attachment as AttachVolume/DetachVolume return it (with the volume id in `volume_id`).
  base::Result<VolumeAttachment> AttachVolume(const Caller& caller, const std::string& volume_id,
                                              const std::string& instance_id, const std::string& device);
  base::Result<VolumeAttachment> DetachVolume(const Caller& caller, const DetachVolumeRequest& request);
  // ModifyInstanceAttribute BlockDeviceMapping: DeleteOnTermination of the
  // volumes attached at the given devices (the one attribute kura changes).
  base::Status ModifyDeleteOnTermination(const Caller& caller, const std::string& instance_id,
                                         const std::vector<DeleteOnTerminationChange>& changes);
  base::Result<VolumeModification> ModifyVolume(const Caller& caller, const ModifyVolumeRequest& request);
  base::Result<Page<VolumeRecord>> DescribeVolumeStatus(const Caller& caller, const std::vector<std::string>& ids,
                                                        const std::vector<Filter>& filters, const PageRequest& page);

  // ---- snapshots (snapshots.cc)
  base::Result<SnapshotRecord> CreateSnapshot(const Caller& caller, const std::string& volume_id,
                                              const std::string& description, const std::vector<Tag>& tags);
  // All EBS volumes of an instance at one instant (crash-consistent).
  base::Result<std::vector<SnapshotRecord>> CreateSnapshots(const Caller& caller, const std::string& instance_id,
                                                            bool exclude_boot_volume, const std::string& description,
                                                            const std::vector<Tag>& tags, bool copy_tags_from_source);
  base::Result<Page<SnapshotRecord>> DescribeSnapshots(const Caller& caller, const std::vector<std::string>& ids,
                                                       const std::vector<std::string>& owner_ids,
                                                       const std::vector<std::string>& restorable_by,
                                                       const std::vector<Filter>& filters, const PageRequest& page);
  base::Result<SnapshotRecord> CopySnapshot(const Caller& caller, const CopySnapshotRequest& request);
  base::Status DeleteSnapshot(const Caller& caller, const std::string& snapshot_id);
  base::Status ModifySnapshotAttribute(const Caller& caller, const std::string& snapshot_id,
                                       const std::string& attribute, const PermissionChange& change);
  base::Result<SnapshotRecord> DescribeSnapshotAttribute(const Caller& caller, const std::string& snapshot_id,
                                                         const std::string& attribute);
  base::Status ResetSnapshotAttribute(const Caller& caller, const std::string& snapshot_id,
                                      const std::string& attribute);

  // ---- encryption by default (ebs_settings.cc)
  base::Result<bool> SetEbsEncryptionByDefault(const Caller& caller, bool enabled);
  base::Result<bool> GetEbsEncryptionByDefault(const Caller& caller);
  // "alias/aws/ebs" until changed, then the key ARN.
  base::Result<std::string> GetEbsDefaultKmsKeyId(const Caller& caller);
  base::Result<std::string> ModifyEbsDefaultKmsKeyId(const Caller& caller, const std::string& kms_key_id);
  base::Result<std::string> ResetEbsDefaultKmsKeyId(const Caller& caller);  // the aws/ebs key ARN

  // ---- images (images.cc)
  base::Result<std::string> CreateImage(const Caller& caller, const CreateImageRequest& request);
  base::Result<std::string> RegisterImage(const Caller& caller, const RegisterImageRequest& request);
  base::Result<std::string> CopyImage(const Caller& caller, const CopyImageRequest& request);
  base::Result<Page<ImageRecord>> DescribeImages(const Caller& caller, const std::vector<std::string>& ids,
                                                 const std::vector<std::string>& owners,
                                                 const std::vector<std::string>& executable_by,
                                                 const std::vector<Filter>& filters, const PageRequest& page);
  // The ids of the snapshots deleted with it (DeleteAssociatedSnapshots).
  base::Result<std::vector<std::string>> DeregisterImage(const Caller& caller, const std::string& image_id,
                                                         bool delete_associated_snapshots);
  base::Status ModifyImageAttribute(const Caller& caller, const std::string& image_id, const std::string& attribute,
                                    const PermissionChange& change, const std::optional<std::string>& description);
  base::Result<ImageRecord> DescribeImageAttribute(const Caller& caller, const std::string& image_id,
                                                   const std::string& attribute);
  base::Status ResetImageAttribute(const Caller& caller, const std::string& image_id, const std::string& attribute);

  // ---- instances (instances.cc)
  base::Result<Reservation> RunInstances(const Caller& caller, const RunInstancesRequest& request);
  base::Result<Page<Reservation>> DescribeInstances(const Caller& caller, const std::vector<std::string>& ids,
                                                    const std::vector<Filter>& filters, const PageRequest& page);
  base::Result<std::vector<InstanceStateChange>> StartInstances(const Caller& caller,
                                                                const std::vector<std::string>& ids);
  base::Result<std::vector<InstanceStateChange>> StopInstances(const Caller& caller,
                                                               const std::vector<std::string>& ids, bool force);
  base::Status RebootInstances(const Caller& caller, const std::vector<std::string>& ids);
  base::Result<std::vector<InstanceStateChange>> TerminateInstances(const Caller& caller,
                                                                    const std::vector<std::string>& ids);
  base::Result<Page<InstanceTypeInfo>> DescribeInstanceTypes(const Caller& caller,
                                                             const std::vector<std::string>& types,
                                                             const std::vector<Filter>& filters,
                                                             const PageRequest& page);
  base::Result<InstanceRecord> DescribeInstanceAttribute(const Caller& caller, const std::string& instance_id,
                                                         const std::string& attribute);

  // ---- tags (tags.cc)
  base::Status CreateTags(const Caller& caller, const std::vector<std::string>& resource_ids,
                          const std::vector<Tag>& tags);
  base::Status DeleteTags(const Caller& caller, const std::vector<std::string>& resource_ids,
                          const std::vector<TagFilterKey>& tags);
  base::Result<Page<TagDescription>> DescribeTags(const Caller& caller, const std::vector<Filter>& filters,
                                                  const PageRequest& page);

  // ---- regions (regions.cc)
  base::Result<std::vector<RegionInfo>> DescribeRegions(const Caller& caller, const std::vector<std::string>& names,
                                                        const std::vector<Filter>& filters);
  base::Result<std::vector<ZoneInfo>> DescribeAvailabilityZones(const Caller& caller,
                                                                const std::vector<std::string>& names,
                                                                const std::vector<std::string>& zone_ids,
                                                                const std::vector<Filter>& filters);

  // ---- Elastic IPs (addresses.cc)
  base::Result<AddressRecord> AllocateAddress(const Caller& caller, const std::vector<Tag>& tags);
  base::Result<std::string> AssociateAddress(const Caller& caller, const AssociateAddressRequest& request);
  base::Status DisassociateAddress(const Caller& caller, const std::string& association_id,
                                   const std::string& public_ip);
  base::Status ReleaseAddress(const Caller& caller, const std::string& allocation_id, const std::string& public_ip);
  base::Result<std::vector<AddressRecord>> DescribeAddresses(const Caller& caller,
                                                             const std::vector<std::string>& public_ips,
                                                             const std::vector<std::string>& allocation_ids,
                                                             const std::vector<Filter>& filters);

  // ---- classic load balancers (load_balancers.cc)
  base::Result<std::string> CreateLoadBalancer(const Caller& caller, const CreateLoadBalancerRequest& request);  // DNS name
  base::Result<Page<LoadBalancerRecord>> DescribeLoadBalancers(const Caller& caller,
                                                               const std::vector<std::string>& names,
                                                               const PageRequest& page);
  base::Status DeleteLoadBalancer(const Caller& caller, const std::string& name);
  // The instances registered afterwards.
  base::Result<std::vector<std::string>> RegisterInstancesWithLoadBalancer(const Caller& caller,
                                                                           const std::string& name,
                                                                           const std::vector<std::string>& instances);
  base::Result<std::vector<std::string>> DeregisterInstancesFromLoadBalancer(
      const Caller& caller, const std::string& name, const std::vector<std::string>& instances);

  // ---- the host side (used by kura's admin API and the NBD server)
  // The open block volume behind `volume_id` while it is attached to the
  // running instance `instance_id` of `account`; FailedPrecondition otherwise.
  base::Result<std::shared_ptr<blocks::Volume>> OpenAttachedVolume(const std::string& account,
                                                                   const std::string& instance_id,
                                                                   const std::string& volume_id);
  // The volumes usable on the host of `account`'s running instance right now
  // (attached, key unwrapped), sorted; InvalidInstanceID.NotFound or
  // IncorrectInstanceState otherwise. What the NBD server exports for it.
  base::Result<std::vector<std::string>> HostVolumeIds(const std::string& account, const std::string& instance_id);
  // ---- disk images (disk_images.cc): a volume opened on a staging host of
  // its own ("import-<volume id>", never an instance), so that the NBD server
  // exports it for an image tool to fill or read. Staging is memory only: a
  // restart ends it (the volume stays, DiscardStaged removes it).
  // A new volume (as CreateVolume; Encrypted/KmsKeyId as there), staged.
  base::Result<StagedVolume> StageImport(const Caller& caller, const CreateVolumeRequest& request);
  // A volume from the caller's own completed snapshot, staged.
  base::Result<StagedVolume> StageExport(const Caller& caller, const std::string& snapshot_id);
  // Ends the staging (flush, key wiped), snapshots the volume, waits until the
  // snapshot completed, deletes the volume.
  base::Result<SnapshotRecord> FinishImport(const Caller& caller, const std::string& volume_id,
                                            const std::string& description);
  // Ends the staging (if any) and deletes the volume.
  base::Status DiscardStaged(const Caller& caller, const std::string& volume_id);
  static std::string StagingHostOf(const std::string& volume_id);

  // Who hears of volumes opened and closed on hosts (the NBD server); set
  // before Resume() so that instances brought back up are exported too.
  void SetHostObserver(std::shared_ptr<HostObserver> observer);

  // Hides terminated instances an hour after termination and removes deleted
  // volumes; called periodically by the server.
  base::Status ProcessDue();
  // Test harnesses (POST /_kura/reset): closes every host volume and deletes
  // every EC2/ELB record (the block engine and KMS are reset by their owners).
  base::Status Reset();

  // Waits until no asynchronous work is queued or running (tests).
  void WaitIdle();

  // Waits until every record change made before the call is durable (the
  // store commits in groups, see store.h); the commit error otherwise. Call it
  // without holding anything, after an operation and before telling anyone
  // that it succeeded (the API providers do, after every non-Describe call).
  base::Status WaitDurable();

 private:
  explicit Ec2Service(Ec2Options options);

  // ---- shared helpers (ec2_service.cc) ----
  int64_t NowMs() const;
  base::Status CheckRegion(const Caller& caller) const;
  // Sleeps out Ec2Options::min_transition_ms since `since_ms` (worker threads only).
  void HoldTransition(int64_t since_ms) const;
  // Runs `job` on the worker; `resource` names it in logs.
  void Submit(const std::string& resource, std::function<void()> job);
  // InvalidInstanceID.NotFound unless `account` owns the instance, IncorrectInstanceState unless it runs; under mu_.
  base::Status CheckRunning(const std::string& account, const std::string& instance_id) const;
  EbsSettings SettingsOf(const std::string& account, const std::string& region) const;  // under mu_
  // Records visible to the caller (owned, shared with its account, or public); under mu_.
  const VolumeRecord* OwnedVolume(const Caller& caller, const std::string& id) const;
  const InstanceRecord* OwnedInstance(const Caller& caller, const std::string& id) const;
  const SnapshotRecord* UsableSnapshot(const Caller& caller, const std::string& id) const;
  const ImageRecord* UsableImage(const Caller& caller, const std::string& id) const;
  // (regions.cc) The availability zones of a region: <region>a, b, c.
  std::vector<ZoneInfo> ZonesOf(const std::string& region) const;

  // ---- internal steps shared by volumes, snapshots, images and instances ----
  // (volumes.cc) Validates a volume request and returns the record in state
  // creating, not yet stored; key resolution included (ebs-kms-flows.md §2.1).
  base::Result<VolumeRecord> PrepareVolume(const Caller& caller, const CreateVolumeRequest& request);  // under mu_
  // (volumes.cc) The asynchronous half: the data key through KMS as the
  // requester via EC2, the block volume (a copy when re-encrypting). Not under
  // mu_. On error the KMS Status (detail a KmsError) says why.
  base::Status MaterializeVolume(VolumeRecord& volume);
  // (volumes.cc) Makes an attached volume usable on its instance's host: a
  // grant for the instance, Decrypt through it as the host, the block volume
  // opened with the plaintext key (kept in hosts_). Not under mu_.
  base::Status AttachToHost(const std::string& instance_id, const VolumeRecord& volume, const Requester& requester);
  // (volumes.cc) Flushes and closes the volume on the host, wipes its key and
  // retires the grant. Not under mu_.
  void DetachFromHost(const std::string& instance_id, const std::string& volume_id);
  // (snapshots.cc) A snapshot record of `volume` in state pending (taken now
  // when `take_now`), not yet stored; under mu_.
  base::Result<SnapshotRecord> PrepareSnapshot(const Caller& caller, const VolumeRecord& volume,
                                               const std::string& description, const std::vector<Tag>& tags);
  // (snapshots.cc) Validates a copy and returns the new record (pending), not yet stored; under mu_.
  base::Result<SnapshotRecord> PrepareSnapshotCopy(const Caller& caller, const SnapshotRecord& source,
                                                   const CopySnapshotRequest& request);
  // (snapshots.cc) The asynchronous half of a copy; not under mu_.
  base::Status MaterializeSnapshotCopy(SnapshotRecord& copy);
  // (snapshots.cc) Frees the block snapshot when no snapshot record uses it any more; under mu_.
  base::Status ReleaseEngineSnapshot(int64_t engine_id);
  // (snapshots.cc) ReleaseEngineSnapshot for block snapshots whose records were
  // just erased: waits until the erasure is durable first, so a crash never
  // leaves a record pointing at a freed block snapshot; not under mu_.
  base::Status ReleaseEngineSnapshotsWhenDurable(const std::vector<int64_t>& engine_ids);

  // (volumes.cc / snapshots.cc / images.cc / instances.cc) Resume() per area.
  void ResumeVolumes();
  void ResumeSnapshots();
  void ResumeImages();
  void ResumeInstances();

  // (disk_images.cc) Opens the caller's available volume on its staging host; Unstage closes it.
  base::Result<StagedVolume> Stage(const Caller& caller, const std::string& volume_id);
  base::Status Unstage(const Caller& caller, const std::string& volume_id);

  // ---- compute internals (instances.cc, images.cc) ----
  // The caller's instance (terminated ones until forgotten), or
  // InvalidInstanceID.Malformed / .NotFound; under mu_.
  base::Result<InstanceRecord> FindInstance(const Caller& caller, const std::string& id) const;
  // An image the caller may launch (own, shared, public), or InvalidAMIID.Malformed / .NotFound; under mu_.
  base::Result<ImageRecord> FindImage(const Caller& caller, const std::string& id) const;
  // FindImage, for changes: only the owner's (others get InvalidAMIID.NotFound); under mu_.
  base::Result<ImageRecord> OwnImage(const Caller& caller, const std::string& id) const;
  // InvalidAMIName.Duplicate when the caller's account has an image named `name` in its region; under mu_.
  base::Status CheckImageNameFree(const Caller& caller, const std::string& name) const;
  // PrepareVolume for one mapping of a launch from `image_id`, including the
  // snapshots of a shared image the caller may launch but not otherwise use; under mu_.
  base::Result<VolumeRecord> PrepareLaunchVolume(const Caller& caller, const std::string& image_id,
                                                 const BlockDeviceMapping& mapping, const std::string& zone,
                                                 const std::vector<Tag>& volume_tags);
  // Waits (polling; worker threads only) until the record's state satisfies
  // `settled`: InternalError when it enters its error state or vanishes,
  // Unavailable on shutdown. Defined for VolumeRecord and SnapshotRecord.
  template <typename Record>
  base::Result<Record> AwaitSettled(const std::string& id, bool (*settled)(const Record&));
  // Until ResumeVolumes finished creating a launch's volume.
  base::Result<VolumeRecord> AwaitVolumeCreated(const std::string& volume_id);
  // Asynchronous instance transitions (worker threads; each takes mu_ itself
  // and re-checks the instance's state before acting).
  void LaunchInstance(const std::string& instance_id);             // pending (RunInstances) -> running
  void StartInstance(const std::string& instance_id);              // pending (StartInstances) -> running | stopped
  void StopInstance(const std::string& instance_id, int64_t since_ms);  // stopping -> stopped
  void FinishTermination(const std::string& instance_id);          // shutting-down -> terminated
  void ReattachRunning(const std::string& instance_id);            // Resume(): running again on the host
  // Asynchronous image work: CreateImage's snapshots completing, CopyImage's copies.
  void CompleteImageSnapshots(const std::string& image_id, int64_t since_ms);
  void CopyImageSnapshot(const std::string& image_id, const std::string& snapshot_id);
  // pending -> available once every backing snapshot completed, failed when one failed; under mu_.
  base::Status SettleImage(const std::string& image_id);

  // The asynchronous halves of the storage operations, shared by the
  // operations and by Resume (volumes.cc, snapshots.cc).
  friend struct VolumeJobs;
  friend struct SnapshotJobs;

  Ec2Options options_;
  std::unique_ptr<Ec2Store> store_;
  std::unique_ptr<InstanceTypeCatalog> instance_types_;
  std::unique_ptr<DataKeys> data_keys_;
  std::unique_ptr<Hosts> hosts_;
  std::unique_ptr<Worker> worker_;
  // Guards store_ and every read-modify-write of records. Never held across a
  // KMS call or block I/O.
  mutable std::mutex mu_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace kura::ec2
