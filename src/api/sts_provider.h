// StsProvider: STS (Query protocol, 2011-06-15) — GetCallerIdentity, which
// every valid credential may call (auth-sigv4.md §3).
// Thread-safety: as Provider (stateless).
#pragma once

#include <string_view>

#include "api/provider.h"

namespace kura::api {

class StsProvider final : public Provider {
 public:
  std::string_view service() const override { return "sts"; }
  base::Result<nlohmann::json> Call(std::string_view operation, const nlohmann::json& input,
                                    const CallContext& context) override;
  WireError MapError(const base::Status& status) const override;
};

}  // namespace kura::api
