// Hosts: the "hypervisor" memory of kura's instances. For every volume
// attached to a running instance it holds the plaintext data key (wiped when
// the entry goes), the open block volume, and the KMS grant that let the host
// decrypt the key. Nothing here is persisted: a restart starts empty and
// Ec2Service::Resume() unwraps the keys again through KMS.
// Remove* flush and close the volumes outside the lock and hand back what the
// caller still has to do at KMS (retire the grants).
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
  // Flushes and closes the volume and wipes the key; nullopt when absent.
  std::optional<DetachedHostVolume> Remove(const std::string& instance_id, const std::string& volume_id);
  std::vector<DetachedHostVolume> RemoveInstance(const std::string& instance_id);
  std::vector<DetachedHostVolume> Clear();

 private:
  using Key = std::pair<std::string, std::string>;  // (instance, volume)
  // Flushes, drops the volume and the key (outside mu_: Flush is I/O).
  static DetachedHostVolume Close(HostVolume entry);

  mutable std::mutex mu_;
  std::map<Key, HostVolume> entries_;
};

}  // namespace kura::ec2
