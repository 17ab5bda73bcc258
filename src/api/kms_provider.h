// KmsProvider: the KMS API (AWS JSON 1.1, TrentService, 2014-11-01) over a
// kms::KmsService. It maps each operation's input document (codec.h
// conventions: members by model name, blobs as json binary, timestamps as
// epoch-second numbers) to typed domain calls and the results back to output
// documents; MapError is the one place where KMS wire error codes live
// (kms.md §1: 400 for client errors, KMSInternalException/KeyUnavailable 500,
// DependencyTimeout 503).
// Calls arriving here are direct calls: kms:ViaService is never set from the wire.
// Thread-safety: as Provider (the service is thread-safe).
#pragma once

#include <memory>
#include <string_view>

#include "api/provider.h"
#include "kms/kms_service.h"

namespace kura::api {

class KmsProvider final : public Provider {
 public:
  explicit KmsProvider(std::shared_ptr<kms::KmsService> service);

  std::string_view service() const override { return "kms"; }
  base::Result<nlohmann::json> Call(std::string_view operation, const nlohmann::json& input,
                                    const CallContext& context) override;
  WireError MapError(const base::Status& status) const override;

 private:
  std::shared_ptr<kms::KmsService> kms_;
};

}  // namespace kura::api
