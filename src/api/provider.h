// Provider: one per AWS service. It receives an authenticated caller and a
// decoded request document (see codec.h for the document conventions) and
// returns the response document, or a Status whose detail() is the
// service's own error kind. MapError turns such a Status into the wire error:
// the one place per service where AWS error codes and HTTP statuses live.
// Thread-safety: Call is invoked concurrently from the server's workers.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "iam/principal.h"

namespace kura::api {

struct CallContext {
  std::string request_id;
  iam::Principal caller;
  std::string region;         // from the SigV4 credential scope
  std::string access_key_id;  // that signed the request
  int64_t now = 0;            // Unix seconds at arrival
};

struct WireError {
  std::string code;     // "NotFoundException", "NoSuchEntity", "InvalidVolume.NotFound"
  std::string message;
  int http_status = 400;
  bool sender_fault = true;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // "kms", "iam", "sts", "ec2", "elb": the ServiceModel this provider serves.
  virtual std::string_view service() const = 0;
  virtual base::Result<nlohmann::json> Call(std::string_view operation, const nlohmann::json& input,
                                            const CallContext& context) = 0;
  virtual WireError MapError(const base::Status& status) const = 0;
};

}  // namespace kura::api
