#include "tools/encrypt_cleanup.h"

#include "tools/ec2_calls.h"

namespace kura::tools {

namespace {

bool Gone(const AwsError& e) {
  return e.code.find(".NotFound") != std::string::npos || e.Is("InvalidAMIID.Unavailable");
}

AwsStatus Delete(RunContext& ctx, const Ec2Call& call, const std::string& id) {
  if (id.empty()) return Done{};
  ctx.progress().Line("cleanup: " + call.action + " " + id);
  auto done = Perform(ctx.aws(), call);
  if (!done.ok() && !Gone(done.error())) return done.error();
  return Done{};
}

AwsStatus DeleteVolume(RunContext& ctx, const std::string& volume_id) {
  if (volume_id.empty()) return Done{};
  KURA_AWS_ASSIGN_OR_RETURN(auto vols, DescribeVolumes(ctx.aws(), {{"Filter.1.Name", "volume-id"},
                                                                   {"Filter.1.Value.1", volume_id}}));
  if (vols.empty()) return Done{};
  if (!vols.front().attachments.empty()) {
    return LocalError(volume_id + " is attached to " + vols.front().attachments.front().instance_id +
                      ": not deleted (roll back or detach it first)");
  }
  return Delete(ctx, DeleteVolumeCall(volume_id), volume_id);
}

// An image and the snapshots behind it.
AwsStatus DeleteImage(RunContext& ctx, const std::string& image_id) {
  if (image_id.empty()) return Done{};
  KURA_AWS_ASSIGN_OR_RETURN(auto images, DescribeImages(ctx.aws(), {{"ImageId.1", image_id}}));
  KURA_AWS_RETURN_IF_ERROR(Delete(ctx, DeregisterImageCall(image_id), image_id));
  for (const auto& image : images) {
    for (const auto& m : image.mappings) KURA_AWS_RETURN_IF_ERROR(Delete(ctx, DeleteSnapshotCall(m.snapshot_id), m.snapshot_id));
  }
  return Done{};
}

}  // namespace

AwsStatus ExecuteCleanup(RunContext& ctx) {
  Journal& journal = ctx.journal();
  const bool completed = journal.state == kRunCompleted;
  if (!completed && journal.state != kRunRolledBack) {
    return LocalError("the run is " + journal.state + ": finish it (resume) or roll it back before cleanup");
  }
  for (const auto& i : journal.instances) {
    if (journal.method == EncryptMethod::kImage) {
      KURA_AWS_RETURN_IF_ERROR(DeleteImage(ctx, i.plain_image_id));
      if (!completed) KURA_AWS_RETURN_IF_ERROR(DeleteImage(ctx, i.encrypted_image_id));
      continue;
    }
    for (const auto& v : i.volumes) {
      if (v.encrypted) continue;
      KURA_AWS_RETURN_IF_ERROR(DeleteVolume(ctx, completed ? v.volume_id : v.new_volume_id));
      KURA_AWS_RETURN_IF_ERROR(Delete(ctx, DeleteSnapshotCall(v.encrypted_snapshot_id), v.encrypted_snapshot_id));
      KURA_AWS_RETURN_IF_ERROR(Delete(ctx, DeleteSnapshotCall(v.source_snapshot_id), v.source_snapshot_id));
    }
  }
  journal.state = kRunCleanedUp;
  return ctx.Save();
}

}  // namespace kura::tools
