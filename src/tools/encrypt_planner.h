// The step planner of `kura encrypt`: from what DescribeInstances and
// DescribeVolumes say of an instance and the options, the journal entry of
// that instance — its volumes with every setting to keep, and its steps in
// order, each marked with the downtime it causes. Pure: no calls, so the plan
// printed by `plan` is exactly the one `run` executes.
//  --method snapshot, per unencrypted volume: CreateSnapshot -> CopySnapshot
//    (encrypted) -> CreateVolume (same zone, type, size, IOPS, throughput,
//    tags); then, per instance: checksums of the old volumes (while they are
//    still attached to the running instance), StopInstance only when a boot
//    volume is swapped or --stop-instance asks (then it comes first, before
//    the snapshots, so they are consistent), detach old -> attach new at the
//    same device -> the old DeleteOnTermination, StartInstance when the run
//    stopped it, and the checksums of the new volumes.
//  --method image: CreateImage (rebooting unless --no-reboot) -> CopyImage
//    (encrypted) -> a replacement with the same type, zone, key, subnet,
//    groups and tags -> the old volumes' tags on its volumes -> Elastic IPs
//    and classic load balancer registrations moved -> checksums -> the old
//    instance stopped (--stop-instance) or terminated (--terminate-old) only
//    when asked.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "tools/ec2_instances_api.h"
#include "tools/encrypt_journal.h"

namespace kura::tools {

struct PlanOptions {
  EncryptMethod method = EncryptMethod::kSnapshot;
  bool stop_instance = false;
  bool no_reboot = false;
  bool terminate_old = false;
};

// Whether `instance` has an unencrypted volume among `volumes` (else there is nothing to do).
bool NeedsEncryption(const InstanceInfo& instance, const std::vector<VolumeInfo>& volumes);

// `volumes`: the instance's attached volumes (any order; others are ignored).
// InvalidArgument when the instance is neither running nor stopped, or
// (snapshot method) has nothing unencrypted to encrypt.
base::Result<JournalInstance> PlanInstance(const InstanceInfo& instance, const std::vector<VolumeInfo>& volumes,
                                           const PlanOptions& options);

// Whether any step of `instance` stops it (the downtime the user must accept).
bool StopsInstance(const JournalInstance& instance);

}  // namespace kura::tools
