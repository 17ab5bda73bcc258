#include "tools/encrypt_render.h"

#include "tools/encrypt_planner.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

namespace kura::tools {

namespace {

using nlohmann::json;

std::string Money(double usd) {
  char text[32];
  std::snprintf(text, sizeof text, "$%.6f", usd);
  return text;
}

std::string CountsText(const std::map<std::string, int>& counts) {
  std::string out;
  for (const auto& [op, n] : counts) out += (out.empty() ? "" : ", ") + op + " " + std::to_string(n);
  return out;
}

std::string VolumeText(const JournalVolume& v) {
  std::string out = v.device + " " + v.volume_id + " " + v.volume_type + " " + std::to_string(v.size_gib) + " GiB";
  if (v.iops) out += " iops " + std::to_string(*v.iops);
  if (v.throughput) out += " throughput " + std::to_string(*v.throughput);
  out += v.boot ? " boot" : " data";
  out += v.delete_on_termination ? " DeleteOnTermination" : "";
  for (const auto& [k, val] : v.tags) out += " tag " + k + "=" + val;
  out += v.encrypted ? " (encrypted: kept)" : " (unencrypted)";
  return out;
}

}  // namespace

std::string RenderPlanText(const PlanView& plan) {
  const Journal& j = *plan.journal;
  std::ostringstream out;
  out << "kura encrypt plan: method " << MethodName(j.method) << ", region " << j.region << ", key " << plan.key.arn
      << " (" << (plan.key.manager == "AWS" ? "AWS managed" : "customer managed") << ", " << plan.key.state << ")\n";
  for (const auto& i : j.instances) {
    out << "\ninstance " << i.instance_id << " (" << i.original_state << ", " << i.launch.instance_type << ", " << i.launch.zone
        << ")\n  volumes:\n";
    for (const auto& v : i.volumes) out << "    " << VolumeText(v) << "\n";
    for (const auto& a : i.addresses) out << "  Elastic IP " << a.public_ip << " (" << a.allocation_id << ")\n";
    for (const auto& lb : i.load_balancers) out << "  load balancer " << lb << "\n";
    out << "  steps:\n";
    int n = 0;
    for (const auto& s : i.steps) {
      std::string what = StepKindName(s.kind) + (s.volume_id.empty() ? "" : " " + s.volume_id);
      what.resize(std::max<size_t>(what.size(), 44), ' ');
      ++n;
      out << "    " << (n < 10 ? " " : "") << n << ". " << what << " downtime: " << DowntimeText(s.downtime) << "\n";
    }
    out << "  downtime: "
        << (j.method == EncryptMethod::kImage
                ? "the old instance keeps serving until its Elastic IPs and load balancers move"
                : StopsInstance(i) ? "the instance is stopped during the steps marked instance-stopped"
                                   : "no stop; each data volume is offline between its detach and attach")
        << "\n";
  }
  out << "\nKMS requests (as EBS makes them in kura, after AWS's documented flows):\n";
  for (const auto& [volume, counts] : plan.kms.per_volume) out << "  " << volume << ": " << CountsText(counts) << "\n";
  out << "  the permission check: " << CountsText(plan.kms.permission_check) << "\n";
  out << "  total " << plan.kms.Total() << " requests = " << Money(plan.kms.CostUsd())
      << " at AWS's list price ($0.03 per 10,000 requests)\n";
  out << "\npermissions:\n";
  for (const auto& r : plan.permissions.results) {
    std::string verdict = VerdictName(r.verdict);
    verdict.resize(15, ' ');
    out << "  " << verdict << r.action << (r.detail.empty() ? "" : "  (" + r.detail + ")") << "\n";
  }
  if (!plan.warnings.empty()) {
    out << "\nwarnings:\n";
    for (const auto& w : plan.warnings) out << "  - " << w << "\n";
  }
  const auto missing = plan.permissions.Missing();
  if (!missing.empty()) {
    out << "\nmissing permissions:";
    for (const auto& m : missing) out << " " << m;
    out << "\nnothing was changed.\n";
  }
  return out.str();
}

json RenderPlanJson(const PlanView& plan) {
  json permissions = json::array();
  for (const auto& r : plan.permissions.results) {
    permissions.push_back({{"Action", r.action}, {"Verdict", VerdictName(r.verdict)}, {"Detail", r.detail}});
  }
  return {{"Plan", JournalToJson(*plan.journal)},
          {"Key", {{"Arn", plan.key.arn}, {"KeyManager", plan.key.manager}, {"KeyState", plan.key.state}}},
          {"KmsRequests",
           {{"PerVolume", plan.kms.per_volume},
            {"PermissionCheck", plan.kms.permission_check},
            {"Total", plan.kms.Total()},
            {"EstimatedCostUsd", plan.kms.CostUsd()},
            {"Price", "AWS list price, $0.03 per 10,000 KMS requests"}}},
          {"Permissions", permissions},
          {"MissingPermissions", plan.permissions.Missing()},
          {"Warnings", plan.warnings}};
}

std::string RenderRunText(const Journal& journal, const std::string& journal_path) {
  std::ostringstream out;
  out << "run " << journal.run_id << " (" << MethodName(journal.method) << "): " << journal.state << "\n";
  if (!journal.error.empty()) out << "error: " << journal.error << "\n";
  for (const auto& i : journal.instances) {
    out << "instance " << i.instance_id
        << (i.replacement_instance_id.empty() ? "" : " -> replacement " + i.replacement_instance_id) << "\n";
    for (const auto& v : i.volumes) {
      if (journal.method == EncryptMethod::kSnapshot && v.encrypted) continue;
      out << "  " << v.device << " " << v.volume_id << " -> " << (v.new_volume_id.empty() ? "-" : v.new_volume_id)
          << "  " << (v.verification.empty() ? "not verified" : v.verification) << "\n";
    }
  }
  out << "journal: " << journal_path << "\n";
  return out.str();
}

json RenderRunJson(const Journal& journal, const std::string& journal_path) {
  return {{"JournalPath", journal_path}, {"Run", JournalToJson(journal)}};
}

}  // namespace kura::tools
