#include "net/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <ctime>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "base/log.h"
#include "net/io_context_pool.h"

namespace kura::net {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

using base::LogEvent;
using base::LogLevel;

// How long a connection that is being closed after an error response keeps
// reading (and discarding) what the client still sends, so that the response
// is not destroyed by a TCP reset.
constexpr std::chrono::seconds kDrainTimeout{2};
constexpr size_t kDrainMaxBytes = 64u << 20;
// Slack above the header limit for the read buffer (pipelined bytes, chunk headers).
constexpr size_t kBufferSlack = 64u << 10;
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string EndpointString(const tcp::endpoint& ep) {
  std::string out;
  if (ep.address().is_v6()) {
    out = "[" + ep.address().to_string() + "]";
  } else {
    out = ep.address().to_string();
  }
  out += ':';
  out += std::to_string(ep.port());
  return out;
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view ToStd(beast::string_view s) { return std::string_view(s.data(), s.size()); }

std::string Lower(std::string_view in) {
  std::string out(in);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool ValidHeaderName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), IsTokenChar);
}

bool ValidHeaderValue(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

bool ContainsCloseToken(std::string_view value) {
  std::string v = Lower(value);
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    if (comma == std::string::npos) comma = v.size();
    std::string_view tok(v.data() + pos, comma - pos);
    while (!tok.empty() && (tok.front() == ' ' || tok.front() == '\t')) tok.remove_prefix(1);
    while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t')) tok.remove_suffix(1);
    if (tok == "close") return true;
    pos = comma + 1;
  }
  return false;
}

std::string HttpDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

bool IsHttpCategory(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

class ServerImpl;

// One accepted connection. Every member is touched only on the connection's
// strand (the executor of `stream_`), except `server_` which is immutable.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerImpl* server, tcp::socket socket, std::string remote);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start();
  // Called (on the strand) when the server stops: idle connections close.
  void OnServerStop();
  // Called from a worker thread with the handler's answer.
  void PostResponse(api::HttpResponse response);
  asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  enum class State { kReading, kHandling, kWriting, kDraining, kClosed };

  void ReadRequest();
  void OnHeader(error_code ec);
  void ReadBody();
  void OnBody(error_code ec);
  void OnReadError(error_code ec);
  void RejectBadRequest(const std::string& why);
  void Dispatch();
  void WriteResponse(api::HttpResponse response);
  void WriteSimple(http::status status, std::string_view body, bool close_after);
  void StartWrite(bool close_after, bool drain_after);
  void OnWrite(error_code ec, bool close_after, bool drain_after);
  void StartDrain();
  void DoDrain();
  void Close(std::string_view reason);

  ServerImpl* const server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  State state_ = State::kReading;
  // Of the request being handled.
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  std::string remote_;
  uint64_t requests_ = 0;
  std::string close_reason_ = "closed";
  std::unique_ptr<std::array<char, 16384>> drain_buffer_;
  size_t drained_ = 0;
};

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& options, api::HttpHandler handler)
      : options_(options),
        handler_(std::move(handler)),
        ios_(options.io_threads, "http_io_exception"),
        acceptor_(asio::make_strand(ios_.listener())),
        accept_retry_(acceptor_.get_executor()),
        workers_(std::max<size_t>(1, options.worker_threads != 0 ? options.worker_threads
                                                                 : (options.blocking ? options.blocking_threads : 1))) {}

  ~ServerImpl() override { Stop(); }

  base::Status Listen();
  void Run();

  uint16_t port() const override { return port_; }
  void Stop() override;

  const HttpServerOptions& options() const { return options_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // False when the queue is full (the caller answers 503).
  bool Submit(std::shared_ptr<Session> session, api::HttpRequest request);
  bool inline_handlers() const { return options_.worker_threads == 0; }
  // Inline mode, but this request goes to the pool (HttpServerOptions::blocking).
  bool offloaded(const api::HttpRequest& request) const {
    return inline_handlers() && options_.blocking && options_.blocking(request);
  }
  // Runs the handler; an exception becomes a 500.
  api::HttpResponse RunHandler(api::HttpRequest&& request);
  void Unregister(Session* session);

 private:
  void DoAccept();
  void OnAccept(error_code ec, tcp::socket socket);

  const HttpServerOptions options_;
  const api::HttpHandler handler_;
  IoContextPool ios_;  // the acceptor on the listener context, each connection on one of the others
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  asio::thread_pool workers_;
  std::atomic<size_t> in_flight_{0};
  uint16_t port_ = 0;
  std::string listen_address_;

  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;  // guarded by mu_
  bool stopped_ = false;  // only the controlling thread
  bool running_ = false;  // only the controlling thread
};

// ---------------------------------------------------------------------------
// Session

Session::Session(ServerImpl* server, tcp::socket socket, std::string remote)
    : server_(server),
      stream_(std::move(socket)),
      buffer_(std::min(server->options().max_header_bytes, std::numeric_limits<size_t>::max() / 2) + kBufferSlack),
      remote_(std::move(remote)) {}

Session::~Session() {
  error_code ec;
  stream_.socket().close(ec);
  LogEvent(LogLevel::kDebug, "http_connection_close",
           {{"remote", remote_}, {"requests", std::to_string(requests_)}, {"reason", close_reason_}});
  server_->Unregister(this);
}

void Session::Start() {
  LogEvent(LogLevel::kDebug, "http_connection_open", {{"remote", remote_}});
  error_code ec;
  stream_.socket().set_option(tcp::no_delay(true), ec);
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadRequest(); });
}

void Session::OnServerStop() {
  // A connection waiting for (or in the middle of receiving) a request has
  // nothing in flight: close it. Others close once their response is written.
  if (state_ == State::kReading) Close("server stopping");
}

void Session::ReadRequest() {
  if (server_->stopping()) {
    Close("server stopping");
    return;
  }
  state_ = State::kReading;
  const auto& opts = server_->options();
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(
      std::min<size_t>(opts.max_header_bytes, std::numeric_limits<uint32_t>::max())));
  parser_->body_limit(static_cast<uint64_t>(opts.max_body_bytes));
  stream_.expires_after(opts.idle_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
}

void Session::OnHeader(error_code ec) {
  if (ec) {
    OnReadError(ec);
    return;
  }
  const auto& req = parser_->get();
  // Only chunked framing is understood; anything else (or both framings at
  // once) is how requests get smuggled past proxies (RFC 9112 6.1, 6.3).
  if (req.count(http::field::transfer_encoding) > 0 &&
      (!parser_->chunked() || req.count(http::field::content_length) > 0)) {
    ++requests_;
    RejectBadRequest("unsupported transfer-encoding");
    return;
  }
  if (parser_->is_done()) {
    Dispatch();
    return;
  }
  auto expect = req[http::field::expect];
  if (req.version() >= 11 && beast::iequals(expect, "100-continue")) {
    stream_.expires_after(server_->options().idle_timeout);
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](error_code wec, size_t) {
                        if (wec) {
                          self->Close("write error");
                          return;
                        }
                        self->ReadBody();
                      });
    return;
  }
  ReadBody();
}

void Session::ReadBody() {
  stream_.expires_after(server_->options().idle_timeout);
  http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) { self->OnBody(ec); });
}

void Session::OnBody(error_code ec) {
  if (ec) {
    OnReadError(ec);
    return;
  }
  Dispatch();
}

void Session::OnReadError(error_code ec) {
  if (ec == http::error::end_of_stream) {
    Close("client closed");
    return;
  }
  if (ec == beast::error::timeout) {
    Close("idle timeout");
    return;
  }
  if (!IsHttpCategory(ec)) {
    // Transport trouble (reset, aborted by Stop, ...): nothing to answer.
    Close(ec == asio::error::operation_aborted ? "server stopping" : "read error: " + ec.message());
    return;
  }
  ++requests_;
  if (ec == http::error::header_limit || (ec == http::error::buffer_overflow && !parser_->is_header_done())) {
    LogEvent(LogLevel::kInfo, "http_request_rejected", {{"remote", remote_}, {"status", "431"}});
    close_reason_ = "header too large";
    WriteSimple(http::status::request_header_fields_too_large, "Request Header Fields Too Large\n", true);
    return;
  }
  if (ec == http::error::body_limit) {
    LogEvent(LogLevel::kInfo, "http_request_rejected", {{"remote", remote_}, {"status", "413"}});
    close_reason_ = "body too large";
    WriteSimple(http::status::payload_too_large, "Payload Too Large\n", true);
    return;
  }
  RejectBadRequest(ec.message());
}

void Session::RejectBadRequest(const std::string& why) {
  LogEvent(LogLevel::kInfo, "http_request_rejected", {{"remote", remote_}, {"status", "400"}, {"error", why}});
  close_reason_ = "malformed request: " + why;
  WriteSimple(http::status::bad_request, "Bad Request\n", true);
}

void Session::Dispatch() {
  ++requests_;
  stream_.expires_never();
  auto msg = parser_->release();
  parser_.reset();
  version_ = msg.version();
  keep_alive_ = msg.keep_alive();
  head_ = msg.method() == http::verb::head;

  api::HttpRequest request;
  request.method = std::string(ToStd(msg.method_string()));
  request.target = std::string(ToStd(msg.target()));
  for (const auto& field : msg) {
    request.headers.emplace_back(Lower(ToStd(field.name_string())), std::string(ToStd(field.value())));
  }
  request.body = std::move(msg.body());
  request.remote_address = remote_;

  state_ = State::kHandling;
  if (server_->inline_handlers() && !server_->offloaded(request)) {
    WriteResponse(server_->RunHandler(std::move(request)));
    return;
  }
  if (!server_->Submit(shared_from_this(), std::move(request))) {
    LogEvent(LogLevel::kWarn, "http_request_rejected", {{"remote", remote_}, {"status", "503"}});
    WriteSimple(http::status::service_unavailable, "Service Unavailable: too many requests queued\n", false);
  }
}

void Session::PostResponse(api::HttpResponse response) {
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), response = std::move(response)]() mutable {
               self->WriteResponse(std::move(response));
             });
}

void Session::WriteResponse(api::HttpResponse in) {
  if (state_ == State::kClosed) return;
  if (in.status < 200 || in.status > 599) {
    LogEvent(LogLevel::kError, "http_handler_bad_status", {{"status", std::to_string(in.status)}});
    in = api::HttpResponse{};
    in.status = 500;
    in.headers = {{"Content-Type", "text/plain"}};
    in.body = "Internal Server Error\n";
  }
  bool close_after = !keep_alive_ || server_->stopping();
  bool has_server = false;
  bool has_date = false;

  response_.emplace();
  auto& res = *response_;
  res.version(version_ == 10 ? 10 : 11);
  res.result(static_cast<unsigned>(in.status));
  for (auto& [name, value] : in.headers) {
    std::string lower = Lower(name);
    if (!ValidHeaderName(name) || !ValidHeaderValue(value)) {
      LogEvent(LogLevel::kWarn, "http_handler_bad_header", {{"name", name}});
      continue;
    }
    // Framing is the server's business.
    if (lower == "content-length" || lower == "transfer-encoding") continue;
    if (lower == "connection") {
      if (ContainsCloseToken(value)) close_after = true;
      continue;
    }
    if (lower == "server") has_server = true;
    if (lower == "date") has_date = true;
    res.insert(name, value);
  }
  if (!has_server) res.set(http::field::server, "kura");
  if (!has_date) res.set(http::field::date, HttpDate());

  const bool no_body_status = in.status == 204 || in.status == 304;
  if (no_body_status) {
    // These responses never have a body (RFC 9110 6.4.1).
  } else if (head_) {
    res.content_length(in.body.size());
  } else {
    res.body() = std::move(in.body);
    res.content_length(res.body().size());
  }
  res.keep_alive(!close_after);
  StartWrite(close_after, false);
}

void Session::WriteSimple(http::status status, std::string_view body, bool close_after) {
  if (state_ == State::kClosed) return;
  close_after = close_after || !keep_alive_ || server_->stopping();
  response_.emplace();
  auto& res = *response_;
  res.version(11);
  res.result(status);
  res.set(http::field::server, "kura");
  res.set(http::field::date, HttpDate());
  res.set(http::field::content_type, "text/plain");
  if (status == http::status::service_unavailable) res.set(http::field::retry_after, "1");
  res.body() = std::string(body);
  res.content_length(res.body().size());
  res.keep_alive(!close_after);
  // After an error in the request itself the client may still be sending.
  StartWrite(close_after, close_after && status != http::status::service_unavailable);
}

void Session::StartWrite(bool close_after, bool drain_after) {
  state_ = State::kWriting;
  stream_.expires_after(server_->options().idle_timeout);
  http::async_write(stream_, *response_,
                    [self = shared_from_this(), close_after, drain_after](error_code ec, size_t) {
                      self->OnWrite(ec, close_after, drain_after);
                    });
}

void Session::OnWrite(error_code ec, bool close_after, bool drain_after) {
  response_.reset();
  if (ec) {
    Close("write error: " + ec.message());
    return;
  }
  if (drain_after) {
    StartDrain();
    return;
  }
  if (close_after) {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    Close(close_reason_ == "closed" ? "connection close" : close_reason_);
    return;
  }
  ReadRequest();
}

void Session::StartDrain() {
  state_ = State::kDraining;
  error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  drain_buffer_ = std::make_unique<std::array<char, 16384>>();
  drained_ = 0;
  stream_.expires_after(kDrainTimeout);
  DoDrain();
}

void Session::DoDrain() {
  stream_.async_read_some(asio::buffer(*drain_buffer_), [self = shared_from_this()](error_code ec, size_t n) {
    self->drained_ += n;
    if (ec || self->drained_ > kDrainMaxBytes) {
      self->Close(self->close_reason_);
      return;
    }
    self->DoDrain();
  });
}

void Session::Close(std::string_view reason) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  close_reason_ = std::string(reason);
  stream_.close();
}

// ---------------------------------------------------------------------------
// ServerImpl

base::Status ServerImpl::Listen() {
  error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(options_.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options_.port);
  } else {
    tcp::resolver resolver(ios_.listener());
    auto results = resolver.resolve(options_.host, std::to_string(options_.port), ec);
    if (ec || results.empty()) {
      return base::InvalidArgumentError("listen on " + options_.host + ":" + std::to_string(options_.port) +
                                        ": cannot resolve host: " + (ec ? ec.message() : "no address"));
    }
    endpoint = results.begin()->endpoint();
  }
  listen_address_ = options_.host + ":" + std::to_string(options_.port);
  auto fail = [&](const char* step) {
    std::string msg = "listen on " + listen_address_ + ": " + ec.message();
    LogEvent(LogLevel::kDebug, "http_listen_failed", {{"address", listen_address_}, {"step", step}, {"error", ec.message()}});
    if (ec == asio::error::access_denied) return base::PermissionDeniedError(std::move(msg));
    if (ec == asio::error::address_in_use) return base::UnavailableError(std::move(msg));
    if (ec.value() == EADDRNOTAVAIL) return base::InvalidArgumentError(std::move(msg));
    return base::UnavailableError(std::move(msg));
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("setsockopt");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  auto local = acceptor_.local_endpoint(ec);
  if (ec) return fail("getsockname");
  port_ = local.port();
  listen_address_ = EndpointString(local);
  return base::Status::Ok();
}

void ServerImpl::Run() {
  asio::dispatch(acceptor_.get_executor(), [this] { DoAccept(); });
  running_ = true;
  ios_.Run();
  LogEvent(LogLevel::kInfo, "http_listening",
           {{"address", listen_address_},
            {"io_threads", std::to_string(ios_.size())},
            {"worker_threads", inline_handlers() ? std::string("0 (inline)") : std::to_string(options_.worker_threads)}});
}

void ServerImpl::DoAccept() {
  acceptor_.async_accept(asio::make_strand(ios_.Next()),
                         [this](error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void ServerImpl::OnAccept(error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // EMFILE and friends: wait a little rather than spin.
    LogEvent(LogLevel::kWarn, "http_accept_failed", {{"error", ec.message()}});
    accept_retry_.expires_after(kAcceptRetryDelay);
    accept_retry_.async_wait([this](error_code wec) {
      if (wec || !acceptor_.is_open()) return;
      DoAccept();
    });
    return;
  }
  error_code rec;
  auto remote = socket.remote_endpoint(rec);
  std::string remote_str = rec ? std::string("unknown") : EndpointString(remote);
  std::shared_ptr<Session> session;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_.load()) {
      socket.close(rec);
      return;
    }
    session = std::make_shared<Session>(this, std::move(socket), std::move(remote_str));
    sessions_.emplace(session.get(), session);
  }
  session->Start();
  DoAccept();
}

bool ServerImpl::Submit(std::shared_ptr<Session> session, api::HttpRequest request) {
  size_t limit = std::max<size_t>(1, inline_handlers() ? options_.blocking_threads : options_.worker_threads) +
                 options_.max_queued_requests;
  size_t before = in_flight_.fetch_add(1);
  if (before >= limit) {
    in_flight_.fetch_sub(1);
    return false;
  }
  asio::post(workers_, [this, session = std::move(session), request = std::move(request)]() mutable {
    api::HttpResponse response = RunHandler(std::move(request));
    in_flight_.fetch_sub(1);
    try {
      session->PostResponse(std::move(response));
    } catch (const std::exception& e) {
      LogEvent(LogLevel::kError, "http_post_response_failed", {{"error", e.what()}});
    }
  });
  return true;
}

api::HttpResponse ServerImpl::RunHandler(api::HttpRequest&& request) {
  std::string method = request.method;
  std::string path(request.Path());
  try {
    return handler_(std::move(request));
  } catch (const std::exception& e) {
    LogEvent(LogLevel::kError, "http_handler_exception", {{"method", method}, {"path", path}, {"error", e.what()}});
  } catch (...) {
    LogEvent(LogLevel::kError, "http_handler_exception", {{"method", method}, {"path", path}, {"error", "unknown"}});
  }
  api::HttpResponse response;
  response.status = 500;
  response.headers = {{"Content-Type", "text/plain"}};
  response.body = "Internal Server Error\n";
  return response;
}

void ServerImpl::Unregister(Session* session) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(session);
  if (sessions_.empty()) cv_.notify_all();
}

void ServerImpl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (!running_) return;
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_.store(true, std::memory_order_release);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  LogEvent(LogLevel::kInfo, "http_stopping", {{"address", listen_address_}, {"connections", std::to_string(live.size())}});
  try {
    asio::post(acceptor_.get_executor(), [this] {
      error_code ec;
      accept_retry_.cancel();
      acceptor_.close(ec);
    });
    for (auto& s : live) {
      auto ex = s->executor();
      asio::post(ex, [s] { s->OnServerStop(); });
    }
  } catch (const std::exception& e) {
    LogEvent(LogLevel::kError, "http_stop_exception", {{"error", e.what()}});
  }
  live.clear();
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return sessions_.empty(); });
  }
  workers_.join();
  ios_.ReleaseWork();
  ios_.Join();
  LogEvent(LogLevel::kInfo, "http_stopped", {{"address", listen_address_}});
}

}  // namespace

base::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                            api::HttpHandler handler) {
  if (!handler) return base::InvalidArgumentError("http server: no handler");
  try {
    auto server = std::make_unique<ServerImpl>(options, std::move(handler));
    KURA_RETURN_IF_ERROR(server->Listen());
    server->Run();
    return std::unique_ptr<HttpServer>(std::move(server));
  } catch (const std::exception& e) {
    LogEvent(LogLevel::kError, "http_start_failed", {{"error", e.what()}});
    return base::InternalError(std::string("http server start: ") + e.what());
  }
}

}  // namespace kura::net
