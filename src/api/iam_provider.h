// IamProvider: the IAM API (Query protocol, 2010-05-08) over an
// iam::IdentityStore — users, access keys and inline user policies of the
// caller's account. The account root may do everything in its account; an
// IAM user needs an identity policy allowing iam:<Operation> on the target
// user's ARN. Policy documents leave URL-encoded, as AWS returns them.
// Thread-safety: as Provider (the store is thread-safe).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "api/provider.h"
#include "iam/identity_store.h"

namespace kura::api {

class IamProvider final : public Provider {
 public:
  explicit IamProvider(std::shared_ptr<iam::IdentityStore> store);

  std::string_view service() const override { return "iam"; }
  base::Result<nlohmann::json> Call(std::string_view operation, const nlohmann::json& input,
                                    const CallContext& context) override;
  WireError MapError(const base::Status& status) const override;

 private:
  std::shared_ptr<iam::IdentityStore> store_;
};

// RFC 3986 percent-encoding of everything but A-Z a-z 0-9 - _ . ~ (how IAM
// returns policy documents; botocore and the aws CLI decode it).
std::string UrlEncodePolicyDocument(std::string_view document);

}  // namespace kura::api
