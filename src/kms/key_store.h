// KeyStore: the KMS tables in the metadata store (schema.cc): kms_keys,
// kms_key_versions (key material, sealed only), kms_aliases, kms_grants,
// kms_tags. Reads run in their own short transactions; writes take the
// caller's Transaction so that one operation commits atomically. It knows
// SQL, not AWS rules (those live in kms_service*.cc).
// Thread-safety: safe from any thread (the Database serializes transactions);
// callers serialize read-modify-write sequences themselves.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "kms/types.h"
#include "meta/database.h"

namespace kura::kms {

struct KeyRecord {
  std::string arn;
  std::string key_id;
  std::string account_id;
  std::string region;
  KeyManager key_manager = KeyManager::kCustomer;
  std::string description;
  std::string key_usage{kEncryptDecrypt};
  std::string key_spec{kSymmetricDefault};
  std::string origin{kOriginAwsKms};
  KeyState state = KeyState::kEnabled;
  std::string policy;
  int64_t created_at = 0;
  std::optional<int64_t> deletion_date;
  std::optional<int> pending_window_days;
  bool rotation_enabled = false;
  int rotation_period_days = 365;
  std::optional<int64_t> next_rotation_at;
  uint32_t current_version = 1;
  int on_demand_rotations = 0;
};

struct KeyVersionRecord {
  std::string key_arn;
  uint32_t version = 0;
  std::string material_id;                // 64 hex
  std::vector<uint8_t> sealed_material;   // crypto::WrapKey blob
  int64_t created_at = 0;
};

struct AliasRecord {
  std::string account_id;
  std::string region;
  std::string alias_name;
  std::string target_key_arn;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

class KeyStore {
 public:
  explicit KeyStore(std::shared_ptr<meta::Database> db);
  meta::Database& db() { return *db_; }

  // Keys.
  base::Result<std::optional<KeyRecord>> FindKey(const std::string& arn);
  base::Status InsertKey(meta::Transaction& txn, const KeyRecord& key);
  base::Status UpdateKey(meta::Transaction& txn, const KeyRecord& key);  // every mutable column
  // Keys of an account+region with key_id > after, by key_id.
  base::Result<std::vector<KeyRecord>> ListKeys(const std::string& account_id, const std::string& region,
                                                const std::string& after_key_id, int limit);
  base::Result<int64_t> CountCustomerKeys(const std::string& account_id, const std::string& region);
  base::Result<std::vector<KeyRecord>> KeysDueForDeletion(int64_t now);
  base::Result<std::vector<KeyRecord>> KeysDueForRotation(int64_t now);
  // Removes the key with its material, aliases, grants and tags.
  base::Status DeleteKeyData(meta::Transaction& txn, const std::string& arn);
  // Removes every key, material version, alias, grant and tag (test-harness reset).
  base::Status DeleteAll(meta::Transaction& txn);

  // Key material versions.
  base::Status InsertVersion(meta::Transaction& txn, const KeyVersionRecord& version);
  base::Result<std::optional<KeyVersionRecord>> FindVersion(const std::string& key_arn, uint32_t version);

  // Aliases.
  base::Result<std::optional<AliasRecord>> FindAlias(const std::string& account_id, const std::string& region,
                                                     const std::string& alias_name);
  base::Status InsertAlias(meta::Transaction& txn, const AliasRecord& alias);
  base::Status RetargetAlias(meta::Transaction& txn, const AliasRecord& alias);
  base::Status DeleteAlias(meta::Transaction& txn, const std::string& account_id, const std::string& region,
                           const std::string& alias_name);
  // Aliases of an account+region with name > after, by name; only those of
  // `target_key_arn` when not empty.
  base::Result<std::vector<AliasRecord>> ListAliases(const std::string& account_id, const std::string& region,
                                                     const std::string& after, int limit,
                                                     const std::string& target_key_arn);
  base::Result<int64_t> CountAliases(const std::string& target_key_arn);

  // Grants.
  base::Status InsertGrant(meta::Transaction& txn, const Grant& grant);
  base::Result<std::optional<Grant>> FindGrant(const std::string& grant_id);
  base::Result<std::vector<Grant>> GrantsNamed(const std::string& key_arn, const std::string& name);
  // Grants on the key whose grantee is one of `grantees`.
  base::Result<std::vector<Grant>> GrantsFor(const std::string& key_arn, const std::vector<std::string>& grantees);
  // Grants on the key with grant_id > after, by grant_id, optionally filtered.
  base::Result<std::vector<Grant>> ListGrants(const std::string& key_arn, const std::string& after, int limit,
                                              const std::string& grant_id, const std::string& grantee);
  // Grants whose retiring principal is `retiring_principal` on keys whose ARN
  // starts with `key_arn_prefix` ("arn:aws:kms:<region>:"), by grant_id.
  base::Result<std::vector<Grant>> ListRetirableGrants(const std::string& retiring_principal,
                                                       const std::string& key_arn_prefix, const std::string& after,
                                                       int limit);
  base::Status DeleteGrant(meta::Transaction& txn, const std::string& grant_id);
  base::Result<int64_t> CountGrants(const std::string& key_arn);

  // Tags.
  base::Status PutTag(meta::Transaction& txn, const std::string& key_arn, const Tag& tag);
  base::Status DeleteTag(meta::Transaction& txn, const std::string& key_arn, const std::string& tag_key);
  base::Result<std::vector<Tag>> ListTags(const std::string& key_arn, const std::string& after, int limit);
  base::Result<std::vector<Tag>> AllTags(const std::string& key_arn);

 private:
  std::shared_ptr<meta::Database> db_;
};

}  // namespace kura::kms
