// KeyCache: the hot read path of every cryptographic call — key records by
// ARN, alias targets, and unwrapped key material by (key ARN, version) — kept
// in memory so that GenerateDataKey/Encrypt/Decrypt need no SQLite read and no
// AES-GCM unwrap per request.
//
// Coherence: KmsService commits every KMS mutation through a transaction that
// calls Clear() once it has committed (kms_service.cc, Begin()), so a
// disable, deletion, rotation, policy or alias change is seen by the next
// request. A reader that loaded from the database before such a Clear() cannot
// store what it read afterwards: it passes the generation it saw before its
// read, and Put* ignores a generation that is no longer current.
//
// Secrets: material lives only in crypto::SecretBytes (wiped when the last
// reference goes: on Clear, on eviction, on destruction); it is never written
// anywhere and has no printable form.
// Thread-safety: safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <tuple>
#include <utility>

#include "crypto/secret_bytes.h"
#include "kms/key_store.h"

namespace kura::kms {

class KeyCache {
 public:
  // Beyond this many entries of one kind the cache starts over (keys are few
  // per deployment; a bound keeps a pathological caller from growing it).
  static constexpr size_t kMaxEntries = 4096;

  // Read this before reading the database; pass it to Put*.
  uint64_t generation() const;

  std::optional<KeyRecord> FindKey(const std::string& arn) const;
  void PutKey(const KeyRecord& key, uint64_t generation);

  // The target key ARN of an alias.
  std::optional<std::string> FindAlias(const std::string& account_id, const std::string& region,
                                       const std::string& alias_name) const;
  void PutAlias(const AliasRecord& alias, uint64_t generation);

  std::shared_ptr<const crypto::SecretBytes> FindMaterial(const std::string& key_arn, uint32_t version) const;
  void PutMaterial(const std::string& key_arn, uint32_t version, std::shared_ptr<const crypto::SecretBytes> material,
                   uint64_t generation);

  // Drops everything (material is wiped once no call in flight holds it).
  void Clear();

 private:
  mutable std::shared_mutex mu_;
  uint64_t generation_ = 0;  // guarded by mu_
  std::map<std::string, KeyRecord, std::less<>> keys_;
  std::map<std::tuple<std::string, std::string, std::string>, std::string> aliases_;
  std::map<std::pair<std::string, uint32_t>, std::shared_ptr<const crypto::SecretBytes>> materials_;
};

}  // namespace kura::kms
