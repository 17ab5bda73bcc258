// The steps of --method image (see encrypt_planner.h for their order and
// encrypt_runner.h for why each is safe to run again).
#include "tools/ec2_calls.h"
#include "tools/encrypt_runner.h"
#include "tools/traffic_api.h"

namespace kura::tools {

namespace {

std::string ImageName(const Journal& journal, const JournalInstance& instance) {
  return "kura-encrypt-" + instance.instance_id + "-" + journal.run_id.substr(0, 8);
}

AwsStatus CreatePlainImage(RunContext& ctx, JournalInstance& instance, const std::string& token) {
  std::string& id = instance.plain_image_id;
  if (id.empty()) {
    KURA_AWS_ASSIGN_OR_RETURN(id, FindTaggedImage(ctx.aws(), token));
  }
  const Ec2Call call = CreateImageCall(instance.instance_id, ImageName(ctx.journal(), instance),
                                       ctx.journal().no_reboot, {{kTokenTag, token}});
  KURA_AWS_RETURN_IF_ERROR(CreateOnce(ctx, call, "imageId", id));
  KURA_AWS_RETURN_IF_ERROR(WaitImageAvailable(ctx.aws(), id, ctx.progress()));
  return Done{};
}

AwsStatus CopyEncrypted(RunContext& ctx, JournalInstance& instance, const std::string& token) {
  std::string& id = instance.encrypted_image_id;
  const Ec2Call call = CopyImageCall(instance.plain_image_id, ctx.journal().region,
                                     ImageName(ctx.journal(), instance) + "-encrypted", ctx.journal().kms_key_id, token);
  KURA_AWS_RETURN_IF_ERROR(CreateOnce(ctx, call, "imageId", id));
  KURA_AWS_RETURN_IF_ERROR(WaitImageAvailable(ctx.aws(), id, ctx.progress()));
  return Done{};
}

AwsStatus Launch(RunContext& ctx, JournalInstance& instance, const std::string& token) {
  std::string& id = instance.replacement_instance_id;
  const ReplacementSpec spec{instance.encrypted_image_id, instance.launch, token};
  KURA_AWS_RETURN_IF_ERROR(CreateOnce(ctx, RunInstancesCall(spec), "instancesSet/item/instanceId", id));
  KURA_AWS_ASSIGN_OR_RETURN(InstanceInfo running, WaitInstance(ctx.aws(), id, "running", ctx.wait()));
  for (const auto& d : running.devices) {
    for (auto& v : instance.volumes) {
      if (v.device == d.device_name) v.new_volume_id = d.volume_id;
    }
  }
  for (const auto& d : running.devices) {  // the replacement's volumes must be attached before NBD sees them
    KURA_AWS_RETURN_IF_ERROR(WaitVolume(ctx.aws(), d.volume_id, "in-use", ctx.wait()));
  }
  return ctx.Save();
}

AwsStatus TagVolumes(RunContext& ctx, const JournalInstance& instance) {
  for (const auto& v : instance.volumes) {
    if (v.new_volume_id.empty()) return LocalError("the replacement has no volume at " + v.device);
    if (!v.tags.empty()) KURA_AWS_RETURN_IF_ERROR(Perform(ctx.aws(), CreateTagsCall(v.new_volume_id, v.tags)));
  }
  return Done{};
}

AwsStatus MoveAddresses(RunContext& ctx, const JournalInstance& instance) {
  for (const auto& a : instance.addresses) {
    KURA_AWS_RETURN_IF_ERROR(
        Perform(ctx.aws(), AssociateAddressCall(a.allocation_id, instance.replacement_instance_id)));
  }
  return Done{};
}

AwsStatus MoveLoadBalancers(RunContext& ctx, const JournalInstance& instance) {
  for (const auto& lb : instance.load_balancers) {
    // Register first: the load balancer never has neither.
    KURA_AWS_RETURN_IF_ERROR(RegisterWithLoadBalancer(ctx.aws(), lb, instance.replacement_instance_id));
    KURA_AWS_RETURN_IF_ERROR(DeregisterFromLoadBalancer(ctx.aws(), lb, instance.instance_id));
  }
  return Done{};
}

}  // namespace

AwsStatus RunImageStep(RunContext& ctx, JournalInstance& instance, Step& step) {
  const std::string token = DerivedToken(ctx.journal(), step.kind, instance.instance_id);
  switch (step.kind) {
    case StepKind::kCreateImage: return CreatePlainImage(ctx, instance, token);
    case StepKind::kCopyImage: return CopyEncrypted(ctx, instance, token);
    case StepKind::kLaunchReplacement: return Launch(ctx, instance, token);
    case StepKind::kTagReplacementVolumes: return TagVolumes(ctx, instance);
    case StepKind::kMoveAddresses: return MoveAddresses(ctx, instance);
    case StepKind::kMoveLoadBalancers: return MoveLoadBalancers(ctx, instance);
    case StepKind::kVerify: {
      // Both instances run: the old volume is read now, beside its copy.
      JournalVolume* v = FindVolume(instance, step.volume_id);
      if (!v) return LocalError("the journal has no volume " + step.volume_id);
      std::string why_old, why_new;
      ChecksumAttached(ctx.aws(), instance.instance_id, v->volume_id, v->old_sha256, why_old);
      if (why_old.empty()) ChecksumAttached(ctx.aws(), instance.replacement_instance_id, v->new_volume_id, v->new_sha256, why_new);
      v->verification = !why_old.empty() ? why_old : !why_new.empty() ? why_new
                        : v->new_sha256 == v->old_sha256 ? "match" : "mismatch";
      ctx.progress().Line(v->volume_id + " -> " + v->new_volume_id + ": " + v->verification);
      return Done{};
    }
    case StepKind::kStopOld: return StopForRun(ctx, instance);
    case StepKind::kTerminateOld: {
      KURA_AWS_RETURN_IF_ERROR(Perform(ctx.aws(), TerminateInstancesCall(instance.instance_id)));
      KURA_AWS_RETURN_IF_ERROR(WaitInstance(ctx.aws(), instance.instance_id, "terminated", ctx.wait()));
      return Done{};
    }
    default:
      return LocalError("step " + StepKindName(step.kind) + " is not a step of --method image");
  }
}

}  // namespace kura::tools
