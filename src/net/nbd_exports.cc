#include "net/nbd_exports.h"

#include <algorithm>

#include "base/bytes.h"
#include "base/log.h"
#include "crypto/random.h"

namespace kura::net {

namespace {
constexpr size_t kPskBytes = 32;
}  // namespace

bool NbdExport::AddSession(NbdSessionControl* session) {
  std::lock_guard lock(mu_);
  if (closing_) return false;
  sessions_.insert(session);
  return true;
}

void NbdExport::RemoveSession(NbdSessionControl* session) {
  std::lock_guard lock(mu_);
  sessions_.erase(session);
  if (sessions_.empty()) gone_.notify_all();
}

bool NbdExport::Close(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  closing_ = true;
  // Stop() only posts work to the session's own thread, so it is safe under mu_.
  for (NbdSessionControl* session : sessions_) session->Stop();
  return gone_.wait_for(lock, timeout, [&] { return sessions_.empty(); });
}

bool NbdExportRegistry::Add(const std::string& instance_id, const std::string& volume_id,
                            std::shared_ptr<blocks::Volume> volume) {
  std::lock_guard lock(mu_);
  auto& counted = counters_[volume_id];
  if (!counted.counters) counted = NbdVolumeCounters{instance_id, volume_id, std::make_shared<NbdCounters>()};
  counted.instance_id = instance_id;  // a volume may move to another instance
  bool first = false;
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) {
    auto psk = crypto::RandomSecret(kPskBytes);
    if (!psk.ok()) {
      // Without a PSK the instance is still reachable on its Unix socket; TCP clients are refused.
      base::LogEvent(base::LogLevel::kError, "nbd_psk_failed",
                     {{"instance", instance_id}, {"error", psk.status().ToString()}});
    }
    Instance fresh;
    if (psk.ok()) fresh.psk = std::move(psk).value();
    it = instances_.emplace(instance_id, std::move(fresh)).first;
    first = true;
  }
  it->second.exports[volume_id] = std::make_shared<NbdExport>(instance_id, volume_id, std::move(volume), counted.counters);
  return first;
}

std::shared_ptr<NbdExport> NbdExportRegistry::Remove(const std::string& instance_id, const std::string& volume_id,
                                                     bool* last) {
  std::lock_guard lock(mu_);
  *last = false;
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) return nullptr;
  auto found = it->second.exports.find(volume_id);
  std::shared_ptr<NbdExport> removed;
  if (found != it->second.exports.end()) {
    removed = std::move(found->second);
    it->second.exports.erase(found);
  }
  if (it->second.exports.empty()) {
    instances_.erase(it);  // wipes the PSK
    *last = true;
  }
  return removed;
}

std::shared_ptr<NbdExport> NbdExportRegistry::Find(const std::string& instance_id,
                                                   const std::string& volume_id) const {
  std::lock_guard lock(mu_);
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) return nullptr;
  auto found = it->second.exports.find(volume_id);
  return found == it->second.exports.end() ? nullptr : found->second;
}

std::vector<std::string> NbdExportRegistry::ExportNames(const std::string& instance_id) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) return names;
  for (const auto& [name, unused] : it->second.exports) names.push_back(name);
  return names;
}

std::vector<std::string> NbdExportRegistry::Instances() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  for (const auto& [id, unused] : instances_) ids.push_back(id);
  return ids;
}

std::optional<crypto::SecretBytes> NbdExportRegistry::PskOf(const std::string& identity) const {
  std::lock_guard lock(mu_);
  auto it = instances_.find(identity);
  if (it == instances_.end() || it->second.psk.empty()) return std::nullopt;
  return it->second.psk.Clone();
}

std::optional<NbdInstanceCredentials> NbdExportRegistry::CredentialsOf(const std::string& instance_id) const {
  std::lock_guard lock(mu_);
  auto it = instances_.find(instance_id);
  if (it == instances_.end() || it->second.psk.empty()) return std::nullopt;
  return NbdInstanceCredentials{instance_id, base::HexEncode(it->second.psk.span())};
}

std::vector<NbdVolumeCounters> NbdExportRegistry::AllCounters() const {
  std::lock_guard lock(mu_);
  std::vector<NbdVolumeCounters> out;
  for (const auto& [id, counted] : counters_) out.push_back(counted);
  return out;
}

}  // namespace kura::net
