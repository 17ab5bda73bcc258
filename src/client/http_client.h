// A small synchronous HTTP/1.1 client (plain http only) for kura's own client
// commands: one request per connection, with a deadline. Boost.Beast stays in
// the .cc file.
// Thread-safety: functions only; each call uses its own connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "client/sigv4.h"

namespace kura::client {

struct Endpoint {
  std::string host;       // "127.0.0.1", "localhost", "::1"
  uint16_t port = 80;
  std::string base_path;  // "" or "/prefix" (no trailing slash)

  // The Host header value: "host:port" (IPv6 literals in brackets).
  std::string HostHeader() const;
};

// "http://HOST[:PORT][/path]"; InvalidArgument for anything else (https included:
// kura's client commands speak plain HTTP to a local endpoint).
base::Result<Endpoint> ParseEndpointUrl(std::string_view url);

struct HttpResult {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names as received
  std::string body;
};

// Sends `request` (method, path, query, headers, body as given; Host and
// Content-Length are added when absent) and reads the whole response.
// Unavailable when the connection fails or the deadline passes.
base::Result<HttpResult> SendHttp(const Endpoint& endpoint, const SignableRequest& request,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace kura::client
