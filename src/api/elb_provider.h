// ElbProvider: the classic Elastic Load Balancing API (Query protocol,
// 2012-06-01) over the load balancers of an ec2::Ec2Service (elb.md).
// Every operation: IAM via Ec2Service::Authorize(caller,
// "elasticloadbalancing:<Operation>", arn:aws:elasticloadbalancing:<region>:
// <account>:loadbalancer/<name> or "*"), then the typed call.
// MapError (ec2_wire::ElbWireError) is the one place where ELB wire codes
// live: InvalidConfigurationRequest 409, others 400, all Type Sender.
// Thread-safety: as Provider.
#pragma once

#include <memory>
#include <string_view>

#include "api/provider.h"
#include "ec2/ec2_service.h"

namespace kura::api {

class ElbProvider final : public Provider {
 public:
  explicit ElbProvider(std::shared_ptr<ec2::Ec2Service> service);

  std::string_view service() const override { return "elb"; }
  base::Result<nlohmann::json> Call(std::string_view operation, const nlohmann::json& input,
                                    const CallContext& context) override;
  WireError MapError(const base::Status& status) const override;

 private:
  // The operation itself; Call adds the wait for durability.
  base::Result<nlohmann::json> Dispatch(std::string_view operation, const nlohmann::json& input,
                                        const CallContext& context);
  std::shared_ptr<ec2::Ec2Service> ec2_;
};

}  // namespace kura::api
