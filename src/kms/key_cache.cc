#include "kms/key_cache.h"

#include <mutex>

namespace kura::kms {

namespace {

// Starts a full map over rather than tracking recency: cheap, and only a
// caller with thousands of keys in use at once ever reaches the bound.
template <typename Map>
void MakeRoom(Map& map) {
  if (map.size() >= KeyCache::kMaxEntries) map.clear();
}

}  // namespace

uint64_t KeyCache::generation() const {
  std::shared_lock lock(mu_);
  return generation_;
}

std::optional<KeyRecord> KeyCache::FindKey(const std::string& arn) const {
  std::shared_lock lock(mu_);
  auto it = keys_.find(arn);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

void KeyCache::PutKey(const KeyRecord& key, uint64_t generation) {
  std::unique_lock lock(mu_);
  if (generation != generation_) return;
  MakeRoom(keys_);
  keys_.insert_or_assign(key.arn, key);
}

std::optional<std::string> KeyCache::FindAlias(const std::string& account_id, const std::string& region,
                                               const std::string& alias_name) const {
  std::shared_lock lock(mu_);
  auto it = aliases_.find(std::make_tuple(account_id, region, alias_name));
  if (it == aliases_.end()) return std::nullopt;
  return it->second;
}

void KeyCache::PutAlias(const AliasRecord& alias, uint64_t generation) {
  std::unique_lock lock(mu_);
  if (generation != generation_) return;
  MakeRoom(aliases_);
  aliases_.insert_or_assign(std::make_tuple(alias.account_id, alias.region, alias.alias_name), alias.target_key_arn);
}

std::shared_ptr<const crypto::SecretBytes> KeyCache::FindMaterial(const std::string& key_arn,
                                                                  uint32_t version) const {
  std::shared_lock lock(mu_);
  auto it = materials_.find(std::make_pair(key_arn, version));
  if (it == materials_.end()) return nullptr;
  return it->second;
}

void KeyCache::PutMaterial(const std::string& key_arn, uint32_t version,
                           std::shared_ptr<const crypto::SecretBytes> material, uint64_t generation) {
  std::unique_lock lock(mu_);
  if (generation != generation_) return;
  MakeRoom(materials_);
  materials_.insert_or_assign(std::make_pair(key_arn, version), std::move(material));
}

void KeyCache::Clear() {
  // Swap out under the lock, destroy (and so wipe) outside it.
  std::map<std::string, KeyRecord, std::less<>> keys;
  std::map<std::tuple<std::string, std::string, std::string>, std::string> aliases;
  std::map<std::pair<std::string, uint32_t>, std::shared_ptr<const crypto::SecretBytes>> materials;
  std::unique_lock lock(mu_);
  ++generation_;
  keys.swap(keys_);
  aliases.swap(aliases_);
  materials.swap(materials_);
  lock.unlock();
}

}  // namespace kura::kms
