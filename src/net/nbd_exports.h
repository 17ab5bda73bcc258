// NBD exports: what the NBD server may serve right now. One NbdExport per
// volume attached to a running instance (its block volume opened with the
// data key, which the EC2 host holds); exports are grouped by instance, and
// each instance has a TLS pre-shared key (random, in memory only) that is its
// identity for clients over TCP. The registry also keeps each volume's I/O
// counters (for the Prometheus endpoint) for the life of the process.
// Closing an export stops its sessions — each finishes its requests in
// flight, flushes and disconnects — and waits until every one has let go of
// the volume.
// Thread-safety: every method is safe from any thread (own mutexes);
// NbdCounters are atomics.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "blocks/volume.h"
#include "crypto/secret_bytes.h"

namespace kura::net {

struct NbdCounters {
  std::atomic<uint64_t> read_bytes{0}, write_bytes{0}, zero_bytes{0}, trim_bytes{0};
  std::atomic<uint64_t> read_ops{0}, write_ops{0}, flush_ops{0}, trim_ops{0}, zero_ops{0}, cache_ops{0},
      block_status_ops{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> connections_total{0};
  std::atomic<int64_t> connections_open{0};
};

// A session (one client connection) as an export sees it: something to stop.
class NbdSessionControl {
 public:
  virtual ~NbdSessionControl() = default;
  // Asynchronous: the session stops reading, finishes what is in flight,
  // flushes, answers and closes, then calls NbdExport::RemoveSession.
  virtual void Stop() = 0;
};

class NbdExport {
 public:
  NbdExport(std::string instance_id, std::string volume_id, std::shared_ptr<blocks::Volume> volume,
            std::shared_ptr<NbdCounters> counters)
      : instance_id_(std::move(instance_id)),
        volume_id_(std::move(volume_id)),
        volume_(std::move(volume)),
        counters_(std::move(counters)) {}

  const std::string& instance_id() const { return instance_id_; }
  const std::string& volume_id() const { return volume_id_; }
  blocks::Volume& volume() const { return *volume_; }
  NbdCounters& counters() const { return *counters_; }

  // False once the export is closing (the session must not use it).
  bool AddSession(NbdSessionControl* session);
  void RemoveSession(NbdSessionControl* session);
  // Stops every session and waits until all have gone (or `timeout`).
  // Returns false on timeout.
  bool Close(std::chrono::milliseconds timeout);

 private:
  const std::string instance_id_;
  const std::string volume_id_;
  const std::shared_ptr<blocks::Volume> volume_;
  const std::shared_ptr<NbdCounters> counters_;
  std::mutex mu_;
  std::condition_variable gone_;
  bool closing_ = false;
  std::set<NbdSessionControl*> sessions_;
};

// What a client needs to reach an export: the instance's socket and its PSK.
struct NbdInstanceCredentials {
  std::string psk_identity;  // the instance id
  std::string psk_hex;       // 32 random bytes, lower-case hex (GnuTLS psktool format)
};

struct NbdVolumeCounters {
  std::string instance_id;
  std::string volume_id;
  std::shared_ptr<NbdCounters> counters;
};

class NbdExportRegistry {
 public:
  // Adds the export; true when it is the instance's first (its socket must open).
  bool Add(const std::string& instance_id, const std::string& volume_id, std::shared_ptr<blocks::Volume> volume);
  // Removes the export (new sessions no longer find it) and returns it for
  // closing; `last` tells whether the instance has no export left (its socket
  // must close; its PSK is already forgotten).
  std::shared_ptr<NbdExport> Remove(const std::string& instance_id, const std::string& volume_id, bool* last);
  std::shared_ptr<NbdExport> Find(const std::string& instance_id, const std::string& volume_id) const;
  std::vector<std::string> ExportNames(const std::string& instance_id) const;  // sorted
  std::vector<std::string> Instances() const;
  // The PSK of a running instance, for the TLS handshake (nullopt: unknown identity).
  std::optional<crypto::SecretBytes> PskOf(const std::string& identity) const;
  std::optional<NbdInstanceCredentials> CredentialsOf(const std::string& instance_id) const;
  // Every volume that has had an export since the process started.
  std::vector<NbdVolumeCounters> AllCounters() const;

 private:
  struct Instance {
    crypto::SecretBytes psk;
    std::map<std::string, std::shared_ptr<NbdExport>> exports;
  };
  mutable std::mutex mu_;
  std::map<std::string, Instance> instances_;
  std::map<std::string, NbdVolumeCounters> counters_;  // by volume id
};

}  // namespace kura::net
