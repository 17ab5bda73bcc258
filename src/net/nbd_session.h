// NBD sessions: one client connection each, from the fixed-newstyle
// handshake (option haggling, STARTTLS, INFO/GO/LIST/EXPORT_NAME,
// STRUCTURED_REPLY) through the transmission phase (READ, WRITE with FUA,
// FLUSH, TRIM, WRITE_ZEROES with NO_HOLE, CACHE, DISCONNECT), as the NBD
// project's doc/proto.md defines them. Requests are answered out of order,
// many in flight per connection: small reads and writes run on the session's
// own thread (no hand-off: from the page cache that is the fastest path),
// flushes, FUA writes, zeroing and large requests on the worker pool.
//
// Who may open what: a session on an instance's Unix socket sees only that
// instance's exports; a TCP session must first negotiate TLS with a PSK, and
// the PSK identity (the instance id) decides which exports it sees. With TLS
// off (loopback benchmarks only) a TCP session sees every export.
// Internal to the net layer (included by nbd_server.cc only: it pulls in Asio).
// Thread-safety: a session runs on its own strand; StartSession may be called
// from any thread, NbdSessionTracker's methods too.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "net/nbd_exports.h"

namespace kura::net {

// Every session of a server, so that Stop() can end them all.
class NbdSessionTracker {
 public:
  void Add(NbdSessionControl* session);
  void Remove(NbdSessionControl* session);
  size_t Count() const;
  // Stops every session and waits until all have ended (or `timeout`).
  bool StopAll(std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mu_;
  std::condition_variable gone_;
  std::set<NbdSessionControl*> sessions_;
};

struct NbdSessionConfig {
  NbdExportRegistry* registry = nullptr;
  NbdSessionTracker* tracker = nullptr;
  boost::asio::thread_pool* workers = nullptr;
  // TCP only: the TLS context (PSK identities from the registry); null: TLS off.
  boost::asio::ssl::context* tls = nullptr;
  // Reads and writes up to this size (without FUA) run on the session's thread.
  size_t inline_max_bytes = 256 * 1024;
  size_t max_connections = 1024;
};

// On an instance's own Unix socket: only `instance_id`'s exports.
void StartUnixSession(boost::asio::local::stream_protocol::socket socket, std::string instance_id,
                      const NbdSessionConfig& config);
void StartTcpSession(boost::asio::ip::tcp::socket socket, const NbdSessionConfig& config);

// The TLS context for TCP sessions: TLS 1.2+ with PSK only (no certificates),
// the key looked up by identity in `registry`, which must outlive it.
base::Result<std::unique_ptr<boost::asio::ssl::context>> MakeNbdTlsContext(const NbdExportRegistry* registry);

}  // namespace kura::net
