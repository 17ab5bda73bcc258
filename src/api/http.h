// Plain HTTP request/response values exchanged between the HTTP server (net)
// and the AWS wire layer (api). No AWS knowledge here.
// Thread-safety: plain values.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kura::api {

struct HttpRequest {
  std::string method;  // "POST"
  std::string target;  // raw request-target: "/path?query" as received
  // In arrival order; names lower-cased; repeated headers stay separate entries.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:53211"

  // The first header with this (lower-case) name, or nullptr.
  const std::string* Header(std::string_view lower_name) const;
  std::string_view Path() const;   // target up to '?'
  std::string_view Query() const;  // after '?', raw (still percent-encoded); "" when none
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void SetHeader(std::string name, std::string value);
};

using HttpHandler = std::function<HttpResponse(HttpRequest&& request)>;

// RFC 3986 percent-decoding of a query component ('+' is a space only when
// `plus_is_space`, as in application/x-www-form-urlencoded bodies).
std::string PercentDecode(std::string_view in, bool plus_is_space);
// Splits "a=1&b=2" into decoded pairs, in order.
std::vector<std::pair<std::string, std::string>> ParseFormEncoded(std::string_view in, bool plus_is_space);

}  // namespace kura::api
