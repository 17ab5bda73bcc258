// Disk images in and out: a volume opened on a staging host of its own
// (never an instance), so that the NBD server exports it and a client such
// as qemu-img fills it from an image file or reads it out to one. The data
// key is unwrapped exactly as for an instance (a grant for the staging host,
// Decrypt through it) and wiped when the staging ends.
#include "ec2/ec2_service.h"
#include "ec2/hosts.h"

namespace kura::ec2 {

namespace {
constexpr char kStagingPrefix[] = "import-";
}  // namespace

std::string Ec2Service::StagingHostOf(const std::string& volume_id) { return kStagingPrefix + volume_id; }

base::Result<StagedVolume> Ec2Service::Stage(const Caller& caller, const std::string& volume_id) {
  KURA_ASSIGN_OR_RETURN(VolumeRecord volume, AwaitVolumeCreated(volume_id));
  if (volume.account != caller.principal.account_id) {
    return Ec2Status(Ec2Error::kVolumeNotFound, "The volume '" + volume_id + "' does not exist.");
  }
  if (volume.state != VolumeState::kAvailable) {
    return Ec2Status(Ec2Error::kIncorrectState, "The volume '" + volume_id + "' is not 'available'.");
  }
  const std::string host = StagingHostOf(volume_id);
  base::Status attached = AttachToHost(host, volume, caller);
  if (!attached.ok()) return attached;
  return StagedVolume{volume_id, host, static_cast<uint64_t>(volume.size_gib) << 30};
}

base::Result<StagedVolume> Ec2Service::StageImport(const Caller& caller, const CreateVolumeRequest& request) {
  KURA_ASSIGN_OR_RETURN(VolumeRecord created, CreateVolume(caller, request));
  KURA_RETURN_IF_ERROR(WaitDurable());
  auto staged = Stage(caller, created.id);
  if (!staged.ok()) (void)DeleteVolume(caller, created.id);
  return staged;
}

base::Result<StagedVolume> Ec2Service::StageExport(const Caller& caller, const std::string& snapshot_id) {
  int64_t size_gib = 0;
  {
    std::lock_guard lock(mu_);
    const auto* snapshot = store_->Find<SnapshotRecord>(snapshot_id);
    // Only the owner exports a snapshot's bytes; shared ones are for launching and copying.
    if (!snapshot || snapshot->account != caller.principal.account_id || snapshot->region != caller.region) {
      return Ec2Status(Ec2Error::kSnapshotNotFound, "The snapshot '" + snapshot_id + "' does not exist.");
    }
    if (snapshot->state != SnapshotState::kCompleted) {
      return Ec2Status(Ec2Error::kIncorrectState, "The snapshot '" + snapshot_id + "' is not completed.");
    }
    size_gib = snapshot->volume_size_gib;
  }
  CreateVolumeRequest request;
  request.zone = caller.region + "a";
  request.snapshot_id = snapshot_id;
  request.size_gib = size_gib;
  request.volume_type = "gp3";
  return StageImport(caller, request);
}

base::Result<SnapshotRecord> Ec2Service::FinishImport(const Caller& caller, const std::string& volume_id,
                                                      const std::string& description) {
  KURA_RETURN_IF_ERROR(Unstage(caller, volume_id));
  KURA_ASSIGN_OR_RETURN(SnapshotRecord snapshot, CreateSnapshot(caller, volume_id, description, {}));
  KURA_RETURN_IF_ERROR(WaitDurable());
  KURA_ASSIGN_OR_RETURN(snapshot, AwaitSettled<SnapshotRecord>(snapshot.id, [](const SnapshotRecord& s) {
                          return s.state == SnapshotState::kCompleted;
                        }));
  // The snapshot holds the image now; the staging volume goes.
  KURA_RETURN_IF_ERROR(DeleteVolume(caller, volume_id));
  KURA_RETURN_IF_ERROR(WaitDurable());
  return snapshot;
}

base::Status Ec2Service::Unstage(const Caller& caller, const std::string& volume_id) {
  {
    std::lock_guard lock(mu_);
    const auto* volume = store_->Find<VolumeRecord>(volume_id);
    if (!volume || volume->account != caller.principal.account_id) {
      return Ec2Status(Ec2Error::kVolumeNotFound, "The volume '" + volume_id + "' does not exist.");
    }
  }
  if (!hosts_->Has(StagingHostOf(volume_id), volume_id)) {
    return Ec2Status(Ec2Error::kIncorrectState, "The volume '" + volume_id + "' is not staged.");
  }
  DetachFromHost(StagingHostOf(volume_id), volume_id);  // flushes, wipes the key, retires the grant
  return base::Status::Ok();
}

base::Status Ec2Service::DiscardStaged(const Caller& caller, const std::string& volume_id) {
  // Not staged any more (the server restarted since): the volume still goes.
  base::Status unstaged = Unstage(caller, volume_id);
  if (!unstaged.ok() && ErrorOf(unstaged) != Ec2Error::kIncorrectState) return unstaged;
  KURA_RETURN_IF_ERROR(DeleteVolume(caller, volume_id));
  return WaitDurable();
}

}  // namespace kura::ec2
