#include "net/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace kura::net {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------
// A small blocking HTTP/1.1 client on raw sockets, with receive timeouts so a
// misbehaving server fails a test instead of hanging it.

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  const std::string* Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Client {
 public:
  explicit Client(uint16_t port, std::chrono::milliseconds timeout = 10s) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      connect_errno_ = errno;
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return fd_ >= 0; }
  int connect_errno() const { return connect_errno_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // Reads one response; nullopt on EOF, error or timeout.
  std::optional<Response> Read(bool head = false) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (Fill() <= 0) return std::nullopt;
    }
    std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    Response res;
    size_t line_end = head_text.find("\r\n");
    std::string status_line = head_text.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    res.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end == std::string::npos ? head_text.size() : line_end + 2;
    while (pos < head_text.size()) {
      size_t e = head_text.find("\r\n", pos);
      if (e == std::string::npos) e = head_text.size();
      std::string line = head_text.substr(pos, e - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        std::string name = Lower(line.substr(0, colon));
        if (res.headers.count(name)) {
          res.headers[name] += "," + value;
        } else {
          res.headers[name] = value;
        }
      }
      pos = e + 2;
    }
    if (res.status < 200 || res.status == 204 || res.status == 304 || head) return res;
    auto* cl = res.Header("content-length");
    if (cl == nullptr) return std::nullopt;  // the server always sends Content-Length
    size_t len = std::stoul(*cl);
    while (buf_.size() < len) {
      if (Fill() <= 0) return std::nullopt;
    }
    res.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return res;
  }

  // True when the server closed the connection (EOF or reset) before the
  // timeout, with no further bytes.
  bool WaitClosed() {
    for (;;) {
      if (!buf_.empty()) return false;
      char c[4096];
      ssize_t n = ::recv(fd_, c, sizeof(c), 0);
      if (n == 0) return true;
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == ECONNRESET;
      }
      buf_.append(c, static_cast<size_t>(n));
    }
  }

 private:
  int Fill() {
    char c[16384];
    for (;;) {
      ssize_t n = ::recv(fd_, c, sizeof(c), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) buf_.append(c, static_cast<size_t>(n));
      return static_cast<int>(n);
    }
  }

  int fd_ = -1;
  int connect_errno_ = 0;
  std::string buf_;
};

std::string Request(std::string_view method, std::string_view target, std::string_view body = "",
                    std::string_view extra_headers = "") {
  std::string out;
  out += method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\nHost: localhost\r\n";
  out += extra_headers;
  if (!body.empty() || method == "POST") out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

// Echoes the request back: the body, and a few facts as headers.
api::HttpResponse Echo(api::HttpRequest&& req) {
  api::HttpResponse res;
  res.SetHeader("X-Method", req.method);
  res.SetHeader("X-Target", req.target);
  res.SetHeader("X-Path", std::string(req.Path()));
  res.SetHeader("X-Remote", req.remote_address);
  if (const auto* v = req.Header("x-test")) res.SetHeader("X-Test-Echo", *v);
  res.SetHeader("X-Header-Count", std::to_string(req.headers.size()));
  res.SetHeader("Content-Type", "application/octet-stream");
  res.body = std::move(req.body);
  return res;
}

HttpServerOptions TestOptions() {
  HttpServerOptions o;
  o.port = 0;
  o.io_threads = 2;
  o.worker_threads = 4;
  o.idle_timeout = 10s;
  return o;
}

std::unique_ptr<HttpServer> MustStart(const HttpServerOptions& options, api::HttpHandler handler) {
  auto server = HttpServer::Start(options, std::move(handler));
  if (!server.ok()) {
    ADD_FAILURE() << server.status().ToString();
    return nullptr;
  }
  return std::move(server).value();
}

// A gate the handler waits on; the test opens it.
class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool Wait(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// ---------------------------------------------------------------------------

TEST(HttpServerTest, PortZeroPicksAFreePort) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->port(), 0);
  Client c(server->port());
  EXPECT_TRUE(c.connected());
  server->Stop();
}

TEST(HttpServerTest, GetRoundTrip) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Request("GET", "/a/b?Action=X&y=%20z", "", "X-Test: Hello World\r\n")));
  auto res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(*res->Header("x-method"), "GET");
  EXPECT_EQ(*res->Header("x-target"), "/a/b?Action=X&y=%20z");
  EXPECT_EQ(*res->Header("x-path"), "/a/b");
  EXPECT_EQ(*res->Header("x-test-echo"), "Hello World");
  EXPECT_EQ(*res->Header("x-header-count"), "2");
  EXPECT_EQ(res->Header("x-remote")->rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(*res->Header("content-type"), "application/octet-stream");
  EXPECT_EQ(*res->Header("server"), "kura");
  EXPECT_EQ(*res->Header("content-length"), "0");
  EXPECT_NE(res->Header("date"), nullptr);
  EXPECT_EQ(res->body, "");
}

TEST(HttpServerTest, PostRoundTripWithBody) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  std::string body = "Action=CreateKey&Version=2014-11-01";
  body += std::string(100000, 'x');
  body += std::string("\0\r\n\xff", 4);
  ASSERT_TRUE(c.Send(Request("POST", "/", body, "Content-Type: application/x-www-form-urlencoded\r\n")));
  auto res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(*res->Header("x-method"), "POST");
  EXPECT_EQ(*res->Header("content-length"), std::to_string(body.size()));
  EXPECT_EQ(res->body, body);
}

TEST(HttpServerTest, HandlerStatusAndHeadersAreCopied) {
  auto server = MustStart(TestOptions(), [](api::HttpRequest&&) {
    api::HttpResponse res;
    res.status = 404;
    res.headers = {{"X-Amzn-RequestId", "r-1"}, {"x-multi", "a"}, {"x-multi", "b"}, {"Content-Length", "999"}};
    res.body = "{\"__type\":\"NotFoundException\"}";
    return res;
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send(Request("GET", "/")));
  auto res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(*res->Header("x-amzn-requestid"), "r-1");
  EXPECT_EQ(*res->Header("x-multi"), "a,b");
  EXPECT_EQ(*res->Header("content-length"), std::to_string(res->body.size()));
  EXPECT_EQ(res->body, "{\"__type\":\"NotFoundException\"}");
  // Still usable.
  ASSERT_TRUE(c.Send(Request("GET", "/")));
  ASSERT_TRUE(c.Read().has_value());
}

TEST(HttpServerTest, HeadGetsContentLengthButNoBody) {
  auto server = MustStart(TestOptions(), [](api::HttpRequest&&) {
    api::HttpResponse res;
    res.body = "twelve bytes";
    return res;
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send(Request("HEAD", "/")));
  auto res = c.Read(/*head=*/true);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(*res->Header("content-length"), "12");
  ASSERT_TRUE(c.Send(Request("GET", "/")));
  res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "twelve bytes");
}

TEST(HttpServerTest, KeepAliveHundredRequestsOnOneConnection) {
  std::mutex mu;
  std::set<std::string> remotes;
  auto server = MustStart(TestOptions(), [&](api::HttpRequest&& req) {
    {
      std::lock_guard<std::mutex> lock(mu);
      remotes.insert(req.remote_address);
    }
    return Echo(std::move(req));
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  for (int i = 0; i < 100; ++i) {
    std::string body = "request " + std::to_string(i);
    ASSERT_TRUE(c.Send(Request("POST", "/k" + std::to_string(i), body))) << i;
    auto res = c.Read();
    ASSERT_TRUE(res.has_value()) << i;
    EXPECT_EQ(res->body, body);
    EXPECT_EQ(*res->Header("x-target"), "/k" + std::to_string(i));
    EXPECT_EQ(res->Header("connection"), nullptr);
  }
  EXPECT_EQ(remotes.size(), 1u);
}

TEST(HttpServerTest, PipelinedRequestsAnsweredInOrder) {
  auto server = MustStart(TestOptions(), [](api::HttpRequest&& req) {
    if (req.target == "/0") std::this_thread::sleep_for(50ms);  // the first is the slowest
    return Echo(std::move(req));
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  std::string all;
  for (int i = 0; i < 5; ++i) all += Request("POST", "/" + std::to_string(i), "body" + std::to_string(i));
  ASSERT_TRUE(c.Send(all));
  for (int i = 0; i < 5; ++i) {
    auto res = c.Read();
    ASSERT_TRUE(res.has_value()) << i;
    EXPECT_EQ(res->body, "body" + std::to_string(i));
  }
}

TEST(HttpServerTest, ConnectionCloseIsHonoured) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send(Request("GET", "/", "", "Connection: close\r\n")));
  auto res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(Lower(*res->Header("connection")), "close");
  EXPECT_TRUE(c.WaitClosed());
}

TEST(HttpServerTest, Http10ClosesUnlessKeepAlive) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_NE(server, nullptr);
  {
    Client c(server->port());
    ASSERT_TRUE(c.Send("GET /x HTTP/1.0\r\n\r\n"));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 200);
    EXPECT_TRUE(c.WaitClosed());
  }
  {
    Client c(server->port());
    ASSERT_TRUE(c.Send("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value());
    ASSERT_TRUE(c.Send("GET /y HTTP/1.0\r\n\r\n"));
    res = c.Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(*res->Header("x-target"), "/y");
    EXPECT_TRUE(c.WaitClosed());
  }
}

TEST(HttpServerTest, ChunkedRequestBody) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"));
  auto res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "hello world");
  // Keep-alive after a chunked request.
  ASSERT_TRUE(c.Send(Request("POST", "/d", "next")));
  res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "next");
}

TEST(HttpServerTest, ExpectContinue) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = c.Read();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.Send("data"));
  auto res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "data");
}

TEST(HttpServerTest, OversizedBodyGets413AndClose) {
  auto options = TestOptions();
  options.max_body_bytes = 1024;
  std::atomic<int> calls{0};
  auto server = MustStart(options, [&](api::HttpRequest&& req) {
    ++calls;
    return Echo(std::move(req));
  });
  ASSERT_NE(server, nullptr);
  {  // Exactly at the limit is fine.
    Client c(server->port());
    ASSERT_TRUE(c.Send(Request("POST", "/", std::string(1024, 'a'))));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 200);
  }
  {  // Content-Length beyond the limit: refused up front; the whole body is sent anyway.
    Client c(server->port());
    ASSERT_TRUE(c.Send(Request("POST", "/", std::string(2 << 20, 'b'))));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 413);
    EXPECT_EQ(*res->Header("server"), "kura");
    EXPECT_EQ(Lower(*res->Header("connection")), "close");
    EXPECT_LT(res->body.size(), 100u);
    EXPECT_TRUE(c.WaitClosed());
  }
  {  // Chunked beyond the limit.
    Client c(server->port());
    std::string req = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 4; ++i) req += "200\r\n" + std::string(512, 'c') + "\r\n";
    req += "0\r\n\r\n";
    ASSERT_TRUE(c.Send(req));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 413);
    EXPECT_TRUE(c.WaitClosed());
  }
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServerTest, HugeHeaderGets431) {
  auto options = TestOptions();
  options.max_header_bytes = 4096;
  auto server = MustStart(options, Echo);
  ASSERT_NE(server, nullptr);
  {
    Client c(server->port());
    ASSERT_TRUE(c.Send(Request("GET", "/", "", "X-Big: " + std::string(100000, 'h') + "\r\n")));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_TRUE(res->status == 431 || res->status == 400) << res->status;
    EXPECT_TRUE(c.WaitClosed());
  }
  {  // Many small headers add up too.
    Client c(server->port());
    std::string extra;
    for (int i = 0; i < 1000; ++i) extra += "X-H" + std::to_string(i) + ": v\r\n";
    ASSERT_TRUE(c.Send(Request("GET", "/", "", extra)));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 431);
  }
  {  // A huge request line.
    Client c(server->port());
    ASSERT_TRUE(c.Send(Request("GET", "/" + std::string(10000, 'p'))));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_TRUE(res->status == 431 || res->status == 400) << res->status;
  }
  Client ok(server->port());
  ASSERT_TRUE(ok.Send(Request("GET", "/fine")));
  auto res = ok.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
}

TEST(HttpServerTest, MalformedRequestsGet400AndServerKeepsServing) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_NE(server, nullptr);
  const std::vector<std::string> bad = {
      std::string("\x00\x01\x02garbage\xff\xfe\r\n\r\n", 16),
      "GARBAGE\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Header Without Colon\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\nhello",
      "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
  };
  for (const auto& req : bad) {
    Client c(server->port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Send(req));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value()) << req;
    EXPECT_GE(res->status, 400) << req;
    EXPECT_LT(res->status, 500) << req;
    EXPECT_EQ(*res->Header("server"), "kura");
    EXPECT_TRUE(c.WaitClosed()) << req;
  }
  // Random bytes, many times.
  uint32_t seed = 12345;
  for (int round = 0; round < 50; ++round) {
    Client c(server->port());
    std::string junk;
    for (int i = 0; i < 300; ++i) {
      seed = seed * 1664525u + 1013904223u;
      junk += static_cast<char>(seed >> 24);
    }
    junk += "\r\n\r\n";
    c.Send(junk);
    c.Read();
  }
  Client next(server->port());
  ASSERT_TRUE(next.Send(Request("GET", "/after")));
  auto res = next.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(*res->Header("x-target"), "/after");
}

TEST(HttpServerTest, TruncatedBodyAndEarlyCloseDoNotHurt) {
  auto options = TestOptions();
  options.idle_timeout = 1s;
  std::atomic<int> calls{0};
  auto server = MustStart(options, [&](api::HttpRequest&& req) {
    ++calls;
    return Echo(std::move(req));
  });
  ASSERT_NE(server, nullptr);
  {  // Body cut short, then the client half-closes.
    Client c(server->port());
    ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly ten.."));
    c.ShutdownWrite();
    auto res = c.Read();
    if (res.has_value()) {
      EXPECT_EQ(res->status, 400);
    }
    EXPECT_TRUE(c.WaitClosed());
  }
  {  // Body cut short, the client just goes quiet: the idle timeout closes it.
    Client c(server->port());
    ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly ten.."));
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.WaitClosed());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  }
  {  // Half a request line, then close.
    Client c(server->port());
    ASSERT_TRUE(c.Send("GET /half"));
  }
  {  // Connect and leave at once.
    Client c(server->port());
  }
  Client next(server->port());
  ASSERT_TRUE(next.Send(Request("GET", "/after")));
  auto res = next.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServerTest, IdleConnectionTimesOut) {
  auto options = TestOptions();
  options.idle_timeout = 1s;
  auto server = MustStart(options, Echo);
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send(Request("GET", "/")));
  ASSERT_TRUE(c.Read().has_value());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.WaitClosed());
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 500ms);
  EXPECT_LT(elapsed, 5s);
}

TEST(HttpServerTest, HandlerExceptionGives500) {
  auto server = MustStart(TestOptions(), [](api::HttpRequest&& req) -> api::HttpResponse {
    if (req.target == "/throw") throw std::runtime_error("boom");
    if (req.target == "/throw-int") throw 42;
    if (req.target == "/bad-status") {
      api::HttpResponse res;
      res.status = 42;
      return res;
    }
    return Echo(std::move(req));
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  for (const char* target : {"/throw", "/throw-int", "/bad-status"}) {
    ASSERT_TRUE(c.Send(Request("GET", target)));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value()) << target;
    EXPECT_EQ(res->status, 500) << target;
  }
  ASSERT_TRUE(c.Send(Request("GET", "/ok")));
  auto res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
}

TEST(HttpServerTest, ConcurrentClients) {
  std::atomic<int> calls{0};
  auto server = MustStart(TestOptions(), [&](api::HttpRequest&& req) {
    ++calls;
    return Echo(std::move(req));
  });
  ASSERT_NE(server, nullptr);
  constexpr int kThreads = 8;
  constexpr int kRequests = 50;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Half the threads keep one connection, the others reconnect each time.
      std::unique_ptr<Client> c;
      for (int i = 0; i < kRequests; ++i) {
        if (!c || t % 2 == 1) c = std::make_unique<Client>(server->port());
        std::string body = "t" + std::to_string(t) + "-r" + std::to_string(i);
        if (!c->Send(Request("POST", "/" + body, body))) return;
        auto res = c->Read();
        if (!res || res->status != 200 || res->body != body || *res->Header("x-target") != "/" + body) return;
        ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), kThreads * kRequests);
  EXPECT_EQ(calls.load(), kThreads * kRequests);
}

TEST(HttpServerTest, SlowHandlerDoesNotBlockOtherConnections) {
  auto options = TestOptions();
  options.worker_threads = 2;
  options.io_threads = 1;
  Gate slow_entered;
  Gate release;
  auto server = MustStart(options, [&](api::HttpRequest&& req) {
    if (req.target == "/slow") {
      slow_entered.Open();
      release.Wait();
    }
    return Echo(std::move(req));
  });
  ASSERT_NE(server, nullptr);
  std::optional<Response> slow_res;
  std::thread slow([&] {
    Client c(server->port());
    c.Send(Request("GET", "/slow"));
    slow_res = c.Read();
  });
  ASSERT_TRUE(slow_entered.Wait());
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    Client c(server->port());
    ASSERT_TRUE(c.Send(Request("GET", "/fast")));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 200);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  release.Open();
  slow.join();
  ASSERT_TRUE(slow_res.has_value());
  EXPECT_EQ(*slow_res->Header("x-target"), "/slow");
}

TEST(HttpServerTest, FullQueueGets503) {
  auto options = TestOptions();
  options.worker_threads = 1;
  options.max_queued_requests = 1;
  Gate first_entered;
  Gate release;
  auto server = MustStart(options, [&](api::HttpRequest&& req) {
    if (req.target == "/block") {
      first_entered.Open();
      release.Wait();
    }
    return Echo(std::move(req));
  });
  ASSERT_NE(server, nullptr);
  Client running(server->port());
  ASSERT_TRUE(running.Send(Request("GET", "/block")));
  ASSERT_TRUE(first_entered.Wait());
  Client queued(server->port());
  ASSERT_TRUE(queued.Send(Request("GET", "/queued")));
  std::this_thread::sleep_for(200ms);  // let it reach the queue
  Client rejected(server->port());
  ASSERT_TRUE(rejected.Send(Request("GET", "/rejected")));
  auto res = rejected.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(*res->Header("server"), "kura");
  release.Open();
  auto r1 = running.Read();
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(*r1->Header("x-target"), "/block");
  auto r2 = queued.Read();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(*r2->Header("x-target"), "/queued");
  // The rejected connection stays usable once there is room.
  ASSERT_TRUE(rejected.Send(Request("GET", "/again")));
  res = rejected.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
}

TEST(HttpServerTest, StopLetsSlowRequestFinishThenRefuses) {
  Gate entered;
  auto server = MustStart(TestOptions(), [&](api::HttpRequest&& req) {
    if (req.target == "/slow") {
      entered.Open();
      std::this_thread::sleep_for(500ms);
      api::HttpResponse res;
      res.body = std::string(200000, 's');
      return res;
    }
    return Echo(std::move(req));
  });
  ASSERT_NE(server, nullptr);
  uint16_t port = server->port();

  Client idle(port);  // an idle keep-alive connection
  ASSERT_TRUE(idle.Send(Request("GET", "/idle")));
  ASSERT_TRUE(idle.Read().has_value());

  std::optional<Response> slow_res;
  std::thread slow([&] {
    Client c(port);
    c.Send(Request("GET", "/slow"));
    slow_res = c.Read();
  });
  ASSERT_TRUE(entered.Wait());
  auto start = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  slow.join();
  ASSERT_TRUE(slow_res.has_value());
  EXPECT_EQ(slow_res->status, 200);
  EXPECT_EQ(slow_res->body.size(), 200000u);
  EXPECT_EQ(Lower(*slow_res->Header("connection")), "close");

  EXPECT_TRUE(idle.WaitClosed());
  Client after(port);
  EXPECT_FALSE(after.connected());
  EXPECT_EQ(after.connect_errno(), ECONNREFUSED);

  server->Stop();  // a second Stop is harmless
  server.reset();
}

TEST(HttpServerTest, PortInUseFailsAndPortIsFreeAfterStop) {
  auto first = MustStart(TestOptions(), Echo);
  ASSERT_NE(first, nullptr);
  auto options = TestOptions();
  options.port = first->port();
  auto second = HttpServer::Start(options, Echo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), base::StatusCode::kUnavailable);
  EXPECT_EQ(second.status().message(),
            "listen on 127.0.0.1:" + std::to_string(first->port()) + ": Address already in use");

  {  // Leave a connection in TIME_WAIT on the server side.
    Client c(first->port());
    ASSERT_TRUE(c.Send(Request("GET", "/", "", "Connection: close\r\n")));
    ASSERT_TRUE(c.Read().has_value());
    c.WaitClosed();
  }
  first->Stop();
  auto third = HttpServer::Start(options, Echo);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  Client c((*third)->port());
  ASSERT_TRUE(c.Send(Request("GET", "/third")));
  auto res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(*res->Header("x-target"), "/third");
}

TEST(HttpServerTest, NoHandlerIsAnError) {
  auto no_handler = HttpServer::Start(TestOptions(), nullptr);
  EXPECT_FALSE(no_handler.ok());
}

TEST(HttpServerTest, DestructorStopsWithOpenConnections) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_NE(server, nullptr);
  Client a(server->port());
  Client b(server->port());
  ASSERT_TRUE(b.Send("GET /partial HTTP/1.1\r\nHost"));
  ASSERT_TRUE(a.Send(Request("GET", "/")));
  ASSERT_TRUE(a.Read().has_value());
  server.reset();
  EXPECT_TRUE(a.WaitClosed());
  EXPECT_TRUE(b.WaitClosed());
}

}  // namespace
}  // namespace kura::net

// ---------------------------------------------------------------------------
// worker_threads = 0: handlers run on the I/O threads.

namespace kura::net {
namespace {

HttpServerOptions InlineOptions() {
  HttpServerOptions o = TestOptions();
  o.worker_threads = 0;
  return o;
}

TEST(HttpServerInlineTest, KeepAliveRoundTrips) {
  auto server = MustStart(InlineOptions(), Echo);
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  for (int i = 0; i < 20; ++i) {
    std::string body = "request " + std::to_string(i);
    ASSERT_TRUE(c.Send(Request("POST", "/k" + std::to_string(i), body))) << i;
    auto res = c.Read();
    ASSERT_TRUE(res.has_value()) << i;
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, body);
  }
  server->Stop();
}

TEST(HttpServerInlineTest, ASlowHandlerLeavesTheOtherIoThreadServing) {
  Gate entered, release;
  auto server = MustStart(InlineOptions(), [&](api::HttpRequest&& req) {
    if (req.target == "/slow") {
      entered.Open();
      release.Wait();
    }
    return Echo(std::move(req));
  });
  ASSERT_NE(server, nullptr);
  uint16_t port = server->port();
  std::optional<Response> slow_res;
  std::thread slow([&] {
    Client c(port);
    c.Send(Request("GET", "/slow"));
    slow_res = c.Read();
  });
  ASSERT_TRUE(entered.Wait());
  // One I/O thread is busy in /slow; the other accepts and answers.
  Client fast(port);
  ASSERT_TRUE(fast.Send(Request("GET", "/fast")));
  auto res = fast.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(*res->Header("x-target"), "/fast");
  release.Open();
  slow.join();
  ASSERT_TRUE(slow_res.has_value());
  EXPECT_EQ(slow_res->status, 200);
  server->Stop();
}

TEST(HttpServerInlineTest, BlockingRequestsWaitOnTheirOwnPool) {
  // One I/O thread: inline, only one handler could run at a time. Requests
  // marked blocking all wait at once on the pool while /fast is still answered.
  HttpServerOptions o = InlineOptions();
  o.io_threads = 1;
  o.blocking = [](const api::HttpRequest& r) { return r.target.rfind("/block", 0) == 0; };
  o.blocking_threads = 8;
  constexpr int kBlocked = 6;
  std::mutex mu;
  int inside = 0;
  Gate all_inside, release;
  auto server = MustStart(o, [&](api::HttpRequest&& req) {
    if (req.target.rfind("/block", 0) == 0) {
      {
        std::lock_guard lock(mu);
        if (++inside == kBlocked) all_inside.Open();
      }
      release.Wait();
    }
    return Echo(std::move(req));
  });
  ASSERT_NE(server, nullptr);
  const uint16_t port = server->port();
  std::vector<std::thread> clients;
  std::vector<std::optional<Response>> results(kBlocked);
  for (int i = 0; i < kBlocked; ++i) {
    clients.emplace_back([&, i] {
      Client c(port);
      c.Send(Request("GET", "/block" + std::to_string(i)));
      results[i] = c.Read();
    });
  }
  if (!all_inside.Wait(5s)) {
    release.Open();  // let the clients finish before failing
    for (auto& t : clients) t.join();
    FAIL() << "blocking handlers did not run side by side";
  }
  Client fast(port);
  ASSERT_TRUE(fast.Send(Request("GET", "/fast")));
  auto res = fast.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(*res->Header("x-target"), "/fast");
  release.Open();
  for (auto& t : clients) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
  }
  server->Stop();
}

TEST(HttpServerInlineTest, HandlerExceptionIsA500) {
  auto server = MustStart(InlineOptions(), [](api::HttpRequest&&) -> api::HttpResponse {
    throw std::runtime_error("boom");
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send(Request("GET", "/x")));
  auto res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 500);
  server->Stop();
}

}  // namespace
}  // namespace kura::net
