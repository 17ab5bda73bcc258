#include "tools/encrypt_rollback.h"

#include "tools/ec2_calls.h"
#include "tools/traffic_api.h"

namespace kura::tools {

namespace {

void PlanSnapshotInstance(const JournalInstance& i, const ObservedInstance& now, std::vector<RollbackStep>& out) {
  std::vector<RollbackStep> swaps;
  bool boot_swap = false;
  for (const auto& v : i.volumes) {
    if (v.encrypted) continue;  // never touched
    auto at = now.devices.find(v.device);
    const std::string current = at == now.devices.end() ? "" : at->second;
    if (current == v.volume_id) continue;
    if (!current.empty()) swaps.push_back({RollbackAction::kDetach, i.instance_id, current, v.device});
    swaps.push_back({RollbackAction::kAttach, i.instance_id, v.volume_id, v.device});
    if (v.delete_on_termination) swaps.push_back({RollbackAction::kDeleteOnTermination, i.instance_id, v.volume_id, v.device});
    boot_swap = boot_swap || v.boot;
  }
  const bool running = now.state == "running" || now.state == "pending";
  const bool stop = boot_swap && running;
  if (stop) out.push_back({RollbackAction::kStopInstance, i.instance_id, "", ""});
  out.insert(out.end(), swaps.begin(), swaps.end());
  if (i.original_state == "running" && (stop || !running)) out.push_back({RollbackAction::kStartInstance, i.instance_id, "", ""});
}

base::Status PlanImageInstance(const JournalInstance& i, const std::map<std::string, ObservedInstance>& observed,
                               std::vector<RollbackStep>& out) {
  auto old = observed.find(i.instance_id);
  if (old == observed.end() || old->second.state == "terminated" || old->second.state == "shutting-down") {
    return base::FailedPreconditionError(i.instance_id + " was terminated: it cannot be rolled back to");
  }
  auto replacement = observed.find(i.replacement_instance_id);
  const bool replacement_alive = !i.replacement_instance_id.empty() && replacement != observed.end() &&
                                 replacement->second.state != "terminated";
  // Traffic first, while the replacement still serves it.
  for (const auto& a : i.addresses) out.push_back({RollbackAction::kAssociateAddress, i.instance_id, a.allocation_id, ""});
  for (const auto& lb : i.load_balancers) {
    out.push_back({RollbackAction::kRegister, i.instance_id, lb, ""});
    if (replacement_alive) out.push_back({RollbackAction::kDeregister, i.replacement_instance_id, lb, ""});
  }
  if (i.original_state == "running" && old->second.state != "running") {
    out.push_back({RollbackAction::kStartInstance, i.instance_id, "", ""});
  }
  if (replacement_alive) out.push_back({RollbackAction::kTerminate, i.replacement_instance_id, "", ""});
  return base::Status::Ok();
}

}  // namespace

base::Result<std::vector<RollbackStep>> PlanRollback(const Journal& journal,
                                                     const std::map<std::string, ObservedInstance>& observed) {
  std::vector<RollbackStep> out;
  for (const auto& i : journal.instances) {
    if (journal.method == EncryptMethod::kImage) {
      KURA_RETURN_IF_ERROR(PlanImageInstance(i, observed, out));
      continue;
    }
    auto now = observed.find(i.instance_id);
    if (now == observed.end() || now->second.state == "terminated") {
      return base::FailedPreconditionError(i.instance_id + " does not exist any more");
    }
    PlanSnapshotInstance(i, now->second, out);
  }
  return out;
}

std::string RollbackStepText(const RollbackStep& s) {
  switch (s.action) {
    case RollbackAction::kStopInstance: return "stop " + s.instance_id;
    case RollbackAction::kDetach: return "detach " + s.volume_id + " from " + s.instance_id + " " + s.device;
    case RollbackAction::kAttach: return "attach " + s.volume_id + " to " + s.instance_id + " at " + s.device;
    case RollbackAction::kDeleteOnTermination: return "DeleteOnTermination of " + s.volume_id + " back to true";
    case RollbackAction::kStartInstance: return "start " + s.instance_id;
    case RollbackAction::kAssociateAddress: return "Elastic IP " + s.volume_id + " back to " + s.instance_id;
    case RollbackAction::kRegister: return "register " + s.instance_id + " with " + s.volume_id;
    case RollbackAction::kDeregister: return "deregister " + s.instance_id + " from " + s.volume_id;
    case RollbackAction::kTerminate: return "terminate the replacement " + s.instance_id;
  }
  return "";
}

namespace {

AwsResult<std::map<std::string, ObservedInstance>> Observe(const AwsClient& aws, const Journal& journal) {
  std::map<std::string, ObservedInstance> out;
  QueryParams ids;
  int n = 0;
  for (const auto& i : journal.instances) {
    ids.emplace_back("InstanceId." + std::to_string(++n), i.instance_id);
    if (!i.replacement_instance_id.empty()) ids.emplace_back("InstanceId." + std::to_string(++n), i.replacement_instance_id);
  }
  KURA_AWS_ASSIGN_OR_RETURN(auto all, DescribeInstances(aws, ids));
  for (const auto& i : all) {
    ObservedInstance o{i.state, {}};
    for (const auto& d : i.devices) o.devices[d.device_name] = d.volume_id;
    out[i.instance_id] = std::move(o);
  }
  return out;
}

AwsStatus Execute(RunContext& ctx, const RollbackStep& s) {
  const AwsClient& aws = ctx.aws();
  switch (s.action) {
    case RollbackAction::kStopInstance: {
      KURA_AWS_RETURN_IF_ERROR(Perform(aws, StopInstancesCall(s.instance_id)));
      KURA_AWS_RETURN_IF_ERROR(WaitInstance(aws, s.instance_id, "stopped", ctx.wait()));
      return Done{};
    }
    case RollbackAction::kDetach: return DetachIfAttached(ctx, s.volume_id, s.instance_id);
    case RollbackAction::kAttach: return AttachIfDetached(ctx, s.volume_id, s.instance_id, s.device);
    case RollbackAction::kDeleteOnTermination:
      KURA_AWS_RETURN_IF_ERROR(Perform(aws, DeleteOnTerminationCall(s.instance_id, s.device, s.volume_id, true)));
      return Done{};
    case RollbackAction::kStartInstance: return StartInstance(ctx, s.instance_id);
    case RollbackAction::kAssociateAddress:
      KURA_AWS_RETURN_IF_ERROR(Perform(aws, AssociateAddressCall(s.volume_id, s.instance_id)));
      return Done{};
    case RollbackAction::kRegister: return RegisterWithLoadBalancer(aws, s.volume_id, s.instance_id);
    case RollbackAction::kDeregister: return DeregisterFromLoadBalancer(aws, s.volume_id, s.instance_id);
    case RollbackAction::kTerminate:
      KURA_AWS_RETURN_IF_ERROR(Perform(aws, TerminateInstancesCall(s.instance_id)));
      return Done{};
  }
  return Done{};
}

}  // namespace

AwsStatus ExecuteRollback(RunContext& ctx) {
  KURA_AWS_ASSIGN_OR_RETURN(auto observed, Observe(ctx.aws(), ctx.journal()));
  auto plan = PlanRollback(ctx.journal(), observed);
  if (!plan.ok()) return AwsError::FromStatus(plan.status());
  for (const auto& step : *plan) {
    ctx.progress().Line("rollback: " + RollbackStepText(step));
    AwsStatus done = Execute(ctx, step);
    if (!done.ok()) {
      ctx.journal().error = "rollback: " + RollbackStepText(step) + ": " + done.error().ToString();
      (void)ctx.Save();  // the failure is what the user needs
      return done.error();
    }
  }
  ctx.journal().state = kRunRolledBack;
  ctx.journal().error.clear();
  return ctx.Save();
}

}  // namespace kura::tools
