// Where and how a tool reaches AWS, resolved as the aws CLI does it:
//   - AwsOptions: --endpoint-url, --region, --profile;
//   - the region: --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the
//     profile's `region` in the config file (AWS_CONFIG_FILE, ~/.aws/config);
//   - the endpoint of a service: --endpoint-url for every service when given
//     (a kura serve), else https://{endpoint prefix}.{region}.amazonaws.com;
//     global services (Cost Explorer) use their one region, us-east-1, both in
//     the host name and in the signature.
// ServiceInfo names each API a tool speaks: its protocol, version, signing
// name and (JSON) target prefix, as the botocore models give them.
// Thread-safety: functions on values.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "client/credentials.h"

namespace kura::tools {

struct AwsOptions {
  std::string endpoint_url;  // "" = AWS's public endpoints
  std::string region;        // "" = from the environment or the profile
  std::string profile;       // "" = AWS_PROFILE / default
};

enum class WireProtocol {
  kEc2,    // Query request, EC2 XML response (<Response><Errors>...)
  kQuery,  // Query request, <XResponse><XResult> response, <ErrorResponse> errors
  kJson,   // JSON 1.1 with X-Amz-Target
};

struct ServiceInfo {
  std::string_view endpoint_prefix;  // "ec2", "elasticloadbalancing", "sts", "kms", "ce"
  std::string_view signing_name;     // the SigV4 service name
  WireProtocol protocol;
  std::string_view api_version;      // Query protocols: the Version parameter
  std::string_view target_prefix;    // JSON: "TrentService"
  std::string_view global_region;    // "" for regional services, else the only region
};

inline constexpr ServiceInfo kEc2{"ec2", "ec2", WireProtocol::kEc2, "2016-11-15", "", ""};
inline constexpr ServiceInfo kElb{"elasticloadbalancing", "elasticloadbalancing", WireProtocol::kQuery, "2012-06-01",
                                  "", ""};
inline constexpr ServiceInfo kSts{"sts", "sts", WireProtocol::kQuery, "2011-06-15", "", ""};
inline constexpr ServiceInfo kKms{"kms", "kms", WireProtocol::kJson, "", "TrentService", ""};
inline constexpr ServiceInfo kCe{"ce", "ce", WireProtocol::kJson, "", "AWSInsightsIndexService", "us-east-1"};

// InvalidArgument, saying how to set one, when no region is found anywhere.
base::Result<std::string> ResolveRegion(const AwsOptions& options, const client::EnvLookup& env);

// The region a request to `service` is signed for.
std::string SigningRegion(const ServiceInfo& service, const std::string& region);
// The URL requests to `service` go to.
std::string EndpointUrl(const ServiceInfo& service, const AwsOptions& options, const std::string& region);

}  // namespace kura::tools
