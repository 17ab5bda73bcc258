// The steps of --method snapshot (see encrypt_planner.h for their order and
// encrypt_runner.h for why each is safe to run again).
#include "tools/ec2_calls.h"
#include "tools/encrypt_runner.h"

namespace kura::tools {

namespace {

// Creates (once) what `call` makes, remembering its id in `id`: a recorded id
// is reused, else a resource already tagged with `token` (a create whose
// answer was lost), else the call is made.
AwsStatus CreateTaggedSnapshot(RunContext& ctx, const Ec2Call& call, const std::string& token, std::string& id) {
  if (id.empty()) {
    KURA_AWS_ASSIGN_OR_RETURN(id, FindTaggedSnapshot(ctx.aws(), token));
  }
  KURA_AWS_RETURN_IF_ERROR(CreateOnce(ctx, call, "snapshotId", id));
  KURA_AWS_RETURN_IF_ERROR(WaitSnapshotCompleted(ctx.aws(), id, ctx.progress()));
  return Done{};
}

Tags WithToken(Tags tags, const std::string& token) {
  tags[kTokenTag] = token;
  return tags;
}

}  // namespace

AwsStatus StopForRun(RunContext& ctx, JournalInstance& instance) {
  KURA_AWS_ASSIGN_OR_RETURN(InstanceInfo now, DescribeInstance(ctx.aws(), instance.instance_id));
  if (now.state == "stopped") return Done{};
  if (now.state == "running" || now.state == "pending") {
    instance.stopped_by_run = true;  // saved before the call: rollback must start it again
    KURA_AWS_RETURN_IF_ERROR(ctx.Save());
    KURA_AWS_RETURN_IF_ERROR(Perform(ctx.aws(), StopInstancesCall(instance.instance_id)));
  }
  KURA_AWS_RETURN_IF_ERROR(WaitInstance(ctx.aws(), instance.instance_id, "stopped", ctx.wait()));
  return Done{};
}

AwsStatus StartInstance(RunContext& ctx, const std::string& instance_id) {
  KURA_AWS_ASSIGN_OR_RETURN(InstanceInfo now, DescribeInstance(ctx.aws(), instance_id));
  if (now.state == "stopped") KURA_AWS_RETURN_IF_ERROR(Perform(ctx.aws(), StartInstancesCall(instance_id)));
  KURA_AWS_RETURN_IF_ERROR(WaitInstance(ctx.aws(), instance_id, "running", ctx.wait()));
  return Done{};
}

AwsStatus DetachIfAttached(RunContext& ctx, const std::string& volume_id, const std::string& instance_id) {
  KURA_AWS_ASSIGN_OR_RETURN(auto vols, DescribeVolumes(ctx.aws(), {{"VolumeId.1", volume_id}}));
  if (vols.empty()) return LocalError("volume " + volume_id + " does not exist any more");
  const auto& a = vols.front().attachments;
  if (!a.empty() && a.front().instance_id == instance_id && a.front().state != "detaching") {
    KURA_AWS_RETURN_IF_ERROR(Perform(ctx.aws(), DetachVolumeCall(volume_id, instance_id)));
  }
  if (!a.empty() && a.front().instance_id != instance_id) {
    return LocalError("volume " + volume_id + " is attached to " + a.front().instance_id + ", not " + instance_id);
  }
  KURA_AWS_RETURN_IF_ERROR(WaitVolume(ctx.aws(), volume_id, "available", ctx.wait()));
  return Done{};
}

AwsStatus AttachIfDetached(RunContext& ctx, const std::string& volume_id, const std::string& instance_id,
                           const std::string& device) {
  KURA_AWS_ASSIGN_OR_RETURN(auto vols, DescribeVolumes(ctx.aws(), {{"VolumeId.1", volume_id}}));
  if (vols.empty()) return LocalError("volume " + volume_id + " does not exist any more");
  if (vols.front().attachments.empty()) {
    KURA_AWS_RETURN_IF_ERROR(Perform(ctx.aws(), AttachVolumeCall(volume_id, instance_id, device)));
  } else if (vols.front().attachments.front().instance_id != instance_id) {
    return LocalError("volume " + volume_id + " is attached to " + vols.front().attachments.front().instance_id);
  }
  KURA_AWS_RETURN_IF_ERROR(WaitVolume(ctx.aws(), volume_id, "in-use", ctx.wait()));
  return Done{};
}

AwsStatus RunSnapshotStep(RunContext& ctx, JournalInstance& instance, Step& step) {
  Journal& journal = ctx.journal();
  JournalVolume* v = step.volume_id.empty() ? nullptr : FindVolume(instance, step.volume_id);
  if (!step.volume_id.empty() && !v) return LocalError("the journal has no volume " + step.volume_id);
  const std::string token = DerivedToken(journal, step.kind, step.volume_id.empty() ? instance.instance_id : step.volume_id);
  switch (step.kind) {
    case StepKind::kChecksumOld:
      // The last moment the old volume is readable: once detached it has no NBD export. What it
      // holds now is what the new volume must hold; anything written after its snapshot shows
      // up as a mismatch, which is the truth about the copy.
      v->verification.clear();
      ChecksumAttached(ctx.aws(), instance.instance_id, v->volume_id, v->old_sha256, v->verification);
      return Done{};
    case StepKind::kCreateSnapshot:
      return CreateTaggedSnapshot(
          ctx, CreateSnapshotCall(v->volume_id, "kura encrypt " + journal.run_id + " of " + v->volume_id,
                                  WithToken(v->tags, token)),
          token, v->source_snapshot_id);
    case StepKind::kCopySnapshot:
      return CreateTaggedSnapshot(
          ctx, CopySnapshotCall(v->source_snapshot_id, journal.region, journal.kms_key_id,
                                "kura encrypt " + journal.run_id + ": encrypted copy for " + v->volume_id,
                                WithToken(v->tags, token)),
          token, v->encrypted_snapshot_id);
    case StepKind::kCreateVolume: {
      // No KmsKeyId: the copy's key applies, and naming it again would cost a DescribeKey.
      NewVolumeSpec spec{v->zone, v->volume_type, v->size_gib, v->iops, v->throughput, v->encrypted_snapshot_id,
                         "", v->tags, token};
      KURA_AWS_RETURN_IF_ERROR(CreateOnce(ctx, CreateVolumeCall(spec), "volumeId", v->new_volume_id));
      KURA_AWS_RETURN_IF_ERROR(WaitVolume(ctx.aws(), v->new_volume_id, "available", ctx.wait()));
      return Done{};
    }
    case StepKind::kStopInstance:
      return StopForRun(ctx, instance);
    case StepKind::kDetachOld:
      return DetachIfAttached(ctx, v->volume_id, instance.instance_id);
    case StepKind::kAttachNew:
      return AttachIfDetached(ctx, v->new_volume_id, instance.instance_id, v->device);
    case StepKind::kDeleteOnTermination:
      KURA_AWS_RETURN_IF_ERROR(Perform(
          ctx.aws(), DeleteOnTerminationCall(instance.instance_id, v->device, v->new_volume_id, v->delete_on_termination)));
      return Done{};
    case StepKind::kStartInstance:
      return StartInstance(ctx, instance.instance_id);
    case StepKind::kVerify: {
      if (instance.original_state != "running") {
        // Stopped throughout: nothing wrote to the old volume after its snapshot, and nothing has
        // run on the new one since it was made from the encrypted copy, so comparing the two
        // snapshots compares the volumes.
        std::string why;
        ChecksumSnapshot(ctx.aws(), v->source_snapshot_id, v->old_sha256, why);
        if (why.empty()) ChecksumSnapshot(ctx.aws(), v->encrypted_snapshot_id, v->new_sha256, why);
        v->verification = !why.empty() ? why : v->new_sha256 == v->old_sha256 ? "match" : "mismatch";
        ctx.progress().Line(v->volume_id + " -> " + v->new_volume_id + ": " + v->verification);
        return Done{};
      }
      if (v->old_sha256.empty()) {
        if (v->verification.empty()) v->verification = "not verified: the old volume was never read";
        return Done{};
      }
      std::string why;
      ChecksumAttached(ctx.aws(), instance.instance_id, v->new_volume_id, v->new_sha256, why);
      v->verification = !why.empty() ? why : v->new_sha256 == v->old_sha256 ? "match" : "mismatch";
      ctx.progress().Line(v->volume_id + " -> " + v->new_volume_id + ": " + v->verification);
      return Done{};
    }
    default:
      return LocalError("step " + StepKindName(step.kind) + " is not a step of --method snapshot");
  }
}

}  // namespace kura::tools
