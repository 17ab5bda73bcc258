#include "tools/encrypt_planner.h"

#include <algorithm>

namespace kura::tools {

namespace {

// What the journal keeps of a volume: every setting its encrypted copy must have.
JournalVolume FromVolume(const VolumeInfo& v, const InstanceDevice& d, const std::string& root_device) {
  return JournalVolume{.volume_id = v.volume_id, .device = d.device_name,
                       .delete_on_termination = d.delete_on_termination, .boot = d.device_name == root_device,
                       .encrypted = v.encrypted, .zone = v.availability_zone, .volume_type = v.volume_type,
                       .size_gib = v.size_gib, .iops = v.iops, .throughput = v.throughput, .tags = v.tags,
                       .origin_snapshot_id = v.snapshot_id, .source_snapshot_id = {}, .encrypted_snapshot_id = {},
                       .new_volume_id = {}, .old_sha256 = {}, .new_sha256 = {}, .verification = {}};
}

void Add(JournalInstance& plan, StepKind kind, const std::string& volume_id, Downtime downtime) {
  plan.steps.push_back(Step{kind, volume_id, StepStatus::kPending, downtime});
}

// Per volume, in the order of the instance's devices.
template <typename F>
void ForEach(const std::vector<JournalVolume>& volumes, bool only_unencrypted, F&& f) {
  for (const auto& v : volumes) {
    if (!only_unencrypted || !v.encrypted) f(v);
  }
}

void PlanSnapshotMethod(JournalInstance& plan, const PlanOptions& options) {
  const bool running = plan.original_state == "running";
  const bool boot = std::any_of(plan.volumes.begin(), plan.volumes.end(),
                                [](const JournalVolume& v) { return v.boot && !v.encrypted; });
  const bool user_stop = running && options.stop_instance;
  const bool stop = running && (options.stop_instance || boot);
  // While stopped, everything is downtime; otherwise a detached data volume is offline until the new one is attached.
  const Downtime swap = stop ? Downtime::kInstanceStopped : Downtime::kVolumeOffline;
  auto checksums = [&] {
    ForEach(plan.volumes, true, [&](const JournalVolume& v) { Add(plan, StepKind::kChecksumOld, v.volume_id, Downtime::kNone); });
  };
  if (user_stop) {
    checksums();
    Add(plan, StepKind::kStopInstance, "", Downtime::kInstanceStopped);
  }
  const Downtime copying = user_stop ? Downtime::kInstanceStopped : Downtime::kNone;
  ForEach(plan.volumes, true, [&](const JournalVolume& v) {
    Add(plan, StepKind::kCreateSnapshot, v.volume_id, copying);
    Add(plan, StepKind::kCopySnapshot, v.volume_id, copying);
    Add(plan, StepKind::kCreateVolume, v.volume_id, copying);
  });
  if (running && !user_stop) checksums();
  if (stop && !user_stop) Add(plan, StepKind::kStopInstance, "", Downtime::kInstanceStopped);
  ForEach(plan.volumes, true, [&](const JournalVolume& v) {
    Add(plan, StepKind::kDetachOld, v.volume_id, swap);
    Add(plan, StepKind::kAttachNew, v.volume_id, swap);
    if (v.delete_on_termination) Add(plan, StepKind::kDeleteOnTermination, v.volume_id, swap);
  });
  if (stop) Add(plan, StepKind::kStartInstance, "", Downtime::kInstanceStopped);
  // Running: the new volumes against the old ones' checksums; stopped: the encrypted copies
  // against the snapshots (encrypt_snapshot_steps.cc says why either is sound).
  ForEach(plan.volumes, true, [&](const JournalVolume& v) { Add(plan, StepKind::kVerify, v.volume_id, Downtime::kNone); });
}

void PlanImageMethod(JournalInstance& plan, const PlanOptions& options) {
  const bool running = plan.original_state == "running";
  Add(plan, StepKind::kCreateImage, "", running && !options.no_reboot ? Downtime::kInstanceReboot : Downtime::kNone);
  Add(plan, StepKind::kCopyImage, "", Downtime::kNone);
  Add(plan, StepKind::kLaunchReplacement, "", Downtime::kNone);
  Add(plan, StepKind::kTagReplacementVolumes, "", Downtime::kNone);
  Add(plan, StepKind::kMoveAddresses, "", Downtime::kTrafficMoves);
  Add(plan, StepKind::kMoveLoadBalancers, "", Downtime::kTrafficMoves);
  if (running) {
    ForEach(plan.volumes, false, [&](const JournalVolume& v) { Add(plan, StepKind::kVerify, v.volume_id, Downtime::kNone); });
  }
  // The old instance serves no traffic any more: stopping it costs nothing the users see.
  if (options.terminate_old) {
    Add(plan, StepKind::kTerminateOld, "", Downtime::kNone);
  } else if (options.stop_instance && running) {
    Add(plan, StepKind::kStopOld, "", Downtime::kNone);
  }
}

}  // namespace

bool NeedsEncryption(const InstanceInfo& instance, const std::vector<VolumeInfo>& volumes) {
  return std::any_of(instance.devices.begin(), instance.devices.end(), [&](const InstanceDevice& d) {
    return std::any_of(volumes.begin(), volumes.end(),
                       [&](const VolumeInfo& v) { return v.volume_id == d.volume_id && !v.encrypted; });
  });
}

base::Result<JournalInstance> PlanInstance(const InstanceInfo& instance, const std::vector<VolumeInfo>& volumes,
                                           const PlanOptions& options) {
  if (instance.state != "running" && instance.state != "stopped") {
    return base::InvalidArgumentError(instance.instance_id + " is " + instance.state +
                                      ": only running or stopped instances can be encrypted");
  }
  JournalInstance plan{.instance_id = instance.instance_id, .original_state = instance.state,
                       .image_id = instance.image_id, .root_device_name = instance.root_device_name,
                       .launch = instance.launch, .volumes = {}, .steps = {}, .stopped_by_run = false,
                       .plain_image_id = {}, .encrypted_image_id = {}, .replacement_instance_id = {},
                       .addresses = {}, .load_balancers = {}};
  for (const auto& d : instance.devices) {
    auto it = std::find_if(volumes.begin(), volumes.end(),
                           [&](const VolumeInfo& v) { return v.volume_id == d.volume_id; });
    if (it == volumes.end()) {
      return base::InvalidArgumentError("volume " + d.volume_id + " of " + instance.instance_id + " was not described");
    }
    plan.volumes.push_back(FromVolume(*it, d, instance.root_device_name));
  }
  const bool any_unencrypted =
      std::any_of(plan.volumes.begin(), plan.volumes.end(), [](const JournalVolume& v) { return !v.encrypted; });
  if (!any_unencrypted) {
    return base::InvalidArgumentError(instance.instance_id + " has no unencrypted volume: nothing to do");
  }
  if (options.method == EncryptMethod::kSnapshot) {
    PlanSnapshotMethod(plan, options);
  } else {
    PlanImageMethod(plan, options);
  }
  return plan;
}

bool StopsInstance(const JournalInstance& instance) {
  return std::any_of(instance.steps.begin(), instance.steps.end(), [](const Step& s) {
    return s.downtime == Downtime::kInstanceStopped || s.downtime == Downtime::kInstanceReboot;
  });
}

}  // namespace kura::tools
