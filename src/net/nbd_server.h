// NbdServer: attached volumes as NBD block devices. It is the EC2 hosts'
// observer (ec2::HostObserver): when a volume becomes usable on a running
// instance it becomes an export named by its volume id, and when the volume
// is detached, the instance stops or the server shuts down, the export's
// connections finish their requests in flight, flush and close before the
// host closes the volume and wipes its key.
//
// Listeners: each instance with exports has its own Unix socket,
// <socket_dir>/<instance-id>.sock (mode 0600), serving only that instance's
// volumes; one TCP address serves every instance behind TLS with a PSK whose
// identity is the instance id (so a client of one instance can never open
// another's volume). TLS "off" drops TLS and that isolation on TCP and is
// refused on anything but a loopback address (benchmarks only).
// Thread-safety: every public method is safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/admin_handler.h"
#include "base/status.h"
#include "ec2/hosts.h"
#include "net/nbd_exports.h"

namespace kura::net {

enum class NbdTls { kRequire, kOff };

struct NbdServerOptions {
  std::string socket_dir;   // created 0700 when absent
  std::string tcp_host = "127.0.0.1";
  uint16_t tcp_port = 10809;  // 0: any free port (see tcp_port())
  bool tcp_enabled = true;
  NbdTls tls = NbdTls::kRequire;
  unsigned io_threads = 2;
  unsigned worker_threads = 8;
  size_t inline_max_bytes = 256 * 1024;
};

class NbdServer : public ec2::HostObserver {
 public:
  static base::Result<std::shared_ptr<NbdServer>> Start(const NbdServerOptions& options);
  ~NbdServer() override;

  uint16_t tcp_port() const;
  std::string SocketPath(const std::string& instance_id) const;
  // The exports of a running instance (empty when it has none): Unix URI,
  // TCP URI (nbds://<instance>@host:port/vol-…; the PSK file is the client's) and the PSK.
  std::vector<api::NbdExportEndpoint> EndpointsOf(const std::string& instance_id) const;
  // Per-volume counters in Prometheus text exposition format.
  std::string RenderMetrics() const;
  // Closes the listeners and every connection (after their requests in flight).
  void Stop();

  // ec2::HostObserver
  void VolumeAttached(const std::string& account, const std::string& instance_id, const std::string& volume_id,
                      std::shared_ptr<blocks::Volume> volume) override;
  void VolumeDetaching(const std::string& instance_id, const std::string& volume_id) override;

 private:
  struct Impl;
  explicit NbdServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kura::net
