// Hosts: the "hypervisor" memory of kura's instances. For every volume
// attached to a running instance it holds the plaintext data key (wiped when
// the entry goes), the open block volume, and the KMS grant that let the host
// decrypt the key. Nothing here is persisted: a restart starts empty and
// Ec2Service::Resume() unwraps the keys again through KMS.
// Remove* flush and close the volumes outside the lock and hand back what the
// caller still has to do at KMS (retire the grants).
// A HostObserver (the NBD server) hears of every volume that becomes usable
// on a host and of every volume about to be closed; the host waits for it to
// let go of the volume before flushing and closing it.
// Thread-safety: all methods are safe from any thread (own mutex).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "blocks/volume.h"
#include "crypto/secret_bytes.h"

namespace kura::ec2 {

struct HostVolume {
  std::string account;
  std::string instance_id;
  std::string volume_id;
  crypto::SecretBytes key;  // empty for an unencrypted volume
  std::shared_ptr<blocks::Volume> volume;
  std::string grant_id;  // "" for an unencrypted volume
  std::string key_arn;
};

// Who else uses the host's volumes: told outside the host's lock. Detaching
// returns only once the observer has finished its I/O on the volume and
// dropped every reference to it (the host flushes and closes it next).
class HostObserver {
 public:
  virtual ~HostObserver() = default;
  virtual void VolumeAttached(const std::string& account, const std::string& instance_id,
                              const std::string& volume_id, std::shared_ptr<blocks::Volume> volume) = 0;
  virtual void VolumeDetaching(const std::string& instance_id, const std::string& volume_id) = 0;
};

// What is left of a removed entry once its volume is closed and its key wiped.
struct DetachedHostVolume {
  std::string account;
  std::string instance_id;
  std::string volume_id;
  std::string grant_id;
  std::string key_arn;
};

class Hosts {
 public:
  Hosts() = default;
  ~Hosts() { Clear(); }
  Hosts(const Hosts&) = delete;
  Hosts& operator=(const Hosts&) = delete;

  // Adds (or replaces, closing the old entry) the entry for (instance, volume).
  // Returns the replaced entry's remains, if any.
  std::optional<DetachedHostVolume> Add(HostVolume entry);
  bool Has(const std::string& instance_id, const std::string& volume_id) const;
  std::shared_ptr<blocks::Volume> Find(const std::string& instance_id, const std::string& volume_id) const;
  std::vector<std::string> VolumeIdsOf(const std::string& instance_id) const;  // sorted
  // Flushes and closes the volume and wipes the key; nullopt when absent.
  std::optional<DetachedHostVolume> Remove(const std::string& instance_id, const std::string& volume_id);
  std::vector<DetachedHostVolume> RemoveInstance(const std::string& instance_id);
  std::vector<DetachedHostVolume> Clear();
  // Call before the first Add (serve wires the NBD server in before Resume).
  void SetObserver(std::shared_ptr<HostObserver> observer);

 private:
  using Key = std::pair<std::string, std::string>;  // (instance, volume)
  // Flushes, drops the volume and the key (outside mu_: Flush is I/O).
  DetachedHostVolume Close(HostVolume entry);
  std::shared_ptr<HostObserver> Observer() const;

  // Serializes Add/Remove with their observer calls, so the observer hears
  // of one (instance, volume) in the order the changes happened. Taken before mu_.
  std::mutex change_mu_;
  mutable std::mutex mu_;
  std::shared_ptr<HostObserver> observer_;
  std::map<Key, HostVolume> entries_;
};

}  // namespace kura::ec2
