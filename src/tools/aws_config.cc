#include "tools/aws_config.h"

namespace kura::tools {

base::Result<std::string> ResolveRegion(const AwsOptions& options, const client::EnvLookup& env) {
  if (!options.region.empty()) return options.region;
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    auto value = env(name);
    if (value && !value->empty()) return *value;
  }
  client::ProfileConfig config = client::LoadProfileConfig(options.profile, env);
  auto it = config.settings.find("region");
  if (it != config.settings.end() && !it->second.empty()) return it->second;
  return base::InvalidArgumentError("no region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or add "
                                    "`region = ...` to profile [" + config.profile + "] in " + config.path);
}

std::string SigningRegion(const ServiceInfo& service, const std::string& region) {
  return service.global_region.empty() ? region : std::string(service.global_region);
}

std::string EndpointUrl(const ServiceInfo& service, const AwsOptions& options, const std::string& region) {
  if (!options.endpoint_url.empty()) return options.endpoint_url;
  return "https://" + std::string(service.endpoint_prefix) + "." + SigningRegion(service, region) + ".amazonaws.com";
}

}  // namespace kura::tools
