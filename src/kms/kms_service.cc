// KmsService core: construction, identifier resolution, key records and
// material, the AWS managed EBS key, tracing, and maintenance (ProcessDue).
#include "kms/kms_service.h"

#include <ctime>

#include "base/log.h"
#include "crypto/gcm.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "kms/ciphertext.h"
#include "kms/identifiers.h"
#include "kms/key_policy.h"
#include "kms/kms_error.h"
#include "kms/kms_service_trace.h"
#include "kms/schema.h"

namespace kura::kms {

namespace {

constexpr int64_t kDay = 86400;
constexpr std::string_view kTokenKeyInfo = "kura kms grant token v1";
constexpr std::string_view kHeaderKeyInfo = "kura kms ciphertext header v1";

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Commits, then drops the key cache: whatever the transaction changed (state,
// policy, versions, aliases, deletion) is read afresh by the next call.
class CacheClearingTransaction final : public meta::Transaction {
 public:
  CacheClearingTransaction(std::unique_ptr<meta::Transaction> inner, KeyCache* cache)
      : inner_(std::move(inner)), cache_(cache) {}
  base::Status Exec(std::string_view sql, const meta::Params& params) override { return inner_->Exec(sql, params); }
  base::Result<meta::Rows> Query(std::string_view sql, const meta::Params& params) override {
    return inner_->Query(sql, params);
  }
  int64_t ChangedRows() override { return inner_->ChangedRows(); }
  base::Status Commit() override {
    base::Status committed = inner_->Commit();
    // Also on failure: whether a failed commit left anything behind is not worth guessing.
    cache_->Clear();
    return committed;
  }

 private:
  std::unique_ptr<meta::Transaction> inner_;
  KeyCache* cache_;
};

}  // namespace

// ---- Trace ----

KmsService::Trace::Trace(KmsService* service, const Caller& caller, std::string_view operation) : service_(service) {
  record_.request_id = caller.request_id;
  record_.region = caller.region;
  record_.account_id = caller.principal.account_id;
  record_.principal_arn = caller.principal.arn;
  record_.operation = std::string(operation);
  record_.via_service = caller.via_service;
}

void KmsService::Trace::SetContext(const EncryptionContext& context) {
  record_.encryption_context_keys.clear();
  for (const auto& [k, v] : context) record_.encryption_context_keys.push_back(k);
}

void KmsService::Trace::Record(const base::Status& status) {
  const int64_t now = service_->Now();
  record_.time = now;
  record_.result = std::string(KmsErrorName(ErrorOf(status)));
  service_->meter_.CountRequest(record_.account_id, record_.region, now);
  if (service_->audit_) service_->audit_->Write(FormatAuditLine(record_));
}

// ---- construction ----

base::Result<std::unique_ptr<KmsService>> KmsService::Open(KmsOptions options) {
  if (!options.db) return base::InvalidArgumentError("KMS needs a metadata database");
  if (options.sealing_key.size() != crypto::kGcmKeySize) {
    return base::InvalidArgumentError("KMS material-sealing key must be 32 bytes");
  }
  if (options.regions.empty()) return base::InvalidArgumentError("KMS needs at least one enabled region");
  if (!options.clock) options.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
  if (!options.audit) options.audit = std::make_shared<LogAuditSink>();
  KURA_RETURN_IF_ERROR(ApplyKmsMigrations(*options.db));
  KURA_ASSIGN_OR_RETURN(auto token_key,
                        crypto::HkdfSha256(options.sealing_key.span(), {}, Bytes(kTokenKeyInfo), 32));
  KURA_ASSIGN_OR_RETURN(auto header_key,
                        crypto::HkdfSha256(options.sealing_key.span(), {}, Bytes(kHeaderKeyInfo), 32));
  return std::unique_ptr<KmsService>(
      new KmsService(std::move(options), std::move(token_key), std::move(header_key)));
}

KmsService::KmsService(KmsOptions options, crypto::SecretBytes token_key, crypto::SecretBytes header_key)
    : db_(options.db),
      sealing_key_(std::move(options.sealing_key)),
      header_key_(std::move(header_key)),
      clock_(std::move(options.clock)),
      regions_(std::move(options.regions)),
      audit_(std::move(options.audit)),
      store_(options.db),
      meter_(options.db),
      tokens_(std::move(token_key)),
      authorizer_(std::move(options.identity_policies),
                  [this](const std::string& key_arn, const iam::Principal& principal) {
                    return store_.GrantsFor(key_arn, GranteeCandidates(principal));
                  }) {}

KmsService::~KmsService() { (void)meter_.Flush(); }

int64_t KmsService::Now() const { return clock_(); }

base::Result<std::unique_ptr<meta::Transaction>> KmsService::Begin() {
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  return std::unique_ptr<meta::Transaction>(std::make_unique<CacheClearingTransaction>(std::move(txn), &cache_));
}

base::Status KmsService::CheckRegion(const Caller& caller) const {
  for (const auto& r : regions_) {
    if (r == caller.region) return base::Status::Ok();
  }
  return ValidationError("Region '" + caller.region + "' is not enabled");
}

base::Status KmsService::ValidateTokens(const std::vector<std::string>& tokens) const {
  return tokens_.Validate(tokens);
}

base::Status KmsService::Authorize(const Caller& caller, const Authorization& request) {
  return authorizer_.Authorize(caller, request);
}

// ---- resolution ----

base::Result<KeyRecord> KmsService::LoadKey(const std::string& arn) {
  if (auto cached = cache_.FindKey(arn)) return *std::move(cached);
  const uint64_t generation = cache_.generation();
  KURA_ASSIGN_OR_RETURN(auto key, store_.FindKey(arn));
  if (!key) return KeyDoesNotExistError(arn);
  cache_.PutKey(*key, generation);
  return *std::move(key);
}

base::Result<KmsService::Resolved> KmsService::Resolve(const Caller& caller, const std::string& key_id,
                                                       bool allow_alias) {
  KURA_RETURN_IF_ERROR(CheckRegion(caller));
  if (key_id.empty()) {
    return ValidationError(
        "1 validation error detected: Value at 'keyId' failed to satisfy constraint: Member must have length "
        "greater than or equal to 1");
  }
  KURA_ASSIGN_OR_RETURN(KeyRef ref, ParseKeyRef(key_id, caller.principal.account_id, caller.region, allow_alias));
  Resolved out;
  if (ref.is_alias()) {
    out.alias_name = ref.alias_name;
    if (auto target = cache_.FindAlias(ref.account_id, ref.region, ref.alias_name)) {
      KURA_ASSIGN_OR_RETURN(out.key, LoadKey(*target));
      return out;
    }
    const uint64_t generation = cache_.generation();
    KURA_ASSIGN_OR_RETURN(auto alias, store_.FindAlias(ref.account_id, ref.region, ref.alias_name));
    if (alias) cache_.PutAlias(*alias, generation);
    if (!alias) {
      if (ref.alias_name == kAwsEbsAlias && ref.account_id == caller.principal.account_id) {
        KURA_ASSIGN_OR_RETURN(out.key, EnsureAwsEbsKey(caller));
        return out;
      }
      return KmsStatus(KmsError::kNotFound,
                       "Alias " + AliasArn(ref.region, ref.account_id, ref.alias_name) + " is not found.");
    }
    KURA_ASSIGN_OR_RETURN(out.key, LoadKey(alias->target_key_arn));
    return out;
  }
  KURA_ASSIGN_OR_RETURN(out.key, LoadKey(KeyArn(ref.region, ref.account_id, ref.key_id)));
  return out;
}

// ---- key records and material ----

base::Result<KeyRecord> KmsService::NewKeyRecord(const Caller& caller, KeyManager manager, std::string description,
                                                 std::string policy) {
  KeyRecord key;
  KURA_ASSIGN_OR_RETURN(key.key_id, NewKeyId());
  key.account_id = caller.principal.account_id;
  key.region = caller.region;
  key.arn = KeyArn(key.region, key.account_id, key.key_id);
  key.key_manager = manager;
  key.description = std::move(description);
  key.policy = std::move(policy);
  key.created_at = Now();
  key.state = KeyState::kEnabled;
  key.current_version = 1;
  if (manager == KeyManager::kAws) {
    key.rotation_enabled = true;
    key.rotation_period_days = 365;
    key.next_rotation_at = key.created_at + 365 * kDay;
  }
  return key;
}

base::Status KmsService::AddVersion(meta::Transaction& txn, const KeyRecord& key, uint32_t version, int64_t now,
                                    std::string* material_id) {
  KURA_ASSIGN_OR_RETURN(auto material, crypto::RandomSecret(kKeyMaterialSize));
  KeyVersionRecord v;
  v.key_arn = key.arn;
  v.version = version;
  KURA_ASSIGN_OR_RETURN(v.material_id, NewHexId());
  KURA_ASSIGN_OR_RETURN(v.sealed_material, crypto::WrapKey(sealing_key_, material, MaterialAad(key.arn, version)));
  v.created_at = now;
  KURA_RETURN_IF_ERROR(store_.InsertVersion(txn, v));
  KURA_RETURN_IF_ERROR(meter_.VersionAdded(txn, key.arn, version, now));
  if (material_id) *material_id = v.material_id;
  return base::Status::Ok();
}

base::Status KmsService::InsertNewKey(meta::Transaction& txn, const KeyRecord& key, int64_t now) {
  KURA_RETURN_IF_ERROR(store_.InsertKey(txn, key));
  KURA_RETURN_IF_ERROR(AddVersion(txn, key, 1, now, nullptr));
  if (key.key_manager == KeyManager::kCustomer) {
    KURA_RETURN_IF_ERROR(meter_.KeyCreated(txn, key.arn, key.account_id, key.region, now));
  }
  return base::Status::Ok();
}

base::Result<std::shared_ptr<const crypto::SecretBytes>> KmsService::Material(const KeyRecord& key,
                                                                               uint32_t version) {
  if (auto cached = cache_.FindMaterial(key.arn, version)) return cached;
  const uint64_t generation = cache_.generation();
  KURA_ASSIGN_OR_RETURN(auto v, store_.FindVersion(key.arn, version));
  if (!v) return base::NotFoundError("no key material version " + std::to_string(version) + " for " + key.arn);
  auto material = crypto::UnwrapKey(sealing_key_, v->sealed_material, MaterialAad(key.arn, version));
  if (!material.ok()) {
    return KmsStatus(KmsError::kInternal, "key material of " + key.arn + " version " + std::to_string(version) +
                                              " does not open under the sealing key");
  }
  auto shared = std::make_shared<const crypto::SecretBytes>(std::move(material).value());
  cache_.PutMaterial(key.arn, version, shared, generation);
  return shared;
}

base::Result<std::string> KmsService::MaterialId(const KeyRecord& key) {
  KURA_ASSIGN_OR_RETURN(auto v, store_.FindVersion(key.arn, key.current_version));
  return v ? v->material_id : std::string();
}

base::Result<KeyMetadata> KmsService::Metadata(const KeyRecord& key) {
  KeyMetadata m;
  m.aws_account_id = key.account_id;
  m.key_id = key.key_id;
  m.arn = key.arn;
  m.creation_date = key.created_at;
  m.enabled = key.state == KeyState::kEnabled;
  m.description = key.description;
  m.key_usage = key.key_usage;
  m.key_state = key.state;
  if (key.state == KeyState::kPendingDeletion) {
    m.deletion_date = key.deletion_date;
    m.pending_deletion_window_in_days = key.pending_window_days;
  }
  m.origin = key.origin;
  m.key_manager = key.key_manager;
  m.key_spec = key.key_spec;
  m.encryption_algorithms = {std::string(kSymmetricDefault)};
  m.multi_region = false;
  KURA_ASSIGN_OR_RETURN(m.current_key_material_id, MaterialId(key));
  return m;
}

base::Result<KeyRecord> KmsService::EnsureAwsEbsKey(const Caller& caller) {
  std::lock_guard lock(managed_mu_);
  const std::string alias_name(kAwsEbsAlias);
  KURA_ASSIGN_OR_RETURN(auto existing, store_.FindAlias(caller.principal.account_id, caller.region, alias_name));
  if (existing) return LoadKey(existing->target_key_arn);
  KURA_ASSIGN_OR_RETURN(auto key, NewKeyRecord(caller, KeyManager::kAws, std::string(kAwsEbsDescription),
                                               AwsEbsKeyPolicy(caller.principal.account_id, caller.region)));
  const int64_t now = key.created_at;
  KURA_ASSIGN_OR_RETURN(auto txn, Begin());
  KURA_RETURN_IF_ERROR(InsertNewKey(*txn, key, now));
  KURA_RETURN_IF_ERROR(store_.InsertAlias(*txn, AliasRecord{key.account_id, key.region, alias_name, key.arn, now, now}));
  KURA_RETURN_IF_ERROR(txn->Commit());
  base::LogEvent(base::LogLevel::kInfo, "kms_aws_managed_key_created",
                 {{"alias", alias_name}, {"key", key.arn}});
  return key;
}

// ---- maintenance ----

base::Status KmsService::DeleteKeyNow(const KeyRecord& key, int64_t now) {
  KURA_ASSIGN_OR_RETURN(auto txn, Begin());
  KURA_RETURN_IF_ERROR(store_.DeleteKeyData(*txn, key.arn));
  KURA_RETURN_IF_ERROR(meter_.KeyDeleted(*txn, key.arn, now));
  KURA_RETURN_IF_ERROR(txn->Commit());
  authorizer_.Forget(key.arn);
  base::LogEvent(base::LogLevel::kInfo, "kms_key_deleted", {{"key", key.arn}});
  return base::Status::Ok();
}

base::Status KmsService::RotateNow(KeyRecord key, int64_t now, bool on_demand) {
  const uint32_t version = key.current_version + 1;
  KURA_ASSIGN_OR_RETURN(auto txn, Begin());
  KURA_RETURN_IF_ERROR(AddVersion(*txn, key, version, now, nullptr));
  key.current_version = version;
  if (on_demand) {
    ++key.on_demand_rotations;
  } else {
    key.next_rotation_at = now + int64_t{key.rotation_period_days} * kDay;
  }
  KURA_RETURN_IF_ERROR(store_.UpdateKey(*txn, key));
  KURA_RETURN_IF_ERROR(txn->Commit());
  base::LogEvent(base::LogLevel::kInfo, "kms_key_rotated",
                 {{"key", key.arn}, {"version", std::to_string(version)}, {"on_demand", on_demand ? "1" : "0"}});
  return base::Status::Ok();
}

base::Result<DueWork> KmsService::ProcessDue(int64_t now) {
  std::lock_guard lock(mu_);
  DueWork work;
  KURA_ASSIGN_OR_RETURN(auto doomed, store_.KeysDueForDeletion(now));
  for (const auto& key : doomed) {
    KURA_RETURN_IF_ERROR(DeleteKeyNow(key, now));
    ++work.deleted;
  }
  KURA_ASSIGN_OR_RETURN(auto due, store_.KeysDueForRotation(now));
  for (auto& key : due) {
    KURA_RETURN_IF_ERROR(RotateNow(std::move(key), now, false));
    ++work.rotated;
  }
  KURA_RETURN_IF_ERROR(meter_.Flush());
  return work;
}

base::Status KmsService::Reset() {
  std::scoped_lock lock(mu_, managed_mu_);
  KURA_ASSIGN_OR_RETURN(auto txn, Begin());
  KURA_RETURN_IF_ERROR(store_.DeleteAll(*txn));
  KURA_RETURN_IF_ERROR(meter_.DeleteAll(*txn));
  KURA_RETURN_IF_ERROR(txn->Commit());
  authorizer_.ForgetAll();
  base::LogEvent(base::LogLevel::kInfo, "kms_reset");
  return base::Status::Ok();
}

base::Result<Bill> KmsService::ComputeBill(const std::string& account_id, const std::string& month) {
  return meter_.ComputeBill(account_id, month);
}

base::Status KmsService::FlushMeter() { return meter_.Flush(); }

}  // namespace kura::kms
