// A small synchronous HTTP/1.1 client for kura's own client commands and tools:
// one request per connection, with a deadline; plain http (a local kura serve)
// or https (real AWS: TLS over OpenSSL, the peer's certificate verified against
// the system trust store for the endpoint's host name, SNI sent). Boost.Beast
// and OpenSSL stay in the .cc file.
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
  std::string host;       // "127.0.0.1", "localhost", "::1", "ec2.us-east-1.amazonaws.com"
  uint16_t port = 80;
  std::string base_path;  // "" or "/prefix" (no trailing slash)
  bool tls = false;       // https

  // The Host header value: "host:port", or "host" on the scheme's default port
  // (as botocore sends it); IPv6 literals in brackets.
  std::string HostHeader() const;
  // "http://host:port" / "https://host" (no base path), for messages.
  std::string Origin() const;
};

// "http://HOST[:PORT][/path]" or "https://HOST[:PORT][/path]" (default ports 80
// and 443); InvalidArgument for anything else.
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
