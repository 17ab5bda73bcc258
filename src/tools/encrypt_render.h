// What `kura encrypt` prints: the plan (steps and their downtime per
// instance, KMS requests and their cost, the permission check, warnings) and
// the record of a run, as text for people or JSON for programs.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "tools/encrypt_cost.h"
#include "tools/encrypt_journal.h"
#include "tools/encrypt_permissions.h"

namespace kura::tools {

struct PlanView {
  const Journal* journal = nullptr;
  KeyInfo key;
  KmsRequestEstimate kms;
  PermissionReport permissions;
  std::vector<std::string> warnings;
};

std::string RenderPlanText(const PlanView& plan);
nlohmann::json RenderPlanJson(const PlanView& plan);
// The outcome of run/resume/rollback/cleanup, per volume.
std::string RenderRunText(const Journal& journal, const std::string& journal_path);
nlohmann::json RenderRunJson(const Journal& journal, const std::string& journal_path);

}  // namespace kura::tools
