#include "client/http_client.h"

#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

namespace kura::client {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

TEST(ParseEndpointUrlTest, Forms) {
  auto e = ParseEndpointUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 8080);
  EXPECT_EQ(e->base_path, "");
  EXPECT_EQ(e->HostHeader(), "127.0.0.1:8080");
  e = ParseEndpointUrl("http://localhost/prefix/");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->port, 80);
  EXPECT_EQ(e->base_path, "/prefix");
  e = ParseEndpointUrl("http://[::1]:9000");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->HostHeader(), "[::1]:9000");
  EXPECT_FALSE(e->tls);
  for (const char* bad : {"ftp://localhost", "localhost:80", "https://", "http://", "http://host:0", "http://host:70000",
                          "http://host:8a", "http://u@host", "http://host/p?q=1"}) {
    EXPECT_EQ(ParseEndpointUrl(bad).status().code(), base::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ParseEndpointUrlTest, HttpsAndDefaultPorts) {
  auto e = ParseEndpointUrl("https://ec2.us-east-1.amazonaws.com");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(e->tls);
  EXPECT_EQ(e->host, "ec2.us-east-1.amazonaws.com");
  EXPECT_EQ(e->port, 443);
  // The default port stays out of the Host header, as botocore signs it.
  EXPECT_EQ(e->HostHeader(), "ec2.us-east-1.amazonaws.com");
  EXPECT_EQ(e->Origin(), "https://ec2.us-east-1.amazonaws.com");
  e = ParseEndpointUrl("https://vpce.example:8443/base");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->port, 8443);
  EXPECT_EQ(e->base_path, "/base");
  EXPECT_EQ(e->HostHeader(), "vpce.example:8443");
  e = ParseEndpointUrl("http://localhost");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->HostHeader(), "localhost");
  EXPECT_EQ(e->Origin(), "http://localhost");
}

TEST(SendHttpTest, HttpsToAPlainServerFailsAsUnavailable) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = acceptor.local_endpoint().port();
  std::thread server([&] {
    tcp::socket socket(io);
    acceptor.accept(socket);
    const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(reply, sizeof(reply) - 1), ec);
  });
  Endpoint endpoint{"127.0.0.1", port, "", true};
  SignableRequest request;
  request.method = "GET";
  auto r = SendHttp(endpoint, request, std::chrono::seconds(5));
  server.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("TLS handshake"), std::string::npos) << r.status().message();
}

TEST(SendHttpTest, SendsTheRequestAndReadsTheResponse) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = acceptor.local_endpoint().port();
  http::request<http::string_body> seen;
  std::thread server([&] {
    tcp::socket socket(io);
    acceptor.accept(socket);
    boost::beast::flat_buffer buffer;
    http::read(socket, buffer, seen);
    http::response<http::string_body> res{http::status::conflict, 11};
    res.set("X-Test", "yes");
    res.body() = R"({"ok":true})";
    res.prepare_payload();
    http::write(socket, res);
  });
  Endpoint endpoint{"127.0.0.1", port, ""};
  SignableRequest request;
  request.method = "POST";
  request.path = "/_kura/admin/CreateAccount";
  request.query = "a=1";
  request.headers = {{"Content-Type", "application/json"}, {"X-Amz-Date", "20250101T000000Z"}};
  request.body = "{}";
  auto result = SendHttp(endpoint, request);
  server.join();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->status, 409);
  EXPECT_EQ(result->body, R"({"ok":true})");
  bool found = false;
  for (const auto& [name, value] : result->headers) found |= name == "X-Test" && value == "yes";
  EXPECT_TRUE(found);
  EXPECT_EQ(seen.method_string(), "POST");
  EXPECT_EQ(seen.target(), "/_kura/admin/CreateAccount?a=1");
  EXPECT_EQ(seen[http::field::host], "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(seen["x-amz-date"], "20250101T000000Z");
  EXPECT_EQ(seen.body(), "{}");
}

TEST(SendHttpTest, RefusedConnectionIsUnavailable) {
  uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  SignableRequest request;
  request.method = "GET";
  request.path = "/";
  auto result = SendHttp(Endpoint{"127.0.0.1", port, ""}, request, std::chrono::seconds(5));
  EXPECT_EQ(result.status().code(), base::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kura::client
