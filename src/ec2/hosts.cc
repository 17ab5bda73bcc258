#include "ec2/hosts.h"

#include "base/log.h"

namespace kura::ec2 {

void Hosts::SetObserver(std::shared_ptr<HostObserver> observer) {
  std::lock_guard lock(mu_);
  observer_ = std::move(observer);
}

std::shared_ptr<HostObserver> Hosts::Observer() const {
  std::lock_guard lock(mu_);
  return observer_;
}

DetachedHostVolume Hosts::Close(HostVolume entry) {
  if (auto observer = Observer(); observer && entry.volume) {
    observer->VolumeDetaching(entry.instance_id, entry.volume_id);
  }
  if (entry.volume) {
    base::Status flushed = entry.volume->Flush();
    if (!flushed.ok()) {
      base::LogEvent(base::LogLevel::kWarn, "ec2_host_flush_failed",
                     {{"volume", entry.volume_id}, {"instance", entry.instance_id}, {"error", flushed.ToString()}});
    }
    entry.volume.reset();  // the engine closes it when no reader is left
  }
  entry.key = crypto::SecretBytes();  // wipes the plaintext now
  return DetachedHostVolume{std::move(entry.account), std::move(entry.instance_id), std::move(entry.volume_id),
                            std::move(entry.grant_id), std::move(entry.key_arn)};
}

std::optional<DetachedHostVolume> Hosts::Add(HostVolume entry) {
  std::lock_guard changes(change_mu_);
  std::optional<HostVolume> old;
  const std::string account = entry.account, instance_id = entry.instance_id, volume_id = entry.volume_id;
  std::shared_ptr<blocks::Volume> volume = entry.volume;
  {
    std::lock_guard lock(mu_);
    Key key{entry.instance_id, entry.volume_id};
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      old = std::move(it->second);
      it->second = std::move(entry);
    } else {
      entries_.emplace(std::move(key), std::move(entry));
    }
  }
  std::optional<DetachedHostVolume> replaced;
  if (old) replaced = Close(std::move(*old));
  if (auto observer = Observer(); observer && volume) {
    observer->VolumeAttached(account, instance_id, volume_id, std::move(volume));
  }
  return replaced;
}

bool Hosts::Has(const std::string& instance_id, const std::string& volume_id) const {
  std::lock_guard lock(mu_);
  return entries_.count(Key{instance_id, volume_id}) > 0;
}

std::shared_ptr<blocks::Volume> Hosts::Find(const std::string& instance_id, const std::string& volume_id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(Key{instance_id, volume_id});
  return it == entries_.end() ? nullptr : it->second.volume;
}

std::vector<std::string> Hosts::VolumeIdsOf(const std::string& instance_id) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  for (auto it = entries_.lower_bound(Key{instance_id, ""}); it != entries_.end() && it->first.first == instance_id;
       ++it) {
    ids.push_back(it->first.second);
  }
  return ids;
}

std::optional<DetachedHostVolume> Hosts::Remove(const std::string& instance_id, const std::string& volume_id) {
  std::lock_guard changes(change_mu_);
  std::optional<HostVolume> entry;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(Key{instance_id, volume_id});
    if (it == entries_.end()) return std::nullopt;
    entry = std::move(it->second);
    entries_.erase(it);
  }
  return Close(std::move(*entry));
}

std::vector<DetachedHostVolume> Hosts::RemoveInstance(const std::string& instance_id) {
  std::lock_guard changes(change_mu_);
  std::vector<HostVolume> taken;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.lower_bound(Key{instance_id, ""});
    while (it != entries_.end() && it->first.first == instance_id) {
      taken.push_back(std::move(it->second));
      it = entries_.erase(it);
    }
  }
  std::vector<DetachedHostVolume> out;
  for (auto& e : taken) out.push_back(Close(std::move(e)));
  return out;
}

std::vector<DetachedHostVolume> Hosts::Clear() {
  std::lock_guard changes(change_mu_);
  std::map<Key, HostVolume> taken;
  {
    std::lock_guard lock(mu_);
    taken.swap(entries_);
  }
  std::vector<DetachedHostVolume> out;
  for (auto& [key, e] : taken) out.push_back(Close(std::move(e)));
  return out;
}

}  // namespace kura::ec2
