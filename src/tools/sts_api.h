// Typed STS calls (Query, 2011-06-15) for the tools: who the credentials are.
// Thread-safety: as AwsClient.
#pragma once

#include <string>

#include "tools/aws_client.h"

namespace kura::tools {

struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

AwsResult<CallerIdentity> GetCallerIdentity(const AwsClient& aws);

}  // namespace kura::tools
