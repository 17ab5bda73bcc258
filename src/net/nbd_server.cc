#include "net/nbd_server.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "base/log.h"
#include "net/io_context_pool.h"
#include "net/nbd_metrics.h"
#include "net/nbd_session.h"

namespace kura::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using UnixAcceptor = asio::local::stream_protocol::acceptor;

namespace {

// How long a detach or stop waits for an export's clients to finish.
constexpr auto kDrainTimeout = std::chrono::seconds(60);
constexpr size_t kInstanceIdMax = 40;  // i- + 17 hex digits, or import-vol- + 17 (staging hosts)

// Percent-encodes a URI query value (RFC 3986 unreserved characters and '/' stay).
std::string QueryEscape(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

bool IsLoopback(const std::string& host) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace

struct NbdServer::Impl {
  NbdServerOptions options;
  IoContextPool ios;  // listeners on the listener context, each connection on one of the others
  asio::thread_pool workers;
  NbdExportRegistry registry;
  NbdSessionTracker tracker;
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<asio::ip::tcp::acceptor> tcp;
  uint16_t bound_port = 0;
  NbdSessionConfig config;

  std::mutex mu;  // guards unix_listeners and stopped
  std::map<std::string, std::shared_ptr<UnixAcceptor>> unix_listeners;
  bool stopped = false;

  explicit Impl(const NbdServerOptions& o)
      : options(o), ios(o.io_threads, "nbd_io_exception"), workers(std::max(1u, o.worker_threads)) {}

  std::string SocketPath(const std::string& instance_id) const {
    return options.socket_dir + "/" + instance_id + ".sock";
  }

  awaitable<void> AcceptTcp() {
    for (;;) {
      boost::system::error_code ec;
      asio::ip::tcp::socket socket = co_await tcp->async_accept(ios.Next(), asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !tcp->is_open()) break;
        continue;  // e.g. EMFILE: keep serving the others
      }
      StartTcpSession(std::move(socket), config);
    }
  }

  awaitable<void> AcceptUnix(std::shared_ptr<UnixAcceptor> acceptor, std::string instance_id) {
    for (;;) {
      boost::system::error_code ec;
      auto socket = co_await acceptor->async_accept(ios.Next(), asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) break;
        continue;
      }
      StartUnixSession(std::move(socket), instance_id, config);
    }
  }

  base::Status OpenUnixListener(const std::string& instance_id) {
    const std::string path = SocketPath(instance_id);
    ::unlink(path.c_str());  // a socket left by a killed server
    auto acceptor = std::make_shared<UnixAcceptor>(ios.listener());
    boost::system::error_code ec;
    acceptor->open(asio::local::stream_protocol(), ec);
    if (!ec) acceptor->bind(asio::local::stream_protocol::endpoint(path), ec);
    if (!ec && ::chmod(path.c_str(), 0600) != 0) ec.assign(errno, boost::system::system_category());
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return base::UnavailableError("NBD socket " + path + ": " + ec.message());
    {
      std::lock_guard lock(mu);
      if (stopped) return base::UnavailableError("NBD server stopped");
      unix_listeners[instance_id] = acceptor;
    }
    asio::co_spawn(ios.listener(), AcceptUnix(acceptor, instance_id), asio::detached);
    base::LogEvent(base::LogLevel::kInfo, "nbd_socket_open", {{"instance", instance_id}, {"socket", path}});
    return base::Status::Ok();
  }

  void CloseUnixListener(const std::string& instance_id) {
    std::shared_ptr<UnixAcceptor> acceptor;
    {
      std::lock_guard lock(mu);
      auto it = unix_listeners.find(instance_id);
      if (it == unix_listeners.end()) return;
      acceptor = std::move(it->second);
      unix_listeners.erase(it);
    }
    asio::post(ios.listener(), [acceptor] {
      boost::system::error_code ignored;
      acceptor->close(ignored);
    });
    const std::string path = SocketPath(instance_id);
    ::unlink(path.c_str());
    base::LogEvent(base::LogLevel::kInfo, "nbd_socket_closed", {{"instance", instance_id}});
  }
};

base::Result<std::shared_ptr<NbdServer>> NbdServer::Start(const NbdServerOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (options.socket_dir.empty()) return base::InvalidArgumentError("NBD: no socket directory");
  if (options.socket_dir.size() + 1 + kInstanceIdMax + 5 >= sizeof(sockaddr_un::sun_path)) {
    return base::InvalidArgumentError("NBD socket directory " + options.socket_dir +
                                      " is too long for Unix socket paths; choose a shorter --nbd-socket-dir");
  }
  if (::mkdir(options.socket_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return base::ErrnoToStatus(errno, "NBD socket directory " + options.socket_dir);
  }
  if (options.tls == NbdTls::kRequire) {
    KURA_ASSIGN_OR_RETURN(impl->tls, MakeNbdTlsContext(&impl->registry));
  } else if (options.tcp_enabled && !IsLoopback(options.tcp_host)) {
    return base::InvalidArgumentError("--nbd-tls off serves every volume to anyone who reaches the port: it is "
                                      "refused on " + options.tcp_host + " (loopback addresses only)");
  }
  impl->config.registry = &impl->registry;
  impl->config.tracker = &impl->tracker;
  impl->config.workers = &impl->workers;
  impl->config.tls = impl->tls.get();
  impl->config.inline_max_bytes = options.inline_max_bytes;
  if (options.tcp_enabled) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options.tcp_host, ec);
    if (ec) return base::InvalidArgumentError("--nbd-listen: bad address " + options.tcp_host);
    impl->tcp = std::make_unique<asio::ip::tcp::acceptor>(impl->ios.listener());
    asio::ip::tcp::endpoint endpoint(address, options.tcp_port);
    impl->tcp->open(endpoint.protocol(), ec);
    if (!ec) impl->tcp->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) impl->tcp->bind(endpoint, ec);
    if (!ec) impl->tcp->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return base::UnavailableError(fmt::format("NBD listen on {}:{}: {}", options.tcp_host, options.tcp_port,
                                                ec.message()));
    }
    impl->bound_port = impl->tcp->local_endpoint().port();
    asio::co_spawn(impl->ios.listener(), impl->AcceptTcp(), asio::detached);
  }
  impl->ios.Run();
  base::LogEvent(base::LogLevel::kInfo, "nbd_ready",
                 {{"socket_dir", options.socket_dir},
                  {"tcp", options.tcp_enabled ? fmt::format("{}:{}", options.tcp_host, impl->bound_port) : "off"},
                  {"tls", options.tls == NbdTls::kRequire ? "require" : "off"}});
  if (options.tls == NbdTls::kOff && options.tcp_enabled) {
    base::LogEvent(base::LogLevel::kWarn, "nbd_tls_off",
                   {{"warning", "NBD over TCP without TLS: any local client can open any attached volume; "
                                "for benchmarks only"}});
  }
  return std::shared_ptr<NbdServer>(new NbdServer(std::move(impl)));
}

NbdServer::NbdServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NbdServer::~NbdServer() { Stop(); }

uint16_t NbdServer::tcp_port() const { return impl_->bound_port; }

std::string NbdServer::SocketPath(const std::string& instance_id) const { return impl_->SocketPath(instance_id); }

std::vector<api::NbdExportEndpoint> NbdServer::EndpointsOf(const std::string& instance_id) const {
  std::vector<api::NbdExportEndpoint> out;
  auto credentials = impl_->registry.CredentialsOf(instance_id);
  for (const auto& volume_id : impl_->registry.ExportNames(instance_id)) {
    api::NbdExportEndpoint e;
    e.volume_id = volume_id;
    e.uri = fmt::format("nbd+unix:///{}?socket={}", volume_id, QueryEscape(impl_->SocketPath(instance_id)));
    if (impl_->options.tcp_enabled) {
      std::string host = impl_->options.tcp_host;
      if (host.find(':') != std::string::npos) host = "[" + host + "]";
      if (impl_->tls) {
        e.tcp_uri = fmt::format("nbds://{}@{}:{}/{}", instance_id, host, impl_->bound_port, volume_id);
        if (credentials) {
          e.psk_identity = credentials->psk_identity;
          e.psk_hex = credentials->psk_hex;
        }
      } else {
        e.tcp_uri = fmt::format("nbd://{}:{}/{}", host, impl_->bound_port, volume_id);
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string NbdServer::RenderMetrics() const { return RenderNbdMetrics(impl_->registry.AllCounters()); }

void NbdServer::VolumeAttached(const std::string& account, const std::string& instance_id,
                               const std::string& volume_id, std::shared_ptr<blocks::Volume> volume) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
  }
  const bool first = impl_->registry.Add(instance_id, volume_id, std::move(volume));
  if (first) {
    base::Status opened = impl_->OpenUnixListener(instance_id);
    if (!opened.ok()) {
      base::LogEvent(base::LogLevel::kError, "nbd_socket_failed", {{"instance", instance_id}, {"error", opened.ToString()}});
    }
  }
  base::LogEvent(base::LogLevel::kInfo, "nbd_export_added",
                 {{"account", account}, {"instance", instance_id}, {"volume", volume_id}});
}

void NbdServer::VolumeDetaching(const std::string& instance_id, const std::string& volume_id) {
  bool last = false;
  auto removed = impl_->registry.Remove(instance_id, volume_id, &last);
  if (last) impl_->CloseUnixListener(instance_id);
  if (!removed) return;
  if (!removed->Close(kDrainTimeout)) {
    base::LogEvent(base::LogLevel::kError, "nbd_export_drain_timeout", {{"instance", instance_id}, {"volume", volume_id}});
  }
  base::LogEvent(base::LogLevel::kInfo, "nbd_export_removed", {{"instance", instance_id}, {"volume", volume_id}});
}

void NbdServer::Stop() {
  std::map<std::string, std::shared_ptr<UnixAcceptor>> listeners;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
    listeners.swap(impl_->unix_listeners);
  }
  asio::post(impl_->ios.listener(), [this, listeners] {
    boost::system::error_code ignored;
    if (impl_->tcp) impl_->tcp->close(ignored);
    for (const auto& [id, acceptor] : listeners) acceptor->close(ignored);
  });
  for (const auto& [id, acceptor] : listeners) ::unlink(impl_->SocketPath(id).c_str());
  const bool drained = impl_->tracker.StopAll(kDrainTimeout);
  if (!drained) {
    base::LogEvent(base::LogLevel::kError, "nbd_stop_timeout", {{"sessions", std::to_string(impl_->tracker.Count())}});
  }
  // Let the accept loops see their closed acceptors and end: run() returns
  // when nothing is left, so no coroutine frame outlives what it points to.
  impl_->ios.ReleaseWork();
  if (!drained) impl_->ios.Stop();
  impl_->ios.Join();
  impl_->workers.join();
}

}  // namespace kura::net
