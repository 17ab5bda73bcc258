#include "client/http_client.h"

#include <cctype>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace kura::client {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
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
  return base::UnavailableError("could not " + std::string(step) + " http://" + endpoint.HostHeader() + ": " +
                                ec.message());
}

}  // namespace

std::string Endpoint::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

base::Result<Endpoint> ParseEndpointUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    return base::InvalidArgumentError("endpoint " + std::string(url) +
                                      ": https is not supported; use http:// (kura serve speaks plain HTTP)");
  }
  if (url.rfind(kScheme, 0) != 0) {
    return base::InvalidArgumentError("endpoint " + std::string(url) + " must start with http://");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.find_first_of("?#") != std::string::npos) {
    return base::InvalidArgumentError("endpoint " + std::string(url) + " must not have a query or fragment");
  }
  Endpoint endpoint;
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

  http::write(stream, req, ec);
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
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return result;
}

}  // namespace kura::client
