// CeProvider: the part of AWS Cost Explorer (JSON 1.1, 2017-10-25) that kura can
// answer truthfully — GetCostAndUsage over the caller's own KMS bill
// (kms::KmsService::ComputeBill), so that client tools (`kura audit`) read the
// cost through the public API as they would on AWS.
//
// What is served: Granularity MONTHLY over whole calendar months (TimePeriod
// Start and End on the first day of a month: kura meters KMS per month and has
// nothing finer to report); Metrics UnblendedCost, BlendedCost (equal to it
// outside an organization) and UsageQuantity (requests plus key-months, summed
// across units as AWS does); Filter {Dimensions: {Key: SERVICE}} and GroupBy
// [{Type: DIMENSION, Key: SERVICE}], where the only service with a cost is
// "AWS Key Management Service". Anything else is refused with
// ValidationException naming what is not supported rather than answered with
// made-up figures.
//
// Authorization: account roots always; IAM users when their identity policies
// allow ce:GetCostAndUsage on arn:aws:ce:us-east-1:<account>:/GetCostAndUsage,
// else AccessDeniedException. MapError is the one place where CE wire codes live.
// Thread-safety: as Provider; the bill source and the policy lookup must be
// safe to call concurrently (KmsService's and IdentityStore's are).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/provider.h"
#include "kms/meter.h"

namespace kura::iam {
class PolicyDocument;
}

namespace kura::api {

// The service name Cost Explorer gives KMS in the SERVICE dimension.
inline constexpr char kCeKmsServiceName[] = "AWS Key Management Service";

// Cost Explorer's error kinds, carried in Status::detail(). Values start at 300
// so that they are never mistaken for another layer's kinds.
enum class CeError {
  kValidation = 300,     // ValidationException
  kAccessDenied,         // AccessDeniedException
  kDataUnavailable,      // DataUnavailableException
  kUnknownOperation,     // UnknownOperationException
  kInvalidNextToken,     // InvalidNextTokenException
};

class CeProvider final : public Provider {
 public:
  using BillFn = std::function<base::Result<kms::Bill>(const std::string& account_id, const std::string& month)>;

  // The caller's IAM identity policies (as kms::IdentityPoliciesFn).
  using PoliciesFn =
      std::function<base::Result<std::vector<std::shared_ptr<const iam::PolicyDocument>>>(const iam::Principal&)>;

  CeProvider(BillFn bills, PoliciesFn identity_policies);

  std::string_view service() const override { return "ce"; }
  base::Result<nlohmann::json> Call(std::string_view operation, const nlohmann::json& input,
                                    const CallContext& context) override;
  WireError MapError(const base::Status& status) const override;

 private:
  base::Status Authorize(const CallContext& context, const std::string& action) const;
  base::Result<nlohmann::json> GetCostAndUsage(const nlohmann::json& input, const CallContext& context);

  BillFn bills_;
  PoliciesFn identity_policies_;
};

}  // namespace kura::api
