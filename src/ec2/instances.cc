// Instances (ec2-api.md §5.4, §6.7; ebs-kms-flows.md F3): RunInstances …
// TerminateInstances, DescribeInstances, their asynchronous transitions and
// Resume(). A launch creates its volumes (PrepareVolume under mu_, then
// MaterializeVolume and AttachToHost without it); a KMS failure on the way
// terminates the instance with the StateReason AWS shows.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <thread>

#include "base/log.h"
#include "ec2/ec2_service.h"
#include "ec2/filters.h"
#include "ec2/ids.h"
#include "ec2/instance_types.h"
#include "ec2/worker.h"
#include "kms/kms_error.h"

namespace kura::ec2 {

namespace {

// Terminated instances stay visible in DescribeInstances for about an hour.
constexpr int64_t kTerminatedVisibleMs = 60 * 60 * 1000;
// Instances one RunInstances call may launch (AWS's default On-Demand limit of old).
constexpr int kMaxInstancesPerCall = 20;
constexpr char kDefaultInstanceType[] = "m1.small";

template <typename T>
base::Status StatusOf(const base::Result<T>& r) {
  return r.ok() ? base::Status::Ok() : r.status();
}

StateReason PendingReason() { return {"pending", "pending"}; }
StateReason UserShutdownReason() {
  return {"Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown"};
}

// Why a launch or a start failed, as AWS reports it (ebs-kms-flows.md F3):
// the caller not allowed to use the key vs. the key unusable vs. anything else.
StateReason LaunchFailureReason(const base::Status& status) {
  switch (kms::ErrorOf(status)) {
    case kms::KmsError::kAccessDenied:
      return {"Client.InternalError", "Client.InternalError: Client error on launch"};
    case kms::KmsError::kDisabled:
    case kms::KmsError::kInvalidState:
    case kms::KmsError::kNotFound:
      return {"Client.InvalidKMSKey.InvalidState",
              "Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state"};
    default:
      return {"Server.InternalError", "Server.InternalError: Internal error on launch"};
  }
}
// StateTransitionReason after a failed launch or start (ebs-kms-flows.md, Disagreements).
constexpr char kFailureTransitionReason[] = "Server.InternalError";

// "User initiated (2023-11-14 22:13:20 GMT)".
std::string UserInitiated(int64_t now_ms) {
  const std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "User initiated (%Y-%m-%d %H:%M:%S GMT)", &tm);
  return buf;
}

bool Hidden(const InstanceRecord& i, int64_t now_ms) {
  return i.state == InstanceState::kTerminated && i.terminated_at + kTerminatedVisibleMs <= now_ms;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

base::Status InstancesNotFound(const std::vector<std::string>& ids) {
  if (ids.size() == 1) {
    return Ec2Status(Ec2Error::kInstanceNotFound, "The instance ID '" + ids[0] + "' does not exist");
  }
  return Ec2Status(Ec2Error::kInstanceNotFound, "The instance IDs '" + Join(ids) + "' do not exist");
}

base::Status KmsKeyIdNeedsEncrypted() {
  return Ec2Status(Ec2Error::kInvalidParameterDependency,
                   "The parameter KmsKeyId requires the parameter Encrypted to be set.");
}

// The launch's volumes: the AMI's EBS mappings with the request's overrides
// applied by device name (NoDevice removes one). The AMI's own Encrypted and
// KmsKeyId only describe its snapshots, so they are dropped: the key of a
// launched volume follows key resolution (ebs-kms-flows.md §2.1) from the
// snapshot and the request's own Encrypted/KmsKeyId.
base::Result<std::vector<BlockDeviceMapping>> MergeMappings(const std::vector<BlockDeviceMapping>& image,
                                                            const std::vector<BlockDeviceMapping>& overrides,
                                                            const std::string& root_device) {
  std::vector<BlockDeviceMapping> out;
  for (const auto& m : image) {
    if (!m.ebs) continue;  // instance-store mappings have no EBS volume to create
    BlockDeviceMapping launch = m;
    launch.ebs->encrypted.reset();
    launch.ebs->kms_key_id.clear();
    out.push_back(std::move(launch));
  }
  for (const auto& o : overrides) {
    if (o.device_name.empty()) {
      return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter BlockDeviceMapping.DeviceName");
    }
    if (o.ebs && !o.ebs->kms_key_id.empty() && o.ebs->encrypted != true) return KmsKeyIdNeedsEncrypted();
    auto it = std::find_if(out.begin(), out.end(), [&](const BlockDeviceMapping& m) { return m.device_name == o.device_name; });
    if (o.no_device) {
      if (o.device_name == root_device) {
        return Ec2Status(Ec2Error::kInvalidParameterValue,
                         "The root device " + root_device + " cannot be removed with NoDevice.");
      }
      if (it != out.end()) out.erase(it);
      continue;
    }
    if (!o.ebs) continue;  // VirtualName (instance store): nothing to create on EBS
    if (it == out.end()) {
      out.push_back(o);
      continue;
    }
    EbsBlockDevice& e = *it->ebs;
    const EbsBlockDevice& x = *o.ebs;
    if (!x.snapshot_id.empty()) e.snapshot_id = x.snapshot_id;
    if (x.volume_size_gib) e.volume_size_gib = x.volume_size_gib;
    if (!x.volume_type.empty()) e.volume_type = x.volume_type;
    if (x.iops) e.iops = x.iops;
    if (x.throughput) e.throughput = x.throughput;
    if (x.delete_on_termination) e.delete_on_termination = x.delete_on_termination;
    e.encrypted = x.encrypted;
    e.kms_key_id = x.kms_key_id;
  }
  for (auto& m : out) {
    // AWS deletes volumes created at launch with the instance unless told otherwise.
    if (!m.ebs->delete_on_termination) m.ebs->delete_on_termination = true;
  }
  return out;
}

CreateVolumeRequest VolumeRequestFor(const BlockDeviceMapping& m, const std::string& zone,
                                     const std::vector<Tag>& volume_tags) {
  CreateVolumeRequest r;
  r.zone = zone;
  r.snapshot_id = m.ebs->snapshot_id;
  r.size_gib = m.ebs->volume_size_gib;
  r.volume_type = m.ebs->volume_type;
  r.iops = m.ebs->iops;
  r.throughput = m.ebs->throughput;
  r.encrypted = m.ebs->encrypted;
  r.kms_key_id = m.ebs->kms_key_id;
  r.tags = volume_tags;
  return r;
}

bool CanBeStopped(InstanceState s) {
  return s == InstanceState::kRunning || s == InstanceState::kStopping || s == InstanceState::kStopped;
}

}  // namespace

// ---- lookups -----------------------------------------------------------------

base::Result<InstanceRecord> Ec2Service::FindInstance(const Caller& caller, const std::string& id) const {
  if (!IsWellFormedId(id, "i-")) return Ec2Status(Ec2Error::kInstanceIdMalformed, "Invalid id: \"" + id + "\"");
  const InstanceRecord* i = OwnedInstance(caller, id);
  if (!i || Hidden(*i, NowMs())) return InstancesNotFound({id});
  return *i;
}

base::Result<VolumeRecord> Ec2Service::PrepareLaunchVolume(const Caller& caller, const std::string& image_id,
                                                           const BlockDeviceMapping& mapping, const std::string& zone,
                                                           const std::vector<Tag>& volume_tags) {
  CreateVolumeRequest request = VolumeRequestFor(mapping, zone, volume_tags);
  if (request.snapshot_id.empty() || UsableSnapshot(caller, request.snapshot_id)) return PrepareVolume(caller, request);
  // A snapshot of a shared image: the launch permission lets the caller
  // launch from it (ebs-kms-flows.md F7) though it may not CreateVolume from
  // it. The volume is prepared as a new one with the snapshot as its source:
  // not the caller's, so an encrypted one is re-encrypted under the caller's
  // default key or the KmsKeyId given (§2.1).
  const ImageRecord* image = UsableImage(caller, image_id);
  const SnapshotRecord* borrowed = store_->Find<SnapshotRecord>(request.snapshot_id);
  const bool from_image =
      image && borrowed && std::any_of(image->block_device_mappings.begin(), image->block_device_mappings.end(),
                                       [&](const BlockDeviceMapping& m) { return m.ebs && m.ebs->snapshot_id == borrowed->id; });
  if (!from_image || borrowed->region != caller.region) return PrepareVolume(caller, request);  // NotFound, as for any
  if (borrowed->state != SnapshotState::kCompleted) {
    return Ec2Status(Ec2Error::kIncorrectState, std::string("Snapshot is in invalid state - ") + Name(borrowed->state));
  }
  const int64_t size = request.size_gib.value_or(borrowed->volume_size_gib);
  if (size < borrowed->volume_size_gib) {
    return Ec2Status(Ec2Error::kInvalidParameterValue,
                     "Volume of size " + std::to_string(size) + "GB is smaller than snapshot '" + borrowed->id +
                         "', expect size >= " + std::to_string(borrowed->volume_size_gib) + "GB");
  }
  request.snapshot_id.clear();
  request.size_gib = size;
  if (borrowed->encrypted) request.encrypted = true;
  KURA_ASSIGN_OR_RETURN(VolumeRecord volume, PrepareVolume(caller, request));
  volume.snapshot_id = borrowed->id;
  return volume;
}

// ---- RunInstances ------------------------------------------------------------

base::Result<Reservation> Ec2Service::RunInstances(const Caller& caller, const RunInstancesRequest& request) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:RunInstances", {}));
  if (request.min_count < 1) {
    return Ec2Status(Ec2Error::kInvalidParameterValue, "Value (" + std::to_string(request.min_count) +
                                                           ") for parameter minCount is invalid. Expected a positive integer.");
  }
  if (request.max_count < request.min_count) {
    return Ec2Status(Ec2Error::kInvalidParameterValue,
                     "Value (" + std::to_string(request.max_count) +
                         ") for parameter maxCount is invalid. Expected a value greater than or equal to minCount.");
  }
  if (request.min_count > kMaxInstancesPerCall) {
    return Ec2Status(Ec2Error::kInstanceLimitExceeded,
                     "You have requested more instances (" + std::to_string(request.min_count) +
                         ") than your current instance limit of " + std::to_string(kMaxInstancesPerCall) +
                         " allows for the specified instance type. Please visit "
                         "http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.");
  }
  const int count = std::min(request.max_count, kMaxInstancesPerCall);
  const std::string type = request.instance_type.empty() ? kDefaultInstanceType : request.instance_type;
  const InstanceTypeInfo* type_info = instance_types_->Find(type);
  if (!type_info) return Ec2Status(Ec2Error::kInvalidParameterValue, "Invalid value '" + type + "' for InstanceType.");
  const auto zones = ZonesOf(caller.region);
  std::string zone = request.zone.empty() && !zones.empty() ? zones.front().name : request.zone;
  if (std::none_of(zones.begin(), zones.end(), [&](const ZoneInfo& z) { return z.name == zone; })) {
    return Ec2Status(Ec2Error::kInvalidParameterValue, "Invalid availability zone: [" + zone + "]");
  }
  KURA_ASSIGN_OR_RETURN(std::vector<Tag> instance_tags, MergeTags({}, request.instance_tags));
  KURA_ASSIGN_OR_RETURN(std::vector<Tag> volume_tags, MergeTags({}, request.volume_tags));

  Reservation reservation;
  reservation.owner_id = caller.principal.account_id;
  {
    std::lock_guard lock(mu_);
    if (!request.client_token.empty()) {
      // Idempotency: the reservation the same token launched before.
      for (const auto& [id, i] : store_->All<InstanceRecord>()) {
        if (i.client_token != request.client_token || i.account != caller.principal.account_id ||
            i.region != caller.region) {
          continue;
        }
        if (i.image_id != request.image_id || i.instance_type != type) {
          return Ec2Status(Ec2Error::kIdempotentParameterMismatch,
                           "Arguments on this idempotent request are inconsistent with arguments used in previous "
                           "request(s).");
        }
        reservation.reservation_id = i.reservation_id;
        for (const auto& [other_id, other] : store_->All<InstanceRecord>()) {
          if (other.reservation_id == i.reservation_id) reservation.instances.push_back(other);
        }
        std::sort(reservation.instances.begin(), reservation.instances.end(),
                  [](const InstanceRecord& a, const InstanceRecord& b) { return a.ami_launch_index < b.ami_launch_index; });
        return reservation;
      }
    }
    KURA_ASSIGN_OR_RETURN(ImageRecord image, FindImage(caller, request.image_id));
    if (image.state != ImageState::kAvailable) {
      return Ec2Status(Ec2Error::kAmiNotFound, "The image id '[" + request.image_id + "]' does not exist");
    }
    KURA_ASSIGN_OR_RETURN(auto mappings,
                          MergeMappings(image.block_device_mappings, request.block_device_mappings, image.root_device_name));
    if (!type_info->encryption_supported) {
      const bool by_default = SettingsOf(caller.principal.account_id, caller.region).encryption_by_default;
      for (const auto& m : mappings) {
        const SnapshotRecord* snap = m.ebs->snapshot_id.empty() ? nullptr : store_->Find<SnapshotRecord>(m.ebs->snapshot_id);
        if (by_default || m.ebs->encrypted == true || (snap && snap->encrypted)) {
          return Ec2Status(Ec2Error::kInvalidParameterCombination,
                           "The instance type '" + type + "' does not support encrypted EBS volumes.");
        }
      }
    }
    // Every volume is validated now as it will be created, so that a bad
    // mapping fails the call instead of the launch.
    for (const auto& m : mappings) {
      KURA_RETURN_IF_ERROR(StatusOf(PrepareLaunchVolume(caller, image.id, m, zone, volume_tags)));
    }
    reservation.reservation_id = NewId("r-");
    const int64_t now = NowMs();
    Batch batch;
    for (int n = 0; n < count; ++n) {
      InstanceRecord i;
      i.id = NewId("i-");
      i.reservation_id = reservation.reservation_id;
      i.account = caller.principal.account_id;
      i.region = caller.region;
      i.image_id = image.id;
      i.instance_type = type;
      i.zone = zone;
      i.state = InstanceState::kPending;
      i.state_reason = PendingReason();
      i.launch_time = now;
      i.ami_launch_index = n;
      i.private_ip = NewPrivateIp();
      i.root_device_name = image.root_device_name;
      i.tags = instance_tags;
      i.client_token = request.client_token;
      i.disable_api_termination = request.disable_api_termination;
      i.ebs_optimized = request.ebs_optimized;
      i.key_name = request.key_name;
      i.launch_mappings = mappings;
      i.volume_tags = volume_tags;
      i.requester = caller;
      batch.Put(i);
      reservation.instances.push_back(std::move(i));
    }
    KURA_RETURN_IF_ERROR(store_->Apply(batch));
  }
  for (const auto& i : reservation.instances) {
    Submit(i.id, [this, id = i.id] { LaunchInstance(id); });
  }
  return reservation;
}

// ---- asynchronous transitions ------------------------------------------------

template <typename Record>
base::Result<Record> Ec2Service::AwaitSettled(const std::string& id, bool (*settled)(const Record&)) {
  while (!shut_down_) {
    {
      std::lock_guard lock(mu_);
      const auto* record = store_->Find<Record>(id);
      if (!record) return base::InternalError(id + " vanished while it was awaited");
      if (record->state == decltype(record->state)::kError) return base::InternalError(record->state_message);
      if (settled(*record)) return *record;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return base::UnavailableError("shutting down");
}
template base::Result<VolumeRecord> Ec2Service::AwaitSettled(const std::string&, bool (*)(const VolumeRecord&));
template base::Result<SnapshotRecord> Ec2Service::AwaitSettled(const std::string&, bool (*)(const SnapshotRecord&));

base::Result<VolumeRecord> Ec2Service::AwaitVolumeCreated(const std::string& volume_id) {
  return AwaitSettled<VolumeRecord>(volume_id, [](const VolumeRecord& v) { return v.state != VolumeState::kCreating; });
}

void Ec2Service::LaunchInstance(const std::string& instance_id) {
  InstanceRecord instance;
  std::vector<VolumeRecord> volumes;
  base::Status failure;
  bool resumed = false;  // the volume records exist already: a launch interrupted by a restart
  {
    std::lock_guard lock(mu_);
    const auto* found = store_->Find<InstanceRecord>(instance_id);
    if (!found) return;
    instance = *found;
    resumed = !instance.block_devices.empty();
    if (instance.state == InstanceState::kPending && !resumed) {
      // First run: the volume records, attached to the instance, stored with it.
      const int64_t now = NowMs();
      Batch batch;
      for (const auto& m : instance.launch_mappings) {
        auto volume = PrepareLaunchVolume(instance.requester, instance.image_id, m, instance.zone, instance.volume_tags);
        if (!volume.ok()) {
          failure = volume.status();
          break;
        }
        const bool delete_on_termination = m.ebs->delete_on_termination.value_or(true);
        volume->attachment = VolumeAttachment{instance_id, m.device_name, AttachmentState::kAttaching, now,
                                              delete_on_termination};
        volume->requester = instance.requester;
        instance.block_devices.push_back(
            InstanceBlockDevice{m.device_name, volume->id, "attaching", now, delete_on_termination});
        batch.Put(*volume);
        volumes.push_back(std::move(volume).value());
      }
      if (failure.ok()) {
        batch.Put(instance);
        failure = store_->Apply(batch);
      }
    } else {
      for (const auto& bd : instance.block_devices) {
        if (const auto* v = store_->Find<VolumeRecord>(bd.volume_id)) volumes.push_back(*v);
      }
    }
  }
  if (instance.state == InstanceState::kShuttingDown) return FinishTermination(instance_id);
  if (instance.state != InstanceState::kPending) return;
  auto fail = [&](const base::Status& why) {
    base::LogEvent(base::LogLevel::kWarn, "ec2_launch_failed", {{"instance", instance_id}, {"error", why.ToString()}});
    {
      std::lock_guard lock(mu_);
      const auto* found = store_->Find<InstanceRecord>(instance_id);
      if (!found) return;
      InstanceRecord failed = *found;
      if (failed.state == InstanceState::kPending) {
        failed.state = InstanceState::kShuttingDown;
        failed.state_reason = LaunchFailureReason(why);
        failed.state_transition_reason = kFailureTransitionReason;
        if (!store_->Put(failed).ok()) return;
      }
    }
    FinishTermination(instance_id);
  };
  if (!failure.ok()) return fail(failure);

  HoldTransition(instance.launch_time);
  for (auto& v : volumes) {
    if (v.state != VolumeState::kCreating) continue;
    if (resumed) {
      // After a restart ResumeVolumes already finishes volumes left creating:
      // wait for that rather than making a second block volume.
      auto settled = AwaitVolumeCreated(v.id);
      if (!settled.ok()) return fail(settled.status());
      v = std::move(settled).value();
      continue;
    }
    if (base::Status s = MaterializeVolume(v); !s.ok()) return fail(s);
    v.state = VolumeState::kInUse;
    std::lock_guard lock(mu_);
    if (!store_->Find<VolumeRecord>(v.id)) return fail(base::InternalError("volume " + v.id + " vanished during launch"));
    if (base::Status s = store_->Put(v); !s.ok()) return fail(s);
  }
  for (const auto& v : volumes) {
    if (base::Status s = AttachToHost(instance_id, v, instance.requester); !s.ok()) return fail(s);
  }

  bool terminated_meanwhile = false;
  {
    std::lock_guard lock(mu_);
    const auto* found = store_->Find<InstanceRecord>(instance_id);
    if (!found) return;
    InstanceRecord running = *found;
    if (running.state != InstanceState::kPending) {
      terminated_meanwhile = running.state == InstanceState::kShuttingDown;
    } else {
      Batch batch;
      for (auto& bd : running.block_devices) {
        bd.status = "attached";
        const auto* v = store_->Find<VolumeRecord>(bd.volume_id);
        if (!v) continue;
        VolumeRecord attached = *v;
        attached.state = VolumeState::kInUse;
        if (attached.attachment) attached.attachment->state = AttachmentState::kAttached;
        batch.Put(std::move(attached));
      }
      running.state = InstanceState::kRunning;
      running.state_reason.reset();
      running.state_transition_reason.clear();
      running.launch_mappings.clear();
      batch.Put(running);
      LogIfFailed(store_->Apply(batch), "ec2_launch_store_failed", "instance", instance_id);
    }
  }
  if (terminated_meanwhile) FinishTermination(instance_id);
}

void Ec2Service::StartInstance(const std::string& instance_id) {
  InstanceRecord instance;
  std::vector<VolumeRecord> volumes;
  {
    std::lock_guard lock(mu_);
    const auto* found = store_->Find<InstanceRecord>(instance_id);
    if (!found) return;
    instance = *found;
    for (const auto& bd : instance.block_devices) {
      if (const auto* v = store_->Find<VolumeRecord>(bd.volume_id)) volumes.push_back(*v);
    }
  }
  if (instance.state == InstanceState::kShuttingDown) return FinishTermination(instance_id);
  if (instance.state != InstanceState::kPending) return;
  HoldTransition(instance.launch_time);

  base::Status failure;
  std::vector<std::string> attached;
  for (const auto& v : volumes) {
    failure = AttachToHost(instance_id, v, instance.requester);
    if (!failure.ok()) break;
    attached.push_back(v.id);
  }
  if (!failure.ok()) {
    // Back to stopped: what made it to the host leaves it again.
    for (const auto& id : attached) DetachFromHost(instance_id, id);
    base::LogEvent(base::LogLevel::kWarn, "ec2_start_failed", {{"instance", instance_id}, {"error", failure.ToString()}});
  }
  bool terminated_meanwhile = false;
  {
    std::lock_guard lock(mu_);
    const auto* found = store_->Find<InstanceRecord>(instance_id);
    if (!found) return;
    InstanceRecord next = *found;
    if (next.state != InstanceState::kPending) {
      terminated_meanwhile = next.state == InstanceState::kShuttingDown;
    } else {
      if (failure.ok()) {
        next.state = InstanceState::kRunning;
        next.state_reason.reset();
        next.state_transition_reason.clear();
      } else {
        next.state = InstanceState::kStopped;
        next.state_reason = LaunchFailureReason(failure);
        next.state_transition_reason = kFailureTransitionReason;
      }
      LogIfFailed(store_->Put(next), "ec2_start_store_failed", "instance", instance_id);
    }
  }
  if (terminated_meanwhile) {
    for (const auto& id : attached) DetachFromHost(instance_id, id);
    FinishTermination(instance_id);
  }
}

void Ec2Service::StopInstance(const std::string& instance_id, int64_t since_ms) {
  std::vector<std::string> volume_ids;
  {
    std::lock_guard lock(mu_);
    const auto* found = store_->Find<InstanceRecord>(instance_id);
    if (!found || found->state != InstanceState::kStopping) return;
    for (const auto& bd : found->block_devices) volume_ids.push_back(bd.volume_id);
  }
  HoldTransition(since_ms);
  // The host drops every plaintext data key; the volumes stay attached.
  for (const auto& id : volume_ids) DetachFromHost(instance_id, id);
  std::lock_guard lock(mu_);
  const auto* found = store_->Find<InstanceRecord>(instance_id);
  if (!found || found->state != InstanceState::kStopping) return;
  InstanceRecord stopped = *found;
  stopped.state = InstanceState::kStopped;
  LogIfFailed(store_->Put(stopped), "ec2_stop_store_failed", "instance", instance_id);
}

void Ec2Service::FinishTermination(const std::string& instance_id) {
  std::vector<InstanceBlockDevice> devices;
  std::vector<std::pair<std::string, int64_t>> engine_volumes;  // volume id, block volume: deleted with the instance
  const int64_t since = NowMs();
  {
    std::lock_guard lock(mu_);
    const auto* found = store_->Find<InstanceRecord>(instance_id);
    if (!found || found->state != InstanceState::kShuttingDown) return;
    devices = found->block_devices;
    // Volumes deleted on termination show "deleting" until they are gone.
    Batch batch;
    for (const auto& bd : devices) {
      const auto* v = store_->Find<VolumeRecord>(bd.volume_id);
      if (!v || !bd.delete_on_termination) continue;
      VolumeRecord deleting = *v;
      deleting.state = VolumeState::kDeleting;
      if (deleting.engine_id > 0) engine_volumes.emplace_back(deleting.id, deleting.engine_id);
      batch.Put(std::move(deleting));
    }
    if (base::Status s = store_->Apply(batch); !s.ok()) {
      base::LogEvent(base::LogLevel::kError, "ec2_terminate_store_failed", {{"instance", instance_id}, {"error", s.ToString()}});
      return;
    }
  }
  // The volumes' "deleting" must be durable before their block volumes go (see FinishDelete).
  if (base::Status s = WaitDurable(); !s.ok()) {
    base::LogEvent(base::LogLevel::kError, "ec2_terminate_store_failed", {{"instance", instance_id}, {"error", s.ToString()}});
    return;
  }
  HoldTransition(since);
  for (const auto& bd : devices) DetachFromHost(instance_id, bd.volume_id);
  std::set<std::string> undeleted;  // stay "deleting": ResumeVolumes retries them
  for (const auto& [volume_id, engine_id] : engine_volumes) {
    base::Status s = options_.engine->DeleteVolume(static_cast<blocks::VolumeId>(engine_id));
    if (!s.ok() && s.code() != base::StatusCode::kNotFound) {
      base::LogEvent(base::LogLevel::kWarn, "ec2_volume_delete_deferred",
                     {{"instance", instance_id}, {"volume", volume_id}, {"error", s.ToString()}});
      undeleted.insert(volume_id);
    }
  }

  std::lock_guard lock(mu_);
  const auto* found = store_->Find<InstanceRecord>(instance_id);
  if (!found || found->state != InstanceState::kShuttingDown) return;
  InstanceRecord terminated = *found;
  Batch batch;
  for (const auto& bd : devices) {
    const auto* v = store_->Find<VolumeRecord>(bd.volume_id);
    if (!v) continue;
    if (bd.delete_on_termination) {
      if (!undeleted.contains(v->id)) batch.Erase<VolumeRecord>(KeyOf(*v));
    } else {
      VolumeRecord detached = *v;
      detached.attachment.reset();
      if (detached.state == VolumeState::kInUse) detached.state = VolumeState::kAvailable;
      batch.Put(std::move(detached));
    }
  }
  // Its Elastic IPs are disassociated and it leaves every load balancer.
  for (const auto& [key, a] : store_->All<AddressRecord>()) {
    if (a.instance_id != instance_id) continue;
    AddressRecord released = a;
    released.association_id.clear();
    released.instance_id.clear();
    released.private_ip.clear();
    batch.Put(std::move(released));
  }
  for (const auto& [key, lb] : store_->All<LoadBalancerRecord>()) {
    if (std::find(lb.instances.begin(), lb.instances.end(), instance_id) == lb.instances.end()) continue;
    LoadBalancerRecord updated = lb;
    std::erase(updated.instances, instance_id);
    batch.Put(std::move(updated));
  }
  terminated.state = InstanceState::kTerminated;
  terminated.terminated_at = NowMs();
  terminated.block_devices.clear();
  terminated.public_ip.clear();
  terminated.launch_mappings.clear();
  batch.Put(terminated);
  LogIfFailed(store_->Apply(batch), "ec2_terminate_store_failed", "instance", instance_id);
}

void Ec2Service::ReattachRunning(const std::string& instance_id) {
  InstanceRecord instance;
  std::vector<VolumeRecord> volumes;
  {
    std::lock_guard lock(mu_);
    const auto* found = store_->Find<InstanceRecord>(instance_id);
    if (!found || found->state != InstanceState::kRunning) return;
    instance = *found;
    for (const auto& bd : instance.block_devices) {
      if (const auto* v = store_->Find<VolumeRecord>(bd.volume_id)) volumes.push_back(*v);
    }
  }
  base::Status failure;
  for (const auto& v : volumes) {
    failure = AttachToHost(instance_id, v, instance.requester);
    if (!failure.ok()) break;
  }
  if (failure.ok()) return;
  // The keys are no longer usable (key disabled, grant revoked while kura was
  // down): the instance cannot come back up, so it stops, saying why.
  base::LogEvent(base::LogLevel::kWarn, "ec2_resume_failed", {{"instance", instance_id}, {"error", failure.ToString()}});
  for (const auto& v : volumes) DetachFromHost(instance_id, v.id);
  std::lock_guard lock(mu_);
  const auto* found = store_->Find<InstanceRecord>(instance_id);
  if (!found || found->state != InstanceState::kRunning) return;
  InstanceRecord stopped = *found;
  stopped.state = InstanceState::kStopped;
  stopped.state_reason = LaunchFailureReason(failure);
  stopped.state_transition_reason = kFailureTransitionReason;
  LogIfFailed(store_->Put(stopped), "ec2_resume_store_failed", "instance", instance_id);
}

void Ec2Service::ResumeInstances() {
  std::vector<std::pair<std::string, std::function<void()>>> jobs;
  {
    std::lock_guard lock(mu_);
    const int64_t now = NowMs();
    for (const auto& [id, i] : store_->All<InstanceRecord>()) {
      switch (i.state) {
        case InstanceState::kPending:
          // A launch keeps its mappings until it runs; a start has none left.
          if (!i.launch_mappings.empty() || i.block_devices.empty()) {
            jobs.emplace_back(id, [this, id = id] { LaunchInstance(id); });
          } else {
            jobs.emplace_back(id, [this, id = id] { StartInstance(id); });
          }
          break;
        case InstanceState::kStopping:
          jobs.emplace_back(id, [this, id = id, now] { StopInstance(id, now); });
          break;
        case InstanceState::kShuttingDown:
          jobs.emplace_back(id, [this, id = id] { FinishTermination(id); });
          break;
        case InstanceState::kRunning:
          jobs.emplace_back(id, [this, id = id] { ReattachRunning(id); });
          break;
        default:
          break;
      }
    }
  }
  for (auto& [id, job] : jobs) Submit(id, std::move(job));
}

// ---- Start / Stop / Reboot / Terminate ---------------------------------------

base::Result<std::vector<InstanceStateChange>> Ec2Service::StartInstances(const Caller& caller,
                                                                          const std::vector<std::string>& ids) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:StartInstances", {}));
  std::vector<InstanceStateChange> changes;
  std::vector<std::string> started;
  {
    std::lock_guard lock(mu_);
    std::vector<InstanceRecord> instances;
    for (const auto& id : ids) {
      KURA_ASSIGN_OR_RETURN(InstanceRecord i, FindInstance(caller, id));
      if (i.state != InstanceState::kStopped && i.state != InstanceState::kRunning) {
        return Ec2Status(Ec2Error::kIncorrectInstanceState,
                         "The instance '" + id + "' is not in a state from which it can be started.");
      }
      instances.push_back(std::move(i));
    }
    Batch batch;
    const int64_t now = NowMs();
    for (auto& i : instances) {
      InstanceStateChange change{i.id, i.state, i.state};
      if (i.state == InstanceState::kStopped) {
        i.state = InstanceState::kPending;
        i.state_reason.reset();
        i.state_transition_reason.clear();
        i.launch_time = now;
        i.requester = caller;  // the host's grants are created as this caller
        change.current = InstanceState::kPending;
        started.push_back(i.id);
        batch.Put(i);
      }
      changes.push_back(change);
    }
    KURA_RETURN_IF_ERROR(store_->Apply(batch));
  }
  for (const auto& id : started) Submit(id, [this, id] { StartInstance(id); });
  return changes;
}

base::Result<std::vector<InstanceStateChange>> Ec2Service::StopInstances(const Caller& caller,
                                                                         const std::vector<std::string>& ids, bool) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:StopInstances", {}));
  std::vector<InstanceStateChange> changes;
  std::vector<std::string> stopping;
  const int64_t now = NowMs();
  {
    std::lock_guard lock(mu_);
    std::vector<InstanceRecord> instances;
    for (const auto& id : ids) {
      KURA_ASSIGN_OR_RETURN(InstanceRecord i, FindInstance(caller, id));
      if (!CanBeStopped(i.state)) {
        return Ec2Status(Ec2Error::kIncorrectInstanceState,
                         "This instance '" + id + "' is not in a state from which it can be stopped.");
      }
      instances.push_back(std::move(i));
    }
    Batch batch;
    for (auto& i : instances) {
      InstanceStateChange change{i.id, i.state, i.state};
      if (i.state == InstanceState::kRunning) {
        i.state = InstanceState::kStopping;
        i.state_reason = UserShutdownReason();
        i.state_transition_reason = UserInitiated(now);
        change.current = InstanceState::kStopping;
        stopping.push_back(i.id);
        batch.Put(i);
      }
      changes.push_back(change);
    }
    KURA_RETURN_IF_ERROR(store_->Apply(batch));
  }
  for (const auto& id : stopping) Submit(id, [this, id, now] { StopInstance(id, now); });
  return changes;
}

base::Status Ec2Service::RebootInstances(const Caller& caller, const std::vector<std::string>& ids) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:RebootInstances", {}));
  std::lock_guard lock(mu_);
  for (const auto& id : ids) KURA_RETURN_IF_ERROR(StatusOf(FindInstance(caller, id)));
  // Nothing to do: kura's instances run no guest, and their volumes stay open on the host.
  return base::Status::Ok();
}

base::Result<std::vector<InstanceStateChange>> Ec2Service::TerminateInstances(const Caller& caller,
                                                                              const std::vector<std::string>& ids) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:TerminateInstances", {}));
  std::vector<InstanceStateChange> changes;
  std::vector<std::string> to_finish;
  {
    std::lock_guard lock(mu_);
    // Any id that is missing or protected fails the whole call, before anything changes.
    std::vector<InstanceRecord> instances;
    std::vector<std::string> missing;
    for (const auto& id : ids) {
      auto i = FindInstance(caller, id);
      if (ErrorOf(StatusOf(i)) == Ec2Error::kInstanceNotFound) {
        missing.push_back(id);
        continue;
      }
      KURA_RETURN_IF_ERROR(StatusOf(i));
      instances.push_back(std::move(i).value());
    }
    if (!missing.empty()) return InstancesNotFound(missing);
    for (const auto& i : instances) {
      if (i.disable_api_termination && i.state != InstanceState::kTerminated &&
          i.state != InstanceState::kShuttingDown) {
        return Ec2Status(Ec2Error::kOperationNotPermitted,
                         "The instance '" + i.id +
                             "' may not be terminated. Modify its 'disableApiTermination' instance attribute and "
                             "try again.");
      }
    }
    Batch batch;
    const int64_t now = NowMs();
    for (auto& i : instances) {
      InstanceStateChange change{i.id, i.state, i.state};
      if (i.state != InstanceState::kTerminated && i.state != InstanceState::kShuttingDown) {
        // A pending instance's own launch or start job finishes the termination
        // (it owns the volumes being made); every other one gets a job here.
        if (i.state != InstanceState::kPending) to_finish.push_back(i.id);
        i.state = InstanceState::kShuttingDown;
        i.state_reason = UserShutdownReason();
        i.state_transition_reason = UserInitiated(now);
        change.current = InstanceState::kShuttingDown;
        batch.Put(i);
      }
      changes.push_back(change);
    }
    KURA_RETURN_IF_ERROR(store_->Apply(batch));
  }
  for (const auto& id : to_finish) Submit(id, [this, id] { FinishTermination(id); });
  return changes;
}

// ---- Describe ----------------------------------------------------------------

base::Result<Page<Reservation>> Ec2Service::DescribeInstances(const Caller& caller, const std::vector<std::string>& ids,
                                                              const std::vector<Filter>& filters,
                                                              const PageRequest& page) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeInstances", {}));
  std::lock_guard lock(mu_);
  for (const auto& id : ids) {
    if (!IsWellFormedId(id, "i-")) return Ec2Status(Ec2Error::kInstanceIdMalformed, "Invalid id: \"" + id + "\"");
  }
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    if (!FindInstance(caller, id).ok()) missing.push_back(id);
  }
  if (!missing.empty()) return InstancesNotFound(missing);

  const int64_t now = NowMs();
  std::map<std::string, Reservation> reservations;  // ordered by reservation id: stable pages
  const auto values_of = [](const InstanceRecord& i, const std::string& name) -> std::optional<std::vector<std::string>> {
          using V = std::vector<std::string>;
          if (name == "instance-id") return V{i.id};
          if (name == "instance-state-name") return V{Name(i.state)};
          if (name == "instance-state-code") return V{std::to_string(Code(i.state))};
          if (name == "instance-type") return V{i.instance_type};
          if (name == "image-id") return V{i.image_id};
          if (name == "availability-zone") return V{i.zone};
          if (name == "reservation-id") return V{i.reservation_id};
          if (name == "owner-id") return V{i.account};
          if (name == "ip-address") return i.public_ip.empty() ? V{} : V{i.public_ip};
          if (name == "private-ip-address") return V{i.private_ip};
          if (name == "key-name") return i.key_name.empty() ? V{} : V{i.key_name};
          if (name == "root-device-name") return V{i.root_device_name};
          if (name == "root-device-type") return V{"ebs"};
          if (name == "client-token") return V{i.client_token};
          if (name == "launch-index" || name == "ami-launch-index") return V{std::to_string(i.ami_launch_index)};
          if (name == "state-reason-code") return i.state_reason ? V{i.state_reason->code} : V{};
          if (name == "block-device-mapping.volume-id" || name == "block-device-mapping.device-name" ||
              name == "block-device-mapping.status" || name == "block-device-mapping.delete-on-termination") {
            V out;
            for (const auto& bd : i.block_devices) {
              if (name == "block-device-mapping.volume-id") out.push_back(bd.volume_id);
              if (name == "block-device-mapping.device-name") out.push_back(bd.device_name);
              if (name == "block-device-mapping.status") out.push_back(bd.status);
              if (name == "block-device-mapping.delete-on-termination") out.push_back(BoolText(bd.delete_on_termination));
            }
            return out;
          }
          return std::nullopt;
        };
  KURA_RETURN_IF_ERROR(CheckFilterNames<InstanceRecord>(filters, values_of));
  for (const auto& [id, i] : store_->All<InstanceRecord>()) {
    if (i.account != caller.principal.account_id || i.region != caller.region || Hidden(i, now)) continue;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    KURA_ASSIGN_OR_RETURN(
        bool keep,
        MatchesFilters(filters, i.tags, [&](const std::string& name) { return values_of(i, name); }));
    if (!keep) continue;
    Reservation& r = reservations[i.reservation_id];
    r.reservation_id = i.reservation_id;
    r.owner_id = i.account;
    r.instances.push_back(i);
  }
  std::vector<Reservation> all;
  for (auto& [id, r] : reservations) {
    std::sort(r.instances.begin(), r.instances.end(),
              [](const InstanceRecord& a, const InstanceRecord& b) { return a.ami_launch_index < b.ami_launch_index; });
    all.push_back(std::move(r));
  }
  KURA_ASSIGN_OR_RETURN(Paging p, PageOf(all.size(), page.max_results, page.next_token, 5, 1000));
  Page<Reservation> out;
  out.items.assign(std::make_move_iterator(all.begin() + static_cast<ptrdiff_t>(p.begin)),
                   std::make_move_iterator(all.begin() + static_cast<ptrdiff_t>(p.end)));
  out.next_token = p.next_token;
  return out;
}

base::Result<InstanceRecord> Ec2Service::DescribeInstanceAttribute(const Caller& caller, const std::string& instance_id,
                                                                   const std::string& attribute) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeInstanceAttribute", {}));
  static const std::set<std::string> kAttributes = {
      "instanceType", "kernel", "ramdisk", "userData", "disableApiTermination", "instanceInitiatedShutdownBehavior",
      "rootDeviceName", "blockDeviceMapping", "productCodes", "sourceDestCheck", "groupSet", "ebsOptimized",
      "sriovNetSupport", "enaSupport", "enclaveOptions", "disableApiStop"};
  if (!kAttributes.contains(attribute)) {
    return Ec2Status(Ec2Error::kInvalidParameterValue,
                     "Value (" + attribute + ") for parameter attribute is invalid. Unknown attribute.");
  }
  std::lock_guard lock(mu_);
  return FindInstance(caller, instance_id);
}

base::Status Ec2Service::ProcessDue() {
  std::lock_guard lock(mu_);
  const int64_t now = NowMs();
  Batch batch;
  for (const auto& [id, i] : store_->All<InstanceRecord>()) {
    if (Hidden(i, now)) batch.Erase<InstanceRecord>(KeyOf(i));
  }
  return batch.empty() ? base::Status::Ok() : store_->Apply(batch);
}

}  // namespace kura::ec2
