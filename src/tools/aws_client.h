// AwsClient: calls AWS APIs — EC2, ELB, STS (Query), KMS, Cost Explorer (JSON
// 1.1) — through kura's own SigV4 signer and HTTP client, against real AWS or
// a kura serve (--endpoint-url). It resolves the region and credentials once,
// as the aws CLI does (aws_config.h, client/credentials.h), signs every
// attempt afresh, parses error answers into AwsError (wire_errors.h) and
// retries what RetryPolicy allows. The typed helpers (ec2_api.h, kms_api.h,
// sts_api.h, ce_api.h) and pagination (pagination.h) build on Query and Json.
// Credentials stay in memory; nothing here logs or prints a secret.
// Thread-safety: const calls may run concurrently (each opens its own connection).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/credentials.h"
#include "client/http_client.h"
#include "tools/aws_config.h"
#include "tools/aws_error.h"
#include "tools/retry_policy.h"
#include "tools/xml_response.h"

namespace kura::tools {

// Query parameters besides Action and Version, in order ("Filter.1.Name", "encrypted").
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Seams for tests; every empty member gets the real thing.
struct AwsClientHooks {
  std::function<base::Result<client::HttpResult>(const client::Endpoint&, const client::SignableRequest&)> transport;
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<int64_t()> clock;     // Unix seconds, for the signature date
  std::function<double()> random;     // uniform in [0, 1), for backoff jitter
};

class AwsClient {
 public:
  // Errors: no region (how to set one), no credentials (where they were looked for).
  static base::Result<AwsClient> Create(const AwsOptions& options, const client::EnvLookup& env,
                                        AwsClientHooks hooks = {}, RetryPolicy retry = {});

  // A Query/EC2 call: Action=`action`, Version from `service`, then `params`.
  AwsResult<XmlResponse> Query(const ServiceInfo& service, std::string_view action, const QueryParams& params) const;
  // A JSON 1.1 call: X-Amz-Target `service.target_prefix`.`operation`, body `input`.
  AwsResult<nlohmann::json> Json(const ServiceInfo& service, std::string_view operation,
                                 const nlohmann::json& input) const;

  // A JSON POST to `path` under the endpoint with Content-Type
  // application/json, errors read as JSON 1.1 ones ({"__type", "message"}):
  // kura's admin API (/_kura/admin/<Action>), which the tools use only for
  // what AWS has no API for (NBD access to attached volumes).
  AwsResult<nlohmann::json> PostJson(const ServiceInfo& service, std::string_view path,
                                     const nlohmann::json& input) const;

  const std::string& region() const { return region_; }
  // "" when requests go to AWS's public endpoints.
  const std::string& endpoint_url() const { return options_.endpoint_url; }
  // Where the credentials came from ("environment", "~/.aws/credentials [ops]"), for messages.
  const std::string& credentials_source() const { return credentials_source_; }

 private:
  AwsClient() = default;
  // Signs and sends `request` (path, headers and body set) until it succeeds
  // or the retry policy gives up.
  AwsResult<client::HttpResult> Send(const ServiceInfo& service, std::string_view path,
                                     client::SignableRequest request) const;
  AwsResult<nlohmann::json> SendJson(const ServiceInfo& service, std::string_view operation, std::string_view path,
                                     client::SignableRequest request) const;

  AwsOptions options_;
  std::string region_;
  client::Credentials credentials_;
  std::string credentials_source_;
  AwsClientHooks hooks_;
  RetryPolicy retry_;
};

}  // namespace kura::tools
