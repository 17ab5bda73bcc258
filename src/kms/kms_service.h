// KmsService: the KMS operations (kms.md §6) as typed calls. The API
// provider maps wire documents onto these; EC2/EBS calls them directly with
// a Caller made by Caller::ViaEc2 (kms:ViaService, kms:GrantIsForAWSResource)
// or, for an instance host, Caller::Direct(Ec2InfrastructurePrincipal(...)).
//
// Every call: resolve the key (NotFound) -> authorize (AccessDenied) -> key
// state (Disabled / KMSInvalidState, §5.1) -> validate the payload -> act;
// then one audit line and one metered request. Errors are Status values whose
// detail() is a KmsError (kms_error.h) and whose message is AWS's text.
//
// Key material: 32 random bytes per key version, sealed with crypto::WrapKey
// under the material-sealing key (aad = MaterialAad(key ARN, version)). Opened
// material is kept in memory only (KeyCache, as crypto::SecretBytes) so that
// each call need not unwrap it again; it is never logged or written, and any
// KMS mutation drops the cache (see Begin()).
// Thread-safety: safe from any thread; mutations are serialized internally.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "crypto/secret_bytes.h"
#include "kms/audit.h"
#include "kms/authorizer.h"
#include "kms/grants.h"
#include "kms/key_cache.h"
#include "kms/key_store.h"
#include "kms/meter.h"
#include "kms/types.h"
#include "meta/database.h"

namespace kura::kms {

struct KmsOptions {
  std::shared_ptr<meta::Database> db;
  crypto::SecretBytes sealing_key;          // 32 bytes, derived from the root key by the caller
  std::function<int64_t()> clock;           // Unix seconds; default: the system clock
  std::vector<std::string> regions;         // enabled regions
  IdentityPoliciesFn identity_policies;     // the caller's IAM identity policies
  std::shared_ptr<AuditSink> audit;         // default: LogAuditSink
};

inline constexpr int64_t kMaxCustomerKeysPerRegion = 100000;
inline constexpr int64_t kMaxAliasesPerKey = 50;
inline constexpr int64_t kMaxTagsPerKey = 50;
inline constexpr size_t kMaxPlaintextBytes = 4096;
inline constexpr int kMaxOnDemandRotations = 10;

struct CreateKeyRequest {
  std::optional<std::string> policy;
  std::string description;
  std::string key_usage{kEncryptDecrypt};
  std::string key_spec{kSymmetricDefault};  // KeySpec or CustomerMasterKeySpec
  std::string origin{kOriginAwsKms};
  bool bypass_policy_lockout_safety_check = false;
  std::vector<Tag> tags;
  bool multi_region = false;
};

struct DeletionSchedule {
  std::string key_arn;
  int64_t deletion_date = 0;
  KeyState key_state = KeyState::kPendingDeletion;
  int pending_window_in_days = 30;
};

struct RotationStatus {
  bool key_rotation_enabled = false;
  std::string key_arn;
  std::optional<int> rotation_period_in_days;
  std::optional<int64_t> next_rotation_date;
};

struct EncryptRequest {
  std::string key_id;
  crypto::SecretBytes plaintext;  // 1..4096 bytes
  EncryptionContext encryption_context;
  std::vector<std::string> grant_tokens;
  std::string encryption_algorithm{kSymmetricDefault};
};

struct EncryptResult {
  std::vector<uint8_t> ciphertext_blob;
  std::string key_arn;
  std::string encryption_algorithm{kSymmetricDefault};
};

struct DecryptRequest {
  std::vector<uint8_t> ciphertext_blob;
  EncryptionContext encryption_context;
  std::vector<std::string> grant_tokens;
  std::string key_id;  // optional; when given it must identify the encrypting key
  std::string encryption_algorithm{kSymmetricDefault};
};

struct DecryptResult {
  std::string key_arn;
  crypto::SecretBytes plaintext;
  std::string encryption_algorithm{kSymmetricDefault};
};

struct DataKeyRequest {
  std::string key_id;
  EncryptionContext encryption_context;
  std::optional<int> number_of_bytes;  // 1..1024, xor key_spec
  std::optional<std::string> key_spec; // AES_256 | AES_128
  std::vector<std::string> grant_tokens;
};

struct DataKeyResult {
  std::vector<uint8_t> ciphertext_blob;
  crypto::SecretBytes plaintext;  // empty for GenerateDataKeyWithoutPlaintext
  std::string key_arn;
};

struct ReEncryptRequest {
  std::vector<uint8_t> ciphertext_blob;
  EncryptionContext source_encryption_context;
  std::string source_key_id;  // optional
  std::string destination_key_id;
  EncryptionContext destination_encryption_context;
  std::string source_encryption_algorithm{kSymmetricDefault};
  std::string destination_encryption_algorithm{kSymmetricDefault};
  std::vector<std::string> grant_tokens;
};

struct ReEncryptResult {
  std::vector<uint8_t> ciphertext_blob;
  std::string source_key_arn;
  std::string key_arn;
  std::string source_encryption_algorithm{kSymmetricDefault};
  std::string destination_encryption_algorithm{kSymmetricDefault};
};

struct CreateGrantRequest {
  std::string key_id;
  std::string grantee_principal;
  std::optional<std::string> retiring_principal;
  std::vector<GrantOperation> operations;
  std::optional<GrantConstraints> constraints;
  std::vector<std::string> grant_tokens;
  std::optional<std::string> name;
};

struct CreateGrantResult {
  std::string grant_token;
  std::string grant_id;
};

struct ListGrantsRequest {
  std::string key_id;
  PageRequest page;
  std::optional<std::string> grant_id;
  std::optional<std::string> grantee_principal;
};

struct RetireGrantRequest {
  std::optional<std::string> grant_token;
  std::optional<std::string> key_id;  // key ARN, with grant_id
  std::optional<std::string> grant_id;
};

struct DueWork {
  int rotated = 0;
  int deleted = 0;
};

class KmsService {
 public:
  // Validates the options and applies the "kms" schema migrations.
  static base::Result<std::unique_ptr<KmsService>> Open(KmsOptions options);
  ~KmsService();

  // Keys (§6.1).
  base::Result<KeyMetadata> CreateKey(const Caller& caller, const CreateKeyRequest& request);
  base::Result<KeyMetadata> DescribeKey(const Caller& caller, const std::string& key_id,
                                        const std::vector<std::string>& grant_tokens = {});
  base::Result<Page<KeyListEntry>> ListKeys(const Caller& caller, const PageRequest& page);
  base::Status EnableKey(const Caller& caller, const std::string& key_id);
  base::Status DisableKey(const Caller& caller, const std::string& key_id);
  base::Result<DeletionSchedule> ScheduleKeyDeletion(const Caller& caller, const std::string& key_id,
                                                     std::optional<int> pending_window_in_days);
  base::Result<std::string> CancelKeyDeletion(const Caller& caller, const std::string& key_id);  // key ARN
  base::Status UpdateKeyDescription(const Caller& caller, const std::string& key_id, const std::string& description);
  base::Status EnableKeyRotation(const Caller& caller, const std::string& key_id,
                                 std::optional<int> rotation_period_in_days = std::nullopt);
  base::Status DisableKeyRotation(const Caller& caller, const std::string& key_id);
  base::Result<RotationStatus> GetKeyRotationStatus(const Caller& caller, const std::string& key_id);
  // Adds a key version now (RotateKeyOnDemand; not in Debian's botocore model, domain only).
  base::Result<std::string> RotateKeyOnDemand(const Caller& caller, const std::string& key_id);
  base::Result<std::string> GetKeyPolicy(const Caller& caller, const std::string& key_id,
                                         const std::string& policy_name = "default");
  base::Status PutKeyPolicy(const Caller& caller, const std::string& key_id, const std::string& policy_name,
                            const std::string& policy, bool bypass_policy_lockout_safety_check = false);
  base::Result<Page<std::string>> ListKeyPolicies(const Caller& caller, const std::string& key_id,
                                                  const PageRequest& page);
  base::Status TagResource(const Caller& caller, const std::string& key_id, const std::vector<Tag>& tags);
  base::Status UntagResource(const Caller& caller, const std::string& key_id, const std::vector<std::string>& keys);
  base::Result<Page<Tag>> ListResourceTags(const Caller& caller, const std::string& key_id, const PageRequest& page);

  // Aliases (§6.2).
  base::Status CreateAlias(const Caller& caller, const std::string& alias_name, const std::string& target_key_id);
  base::Status UpdateAlias(const Caller& caller, const std::string& alias_name, const std::string& target_key_id);
  base::Status DeleteAlias(const Caller& caller, const std::string& alias_name);
  base::Result<Page<AliasEntry>> ListAliases(const Caller& caller, const std::optional<std::string>& key_id,
                                             const PageRequest& page);

  // Cryptographic operations (§6.3).
  base::Result<EncryptResult> Encrypt(const Caller& caller, const EncryptRequest& request);
  base::Result<DecryptResult> Decrypt(const Caller& caller, const DecryptRequest& request);
  base::Result<DataKeyResult> GenerateDataKey(const Caller& caller, const DataKeyRequest& request);
  base::Result<DataKeyResult> GenerateDataKeyWithoutPlaintext(const Caller& caller, const DataKeyRequest& request);
  base::Result<ReEncryptResult> ReEncrypt(const Caller& caller, const ReEncryptRequest& request);
  // 1..1024 random bytes (kms:GenerateRandom; custom key stores unsupported).
  base::Result<crypto::SecretBytes> GenerateRandom(const Caller& caller, int number_of_bytes);

  // Grants (§6.4).
  base::Result<CreateGrantResult> CreateGrant(const Caller& caller, const CreateGrantRequest& request);
  base::Result<Page<Grant>> ListGrants(const Caller& caller, const ListGrantsRequest& request);
  base::Result<Page<Grant>> ListRetirableGrants(const Caller& caller, const std::string& retiring_principal,
                                                const PageRequest& page);
  base::Status RetireGrant(const Caller& caller, const RetireGrantRequest& request);
  base::Status RevokeGrant(const Caller& caller, const std::string& key_id, const std::string& grant_id);

  // Maintenance: rotates keys whose rotation is due and destroys keys whose
  // deletion window has ended (material, aliases, grants, tags).
  base::Result<DueWork> ProcessDue(int64_t now);

  // Test harnesses (`kura serve --auth open`, POST /_kura/reset): deletes every
  // key with its material, aliases, grants and tags, and every meter row, in
  // one transaction; drops unflushed request counts and cached key policies.
  // AWS managed keys (alias/aws/ebs) are created again lazily on next use.
  // Callers must keep other KMS calls out while it runs (serve.cc's gate).
  base::Status Reset();

  // Usage and cost (pricing.md).
  base::Result<Bill> ComputeBill(const std::string& account_id, const std::string& month);
  base::Status FlushMeter();

  const std::vector<std::string>& regions() const { return regions_; }

 private:
  class Trace;
  struct Resolved {
    KeyRecord key;
    std::string alias_name;  // when the request named an alias
  };

  KmsService(KmsOptions options, crypto::SecretBytes token_key, crypto::SecretBytes header_key);

  int64_t Now() const;
  // Every KMS write goes through this: the transaction clears cache_ once it
  // has committed, so the next call sees the change.
  base::Result<std::unique_ptr<meta::Transaction>> Begin();
  base::Status CheckRegion(const Caller& caller) const;
  // KeyId parameter -> key record (§2), creating alias/aws/ebs on first use.
  base::Result<Resolved> Resolve(const Caller& caller, const std::string& key_id, bool allow_alias);
  base::Result<KeyRecord> LoadKey(const std::string& arn);
  base::Result<KeyRecord> EnsureAwsEbsKey(const Caller& caller);
  base::Result<KeyRecord> NewKeyRecord(const Caller& caller, KeyManager manager, std::string description,
                                       std::string policy);
  base::Status InsertNewKey(meta::Transaction& txn, const KeyRecord& key, int64_t now);
  base::Status AddVersion(meta::Transaction& txn, const KeyRecord& key, uint32_t version, int64_t now,
                          std::string* material_id);
  base::Result<std::shared_ptr<const crypto::SecretBytes>> Material(const KeyRecord& key, uint32_t version);
  base::Result<std::string> MaterialId(const KeyRecord& key);
  base::Result<KeyMetadata> Metadata(const KeyRecord& key);
  base::Status Authorize(const Caller& caller, const Authorization& request);
  base::Status ValidateTokens(const std::vector<std::string>& tokens) const;

  // Shared bodies.
  base::Result<std::vector<uint8_t>> SealUnder(const KeyRecord& key, const EncryptionContext& context,
                                              std::span<const uint8_t> plaintext);
  base::Result<DataKeyResult> DataKey(const Caller& caller, const DataKeyRequest& request, bool with_plaintext,
                                      Trace& trace);
  struct Opened {
    KeyRecord key;
    crypto::SecretBytes plaintext;
  };
  base::Result<Opened> OpenBlob(const Caller& caller, std::span<const uint8_t> blob, const EncryptionContext& context,
                                const std::string& key_id, const std::string& algorithm, std::string_view action,
                                GrantOperation grant_op, Trace& trace);
  base::Status SetEnabled(const Caller& caller, const std::string& key_id, bool enabled, Trace& trace);
  base::Status SetRotation(const Caller& caller, const std::string& key_id, bool enabled,
                           std::optional<int> period, Trace& trace);
  base::Status ValidateTags(const std::vector<Tag>& tags) const;
  base::Status DeleteKeyNow(const KeyRecord& key, int64_t now);
  base::Status RotateNow(KeyRecord key, int64_t now, bool on_demand);

  std::shared_ptr<meta::Database> db_;
  crypto::SecretBytes sealing_key_;
  crypto::SecretBytes header_key_;  // authenticates ciphertext headers
  std::function<int64_t()> clock_;
  std::vector<std::string> regions_;
  std::shared_ptr<AuditSink> audit_;
  KeyStore store_;
  KeyCache cache_;
  Meter meter_;
  GrantTokenCodec tokens_;
  Authorizer authorizer_;
  std::mutex mu_;          // serializes mutations
  std::mutex managed_mu_;  // serializes lazy creation of AWS managed keys
};

}  // namespace kura::kms
