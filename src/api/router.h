// Router: the AWS wire pipeline for every request on the one HTTP port.
//   1. a request id (x-amzn-RequestId / requestId) for the response and the log line;
//   2. the service: X-Amz-Target (JSON 1.1: KMS), else the form's Action with
//      the SigV4 credential-scope service, else the form's Version;
//   3. SigV4 verification (auth-sigv4.md), answered with the protocol's own error codes;
//   4. decoding by the service model, the provider's Call, encoding — or the
//      provider's wire error.
// Thread-safety: Handle is called concurrently by the HTTP server's workers.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/http.h"
#include "api/provider.h"
#include "api/service_model.h"
#include "api/sigv4_verifier.h"
#include "base/status.h"
#include "iam/principal.h"

namespace kura::api {

// Who an access key belongs to and its secret; nullopt when unknown.
struct KeyOwner {
  iam::Principal principal;
  std::string secret_access_key;
};
using KeyOwnerLookup = std::function<std::optional<KeyOwner>(const std::string& access_key_id)>;

struct RouterOptions {
  // false: "--auth open": any well-formed SigV4 credential is accepted without
  // a signature check and acts as `open_account_id`'s root.
  bool verify_signatures = true;
  std::string open_account_id;
  std::vector<std::string> regions = {"us-east-1", "ap-northeast-1"};
  std::function<int64_t()> clock;  // Unix seconds; default: the system clock
  // Extra plain-HTTP routes answered before AWS routing ("POST /_kura/reset"); may be empty.
  std::function<std::optional<HttpResponse>(const HttpRequest&)> local_routes;
};

class Router {
 public:
  Router(RouterOptions options, KeyOwnerLookup lookup);
  // Registers the provider for its service; its ServiceModel must load.
  base::Status AddProvider(std::shared_ptr<Provider> provider);

  HttpResponse Handle(HttpRequest&& request);

 private:
  struct Service {
    std::shared_ptr<const ServiceModel> model;
    std::shared_ptr<Provider> provider;
  };
  struct Routed;
  HttpResponse Error(const Service* service, const std::string& request_id, const WireError& error) const;
  HttpResponse Dispatch(const HttpRequest& request, const std::string& request_id, std::string* log_service,
                        std::string* log_operation, std::string* log_principal, std::string* log_code);

  RouterOptions options_;
  KeyOwnerLookup lookup_;
  SigningKeyCache signing_keys_;
  std::map<std::string, Service, std::less<>> services_;  // by service name
};

// A random UUID (v4), lower-case.
std::string NewRequestId();

}  // namespace kura::api
