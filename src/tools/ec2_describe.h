// DescribeAll: every <item> of an EC2 Describe* answer's set element, across
// all pages, read into values — the one loop behind the typed Describe calls
// (ec2_api.h, share_image_api.h).
// Thread-safety: as AwsClient.
#pragma once

#include <vector>

#include "tools/aws_client.h"
#include "tools/pagination.h"

namespace kura::tools {

// Every <item> of `set` across all pages of `action`.
template <typename T>
AwsResult<std::vector<T>> DescribeAll(const AwsClient& aws, const char* action, const QueryParams& params,
                                      const char* set, T (*read)(const pugi::xml_node&)) {
  std::vector<T> out;
  KURA_AWS_RETURN_IF_ERROR(PaginateQuery(aws, kEc2, action, params, kEc2Paging, [&](const pugi::xml_node& result) {
    for (pugi::xml_node item : result.child(set).children("item")) out.push_back(read(item));
  }));
  return out;
}

}  // namespace kura::tools
