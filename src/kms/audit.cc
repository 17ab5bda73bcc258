#include "kms/audit.h"

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace kura::kms {

std::string FormatAuditLine(const AuditRecord& r) {
  nlohmann::ordered_json j;
  j["time"] = r.time;
  j["requestId"] = r.request_id;
  j["region"] = r.region;
  j["account"] = r.account_id;
  j["principal"] = r.principal_arn;
  j["operation"] = r.operation;
  if (!r.key_arn.empty()) j["keyArn"] = r.key_arn;
  if (!r.encryption_context_keys.empty()) j["encryptionContextKeys"] = r.encryption_context_keys;
  if (!r.via_service.empty()) j["viaService"] = r.via_service;
  if (!r.grant_id.empty()) j["grantId"] = r.grant_id;
  j["result"] = r.result;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void MemoryAuditSink::Write(std::string_view line) {
  std::lock_guard lock(mu_);
  lines_.emplace_back(line);
}

std::vector<std::string> MemoryAuditSink::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

void LogAuditSink::Write(std::string_view line) {
  base::LogEvent(base::LogLevel::kInfo, "kms_audit", {{"line", std::string(line)}});
}

}  // namespace kura::kms
