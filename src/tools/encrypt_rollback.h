// `kura encrypt rollback`: puts an instance back as the journal found it.
// Planning is pure (PlanRollback, from the journal and what DescribeInstances
// says now), so it is re-derived on every attempt and a rollback interrupted
// half way is finished by running it again.
//  --method snapshot: each swapped device gets its original volume back (the
//    new one detached, the old one attached at the same device with its
//    DeleteOnTermination); the instance is stopped first when its boot device
//    must change while it runs, and ends in the state it had when the run
//    began.
//  --method image: the Elastic IPs and load balancer registrations go back to
//    the old instance, the replacement is terminated, and the old instance is
//    started if the run stopped it (a terminated one cannot come back: that is
//    an error).
// The new volumes, copies and images stay until `cleanup`.
// Thread-safety: pure functions; ExecuteRollback as AwsClient.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tools/encrypt_runner.h"

namespace kura::tools {

enum class RollbackAction {
  kStopInstance, kDetach, kAttach, kDeleteOnTermination, kStartInstance,
  kAssociateAddress, kRegister, kDeregister, kTerminate,
};

struct RollbackStep {
  RollbackAction action;
  std::string instance_id;
  std::string volume_id;  // detach/attach/DeleteOnTermination; the allocation id; the load balancer
  std::string device;
};

struct ObservedInstance {
  std::string state;
  std::map<std::string, std::string> devices;  // device name -> volume id
};

// `observed`: instance id -> now, for every instance of the journal and its replacement
// (absent: does not exist any more).
base::Result<std::vector<RollbackStep>> PlanRollback(const Journal& journal,
                                                     const std::map<std::string, ObservedInstance>& observed);

std::string RollbackStepText(const RollbackStep& step);

AwsStatus ExecuteRollback(RunContext& ctx);

}  // namespace kura::tools
