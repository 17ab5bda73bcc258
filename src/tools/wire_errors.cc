#include "tools/wire_errors.h"

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <cctype>

namespace kura::tools {

namespace {

bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Both XML envelopes: the first <Error> anywhere, the request id beside it
// (RequestID for EC2, RequestId for Query).
bool ParseXml(const std::string& body, AwsError& error) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return false;
  pugi::xml_node found = doc.find_node([](pugi::xml_node n) { return std::string_view(n.name()) == "Error"; });
  if (!found) return false;
  error.code = found.child_value("Code");
  error.message = found.child_value("Message");
  pugi::xml_node id = doc.find_node([](pugi::xml_node n) {
    std::string_view name = n.name();
    return name == "RequestID" || name == "RequestId";
  });
  if (id && error.request_id.empty()) error.request_id = id.child_value();
  return !error.code.empty();
}

bool ParseJson(const std::string& body, const std::string& error_type_header, AwsError& error) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  std::string type = error_type_header;
  if (doc.is_object()) {
    if (doc.contains("__type") && doc["__type"].is_string()) type = doc["__type"].get<std::string>();
    for (const char* key : {"message", "Message"}) {
      if (doc.contains(key) && doc[key].is_string()) error.message = doc[key].get<std::string>();
    }
  }
  // "com.amazon.coral.service#ExpiredTokenException"; x-amzn-ErrorType may add ":http://..." after it.
  if (auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
  if (auto colon = type.find(':'); colon != std::string::npos) type = type.substr(0, colon);
  error.code = type;
  return !error.code.empty();
}

}  // namespace

std::string HeaderValue(const client::HttpResult& response, std::string_view name) {
  for (const auto& [n, v] : response.headers) {
    if (SameName(n, name)) return v;
  }
  return "";
}

AwsError ParseErrorResponse(WireProtocol protocol, const client::HttpResult& response) {
  AwsError error;
  error.http_status = response.status;
  error.request_id = HeaderValue(response, "x-amzn-RequestId");
  if (error.request_id.empty()) error.request_id = HeaderValue(response, "x-amz-request-id");
  const bool parsed = protocol == WireProtocol::kJson
                          ? ParseJson(response.body, HeaderValue(response, "x-amzn-ErrorType"), error)
                          : ParseXml(response.body, error);
  if (!parsed) {
    error.code = "HTTP" + std::to_string(response.status);
    error.message = response.body.substr(0, 200);
  }
  return error;
}

}  // namespace kura::tools
