// Pagination, in one place: repeats a List/Describe call, passing each
// answer's next-page token back, until an answer has none. The token names
// differ per API (EC2: NextToken in, <nextToken> out; ELB and KMS: Marker in,
// NextMarker out; Cost Explorer: NextPageToken both ways). A token that comes
// back unchanged is reported as an error instead of looping for ever.
// Thread-safety: as AwsClient; `page` runs on the calling thread.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string_view>

#include "tools/aws_client.h"

namespace kura::tools {

struct PageTokens {
  std::string_view request;   // the parameter carrying the token
  std::string_view response;  // the output member carrying the next one
};
inline constexpr PageTokens kEc2Paging{"NextToken", "nextToken"};
inline constexpr PageTokens kMarkerPaging{"Marker", "NextMarker"};
inline constexpr PageTokens kCePaging{"NextPageToken", "NextPageToken"};

// Calls `page` with every answer's result element, in order.
AwsStatus PaginateQuery(const AwsClient& aws, const ServiceInfo& service, std::string_view action,
                        const QueryParams& params, PageTokens tokens,
                        const std::function<void(const pugi::xml_node& result)>& page);

// Calls `page` with every answer, in order.
AwsStatus PaginateJson(const AwsClient& aws, const ServiceInfo& service, std::string_view operation,
                       const nlohmann::json& input, PageTokens tokens,
                       const std::function<void(const nlohmann::json& output)>& page);

}  // namespace kura::tools
