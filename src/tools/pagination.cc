#include "tools/pagination.h"

#include <nlohmann/json.hpp>

#include <string>

namespace kura::tools {

namespace {

AwsError RepeatedToken(const ServiceInfo& service, std::string_view operation) {
  AwsError error;
  error.local_code = base::StatusCode::kDataLoss;
  error.message = std::string(service.endpoint_prefix) + " " + std::string(operation) +
                  " returned the same page token twice; stopping instead of looping";
  return error;
}

}  // namespace

AwsStatus PaginateQuery(const AwsClient& aws, const ServiceInfo& service, std::string_view action,
                        const QueryParams& params, PageTokens tokens,
                        const std::function<void(const pugi::xml_node& result)>& page) {
  std::string token;
  for (;;) {
    QueryParams with_token = params;
    if (!token.empty()) with_token.emplace_back(std::string(tokens.request), token);
    KURA_AWS_ASSIGN_OR_RETURN(XmlResponse response, aws.Query(service, action, with_token));
    page(response.result);
    std::string next = response.result.child_value(std::string(tokens.response).c_str());
    if (next.empty()) return Done{};
    if (next == token) return RepeatedToken(service, action);
    token = std::move(next);
  }
}

AwsStatus PaginateJson(const AwsClient& aws, const ServiceInfo& service, std::string_view operation,
                       const nlohmann::json& input, PageTokens tokens,
                       const std::function<void(const nlohmann::json& output)>& page) {
  nlohmann::json request = input.is_object() ? input : nlohmann::json::object();
  std::string token;
  const std::string response_key(tokens.response);
  for (;;) {
    if (!token.empty()) request[std::string(tokens.request)] = token;
    KURA_AWS_ASSIGN_OR_RETURN(nlohmann::json response, aws.Json(service, operation, request));
    page(response);
    std::string next;
    if (response.contains(response_key) && response[response_key].is_string()) {
      next = response[response_key].get<std::string>();
    }
    // KMS says Truncated: false on its last page; trust it over a stray marker.
    if (response.contains("Truncated") && response["Truncated"] == false) next.clear();
    if (next.empty()) return Done{};
    if (next == token) return RepeatedToken(service, operation);
    token = std::move(next);
  }
}

}  // namespace kura::tools
