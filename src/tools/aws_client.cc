#include "tools/aws_client.h"

#include <nlohmann/json.hpp>

#include <random>
#include <thread>

#include "client/sigv4.h"
#include "tools/wire_errors.h"

namespace kura::tools {

namespace {

int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double SystemRandom() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

std::string FormBody(const ServiceInfo& service, std::string_view action, const QueryParams& params) {
  std::string body = "Action=" + client::UriEncode(action, false) +
                     "&Version=" + client::UriEncode(service.api_version, false);
  for (const auto& [name, value] : params) {
    body += "&" + client::UriEncode(name, false) + "=" + client::UriEncode(value, false);
  }
  return body;
}

// The element holding the output: <ActionResult> for Query, the root for EC2.
pugi::xml_node ResultNode(const pugi::xml_document& doc, WireProtocol protocol, std::string_view action) {
  pugi::xml_node root = doc.document_element();
  if (protocol != WireProtocol::kQuery) return root;
  pugi::xml_node result = root.child((std::string(action) + "Result").c_str());
  return result ? result : root;
}

std::string XmlRequestId(const pugi::xml_document& doc) {
  pugi::xml_node root = doc.document_element();
  if (pugi::xml_node id = root.child("requestId")) return id.child_value();        // EC2
  return root.child("ResponseMetadata").child_value("RequestId");                  // Query
}

AwsError Malformed(const ServiceInfo& service, std::string_view operation, const client::HttpResult& response,
                   std::string_view what) {
  AwsError error;
  error.http_status = response.status;
  error.request_id = HeaderValue(response, "x-amzn-RequestId");
  error.local_code = base::StatusCode::kDataLoss;
  error.message = std::string(service.endpoint_prefix) + " " + std::string(operation) + " answered with " +
                  std::string(what);
  return error;
}

}  // namespace

base::Result<AwsClient> AwsClient::Create(const AwsOptions& options, const client::EnvLookup& env,
                                          AwsClientHooks hooks, RetryPolicy retry) {
  KURA_ASSIGN_OR_RETURN(std::string region, ResolveRegion(options, env));
  if (!options.endpoint_url.empty()) KURA_RETURN_IF_ERROR(client::ParseEndpointUrl(options.endpoint_url).status());
  KURA_ASSIGN_OR_RETURN(auto credentials, client::LoadCredentials(options.profile, env));
  AwsClient aws;
  aws.options_ = options;
  aws.region_ = std::move(region);
  aws.credentials_ = std::move(credentials.credentials);
  aws.credentials_source_ = std::move(credentials.source);
  if (!hooks.transport) {
    hooks.transport = [](const client::Endpoint& e, const client::SignableRequest& r) { return client::SendHttp(e, r); };
  }
  if (!hooks.sleep) hooks.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (!hooks.clock) hooks.clock = SystemNow;
  if (!hooks.random) hooks.random = SystemRandom;
  aws.hooks_ = std::move(hooks);
  aws.retry_ = retry;
  return aws;
}

AwsResult<client::HttpResult> AwsClient::Send(const ServiceInfo& service, std::string_view path,
                                              client::SignableRequest request) const {
  auto endpoint = client::ParseEndpointUrl(EndpointUrl(service, options_, region_));
  if (!endpoint.ok()) return AwsError::FromStatus(endpoint.status());
  request.method = "POST";
  request.path = endpoint->base_path + std::string(path);
  request.headers.emplace_back("Host", endpoint->HostHeader());
  const std::string signing_region = SigningRegion(service, region_);
  for (int attempt = 1;; ++attempt) {
    client::SignableRequest signed_request = request;
    client::SignRequest(signed_request, credentials_, signing_region, service.signing_name,
                        client::AmzDate(hooks_.clock()));
    auto response = hooks_.transport(*endpoint, signed_request);
    AwsError error;
    if (!response.ok()) {
      error = AwsError::FromStatus(response.status());
    } else if (response->status == 200) {
      return std::move(response).value();
    } else {
      error = ParseErrorResponse(service.protocol, *response);
    }
    if (!retry_.ShouldRetry(error, attempt)) return error;
    hooks_.sleep(retry_.Delay(attempt, hooks_.random()));
  }
}

AwsResult<XmlResponse> AwsClient::Query(const ServiceInfo& service, std::string_view action,
                                        const QueryParams& params) const {
  client::SignableRequest request;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = FormBody(service, action, params);
  KURA_AWS_ASSIGN_OR_RETURN(client::HttpResult response, Send(service, "/", std::move(request)));
  XmlResponse out;
  out.doc = std::make_shared<pugi::xml_document>();
  if (!out.doc->load_buffer(response.body.data(), response.body.size())) {
    return Malformed(service, action, response, "a body that is not XML");
  }
  out.result = ResultNode(*out.doc, service.protocol, action);
  out.request_id = XmlRequestId(*out.doc);
  return out;
}

AwsResult<nlohmann::json> AwsClient::Json(const ServiceInfo& service, std::string_view operation,
                                          const nlohmann::json& input) const {
  client::SignableRequest request;
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", std::string(service.target_prefix) + "." + std::string(operation)}};
  request.body = input.is_null() ? "{}" : input.dump();
  return SendJson(service, operation, "/", std::move(request));
}

AwsResult<nlohmann::json> AwsClient::PostJson(const ServiceInfo& service, std::string_view path,
                                              const nlohmann::json& input) const {
  client::SignableRequest request;
  request.headers = {{"Content-Type", "application/json"}};
  request.body = input.is_null() ? "{}" : input.dump();
  return SendJson(service, path, path, std::move(request));
}

AwsResult<nlohmann::json> AwsClient::SendJson(const ServiceInfo& service, std::string_view operation,
                                              std::string_view path, client::SignableRequest request) const {
  KURA_AWS_ASSIGN_OR_RETURN(client::HttpResult response, Send(service, path, std::move(request)));
  nlohmann::json body = nlohmann::json::parse(response.body.empty() ? "{}" : response.body, nullptr, false);
  if (!body.is_object()) return Malformed(service, operation, response, "a body that is not a JSON object");
  return body;
}

}  // namespace kura::tools
