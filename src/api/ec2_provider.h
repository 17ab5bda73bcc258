// Ec2Provider: the EC2 API (EC2 protocol, 2016-11-15) over an ec2::Ec2Service.
// Every operation goes the same way:
//   1. the caller: ec2::Caller{principal, region of the SigV4 scope, request id};
//   2. IAM: Ec2Service::Authorize(caller, "ec2:<Operation>", resources) where
//      resources are the ARNs of the ids the operation targets
//      (arn:aws:ec2:<region>:<account>:volume/vol-…, instance/i-…,
//      elastic-ip/eipalloc-…; images and snapshots have no account:
//      arn:aws:ec2:<region>::snapshot/snap-…), or "*";
//   3. DryRun=true -> DryRunOperation (412) "Request would have succeeded,
//      but DryRun flag is set." — after authorization, so a forbidden dry run
//      is UnauthorizedOperation;
//   4. the input document -> the typed call -> the output document
//      (ec2_wire.h); operations without output return an empty document;
//   5. every operation but Describe*/Get* then waits for
//      Ec2Service::WaitDurable(), so an answered write survives a crash.
// MapError (ec2_wire::Ec2WireError) is the one place where EC2 wire codes live.
// Thread-safety: as Provider (the service is thread-safe).
#pragma once

#include <memory>
#include <string_view>

#include "api/provider.h"
#include "ec2/ec2_service.h"

namespace kura::api {

class Ec2Provider final : public Provider {
 public:
  explicit Ec2Provider(std::shared_ptr<ec2::Ec2Service> service);

  std::string_view service() const override { return "ec2"; }
  base::Result<nlohmann::json> Call(std::string_view operation, const nlohmann::json& input,
                                    const CallContext& context) override;
  WireError MapError(const base::Status& status) const override;

 private:
  std::shared_ptr<ec2::Ec2Service> ec2_;
};

}  // namespace kura::api
