// KmsService::Trace: what one call records when it ends — one audit line and
// one metered request. Internal to the kms_service*.cc files.
// Thread-safety: one Trace per call, used by that call's thread.
#pragma once

#include <string>
#include <string_view>

#include "kms/audit.h"
#include "kms/kms_error.h"
#include "kms/kms_service.h"

namespace kura::kms {

class KmsService::Trace {
 public:
  Trace(KmsService* service, const Caller& caller, std::string_view operation);
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  void SetKey(const std::string& key_arn) { record_.key_arn = key_arn; }
  void SetContext(const EncryptionContext& context);
  void SetGrant(const std::string& grant_id) { record_.grant_id = grant_id; }

  base::Status Done(base::Status status) {
    Record(status);
    return status;
  }
  template <typename T>
  base::Result<T> Done(base::Result<T> result) {
    Record(result.ok() ? base::Status::Ok() : result.status());
    return result;
  }

 private:
  void Record(const base::Status& status);

  KmsService* service_;
  AuditRecord record_;
};

}  // namespace kura::kms
