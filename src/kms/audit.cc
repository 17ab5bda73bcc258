#include "kms/audit.h"

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace kura::kms {

namespace {

// Appends `value` as a JSON string. Audit fields are nearly always printable
// ASCII without quotes or backslashes, which need no escaping; anything else
// (control characters, non-ASCII, possibly invalid UTF-8 from a caller's
// encryption context key) goes through nlohmann, so the output is byte for
// byte what the previous all-nlohmann formatter wrote.
void AppendString(std::string& out, std::string_view value) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      out += nlohmann::json(std::string(value)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
    }
  }
  out += '"';
  out += value;
  out += '"';
}

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  AppendString(out, value);
}

}  // namespace

// Written by hand: building an nlohmann::ordered_json and dumping it cost
// about 22,000 instructions per KMS request, as much as the KMS operation.
std::string FormatAuditLine(const AuditRecord& r) {
  std::string out;
  out.reserve(256);
  out += "{\"time\":";
  out += std::to_string(r.time);
  AppendField(out, "requestId", r.request_id);
  AppendField(out, "region", r.region);
  AppendField(out, "account", r.account_id);
  AppendField(out, "principal", r.principal_arn);
  AppendField(out, "operation", r.operation);
  if (!r.key_arn.empty()) AppendField(out, "keyArn", r.key_arn);
  if (!r.encryption_context_keys.empty()) {
    out += ",\"encryptionContextKeys\":[";
    for (size_t i = 0; i < r.encryption_context_keys.size(); ++i) {
      if (i > 0) out += ',';
      AppendString(out, r.encryption_context_keys[i]);
    }
    out += ']';
  }
  if (!r.via_service.empty()) AppendField(out, "viaService", r.via_service);
  if (!r.grant_id.empty()) AppendField(out, "grantId", r.grant_id);
  AppendField(out, "result", r.result);
  out += '}';
  return out;
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
