// HttpServer: one HTTP/1.1 listening port on Boost.Beast/Asio. Keep-alive,
// chunked request bodies, limits on header and body size (413 beyond), idle
// timeouts. Requests are parsed on the I/O threads and handled on a bounded
// worker pool, so a slow handler never stalls the accept loop — or, with
// worker_threads = 0, on the I/O threads themselves. Stop() is
// graceful: it stops accepting, lets requests in flight finish and answers
// them, then closes every connection.
// Thread-safety: Start/Stop/Wait from one controlling thread; the handler is
// called concurrently from the worker (or I/O) threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http.h"
#include "base/status.h"

namespace kura::net {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;          // 0: pick a free port (see HttpServer::port)
  unsigned io_threads = 1;
  // Handlers running at once on a pool of their own. 0: each handler runs on
  // the I/O thread that read its request (no hand-off, no thread switch; for
  // handlers that are quick, as a request then waits for the ones before it
  // on its I/O thread and a connection's own handler blocks its reads).
  unsigned worker_threads = 4;
  // With worker_threads = 0: requests `blocking` says true for (handlers that
  // wait, e.g. for a group commit) run on a pool of blocking_threads instead,
  // so they neither stall their I/O thread nor cap how many wait at once.
  std::function<bool(const api::HttpRequest&)> blocking;
  unsigned blocking_threads = 64;
  size_t max_queued_requests = 1024;  // beyond: 503 at once
  size_t max_header_bytes = 64 * 1024;
  size_t max_body_bytes = 8 * 1024 * 1024;
  std::chrono::seconds idle_timeout{60};
};

class HttpServer {
 public:
  static base::Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options, api::HttpHandler handler);
  virtual ~HttpServer() = default;
  // The bound port (useful with port 0).
  virtual uint16_t port() const = 0;
  // Graceful stop; returns when every connection is closed.
  virtual void Stop() = 0;
};

}  // namespace kura::net
