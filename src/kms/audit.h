// Audit trail: one JSON line per KMS call — time, request id, region,
// account, principal, operation, key ARN, the encryption context KEYS (never
// values), via-service, grant id, result — handed to an AuditSink. Never a
// plaintext, data key, key material, grant token or ciphertext.
// Thread-safety: FormatAuditLine is pure; sinks must accept concurrent Write calls.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kura::kms {

struct AuditRecord {
  int64_t time = 0;
  std::string request_id;
  std::string region;
  std::string account_id;     // the caller's account
  std::string principal_arn;
  std::string operation;      // "Encrypt"
  std::string key_arn;        // "" when the call named no key or it did not resolve
  std::vector<std::string> encryption_context_keys;
  std::string via_service;
  std::string grant_id;
  std::string result;         // "Ok" or a KmsErrorName ("AccessDenied", ...)
};

// {"time":...,"requestId":...,...} without a trailing newline.
std::string FormatAuditLine(const AuditRecord& record);

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void Write(std::string_view line) = 0;
};

// Keeps lines in memory (tests, diagnostics).
class MemoryAuditSink : public AuditSink {
 public:
  void Write(std::string_view line) override;
  std::vector<std::string> lines() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

// Writes each line to the structured log as event "kms_audit".
class LogAuditSink : public AuditSink {
 public:
  void Write(std::string_view line) override;
};

}  // namespace kura::kms
