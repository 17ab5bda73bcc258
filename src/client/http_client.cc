#include "client/http_client.h"

#include <cctype>

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace kura::client {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

bool HasHeader(const SignableRequest& request, std::string_view lower_name) {
  for (const auto& [name, value] : request.headers) {
    if (name.size() != lower_name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(name[i])) == lower_name[i];
    }
    if (same) return true;
  }
  return false;
}

base::Status Unavailable(const Endpoint& endpoint, std::string_view step, const beast::error_code& ec) {
  return base::UnavailableError("could not " + std::string(step) + " " + endpoint.Origin() + ": " + ec.message());
}

http::request<http::string_body> BeastRequest(const Endpoint& endpoint, const SignableRequest& request) {
  std::string target = request.path.empty() ? "/" : request.path;
  if (!request.query.empty()) target += "?" + request.query;
  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(target);
  req.version(11);
  for (const auto& [name, value] : request.headers) req.insert(name, value);
  if (!HasHeader(request, "host")) req.set(http::field::host, endpoint.HostHeader());
  req.set(http::field::connection, "close");
  req.body() = request.body;
  req.prepare_payload();
  return req;
}

// Writes the request and reads the whole response over `stream` (plain or TLS).
template <typename Stream>
base::Result<HttpResult> Exchange(Stream& stream, const Endpoint& endpoint, const SignableRequest& request) {
  beast::error_code ec;
  http::write(stream, BeastRequest(endpoint, request), ec);
  if (ec) return Unavailable(endpoint, "send a request to", ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  http::read(stream, buffer, parser, ec);
  if (ec) return Unavailable(endpoint, "read the response of", ec);
  HttpResult result;
  const auto& res = parser.get();
  result.status = static_cast<int>(res.result_int());
  for (const auto& field : res) result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  result.body = res.body();
  return result;
}

base::Result<HttpResult> SendHttps(beast::tcp_stream&& tcp_stream, const Endpoint& endpoint,
                                   const SignableRequest& request) {
  ssl::context context(ssl::context::tls_client);
  beast::error_code ec;
  context.set_default_verify_paths(ec);
  if (ec) return Unavailable(endpoint, "load the system certificate store for", ec);
  context.set_verify_mode(ssl::verify_peer);
  // TLS 1.2 is the oldest version AWS endpoints accept.
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), context);
  stream.set_verify_callback(ssl::host_name_verification(endpoint.host));
  // SNI: AWS's front ends pick the certificate by it.
  if (!SSL_set_tlsext_host_name(stream.native_handle(), endpoint.host.c_str())) {
    return base::UnavailableError("could not set the TLS server name for " + endpoint.Origin());
  }
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) return Unavailable(endpoint, "complete the TLS handshake with", ec);
  auto result = Exchange(stream, endpoint, request);
  stream.shutdown(ec);  // the peer often just closes; the response is complete already
  return result;
}

}  // namespace

std::string Endpoint::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port == (tls ? 443 : 80)) return h;
  return h + ":" + std::to_string(port);
}

std::string Endpoint::Origin() const { return (tls ? "https://" : "http://") + HostHeader(); }

base::Result<Endpoint> ParseEndpointUrl(std::string_view url) {
  Endpoint endpoint;
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    endpoint.tls = true;
    endpoint.port = 443;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return base::InvalidArgumentError("endpoint " + std::string(url) + " must start with http:// or https://");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.find_first_of("?#") != std::string::npos) {
    return base::InvalidArgumentError("endpoint " + std::string(url) + " must not have a query or fragment");
  }
  endpoint.base_path = path;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return base::InvalidArgumentError("endpoint " + std::string(url) + ": bad host");
    endpoint.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return base::InvalidArgumentError("endpoint " + std::string(url) + ": bad host");
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (endpoint.host.empty() || authority.find('@') != std::string_view::npos) {
    return base::InvalidArgumentError("endpoint " + std::string(url) + ": bad host");
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    for (char c : port_text) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535) {
        return base::InvalidArgumentError("endpoint " + std::string(url) + ": bad port");
      }
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return base::InvalidArgumentError("endpoint " + std::string(url) + ": bad port");
    endpoint.port = static_cast<uint16_t>(port);
  }
  return endpoint;
}

base::Result<HttpResult> SendHttp(const Endpoint& endpoint, const SignableRequest& request,
                                  std::chrono::milliseconds timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;

  tcp::resolver resolver(io);
  auto addresses = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
  if (ec) return Unavailable(endpoint, "resolve", ec);
  stream.expires_after(timeout);
  stream.connect(addresses, ec);
  if (ec) return Unavailable(endpoint, "connect to", ec);
  if (endpoint.tls) return SendHttps(std::move(stream), endpoint, request);
  auto result = Exchange(stream, endpoint, request);
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return result;
}

}  // namespace kura::client
