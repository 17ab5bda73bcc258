#include "kms/key_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace kura::kms {

namespace {

using nlohmann::json;

constexpr const char* kKeyColumns =
    "arn, key_id, account_id, region, key_manager, description, key_usage, key_spec, origin, state, policy, "
    "created_at, deletion_date, pending_window_days, rotation_enabled, rotation_period_days, next_rotation_at, "
    "current_version, on_demand_rotations";

meta::Value OptInt(const std::optional<int64_t>& v) { return v ? meta::Value(*v) : meta::Value(meta::Null{}); }

KeyRecord KeyFromRow(const meta::Row& r) {
  KeyRecord k;
  k.arn = r.Text(0);
  k.key_id = r.Text(1);
  k.account_id = r.Text(2);
  k.region = r.Text(3);
  k.key_manager = r.Text(4) == "AWS" ? KeyManager::kAws : KeyManager::kCustomer;
  k.description = r.Text(5);
  k.key_usage = r.Text(6);
  k.key_spec = r.Text(7);
  k.origin = r.Text(8);
  k.state = ParseKeyState(r.Text(9)).value_or(KeyState::kDisabled);
  k.policy = r.Text(10);
  k.created_at = r.Int(11);
  if (!r.IsNull(12)) k.deletion_date = r.Int(12);
  if (!r.IsNull(13)) k.pending_window_days = static_cast<int>(r.Int(13));
  k.rotation_enabled = r.Int(14) != 0;
  k.rotation_period_days = static_cast<int>(r.Int(15));
  if (!r.IsNull(16)) k.next_rotation_at = r.Int(16);
  k.current_version = static_cast<uint32_t>(r.Int(17));
  k.on_demand_rotations = static_cast<int>(r.Int(18));
  return k;
}

std::vector<KeyRecord> KeysFromRows(const meta::Rows& rows) {
  std::vector<KeyRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(KeyFromRow(r));
  return out;
}

constexpr const char* kAliasColumns = "account_id, region, alias_name, target_key_arn, created_at, updated_at";

AliasRecord AliasFromRow(const meta::Row& r) {
  return AliasRecord{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4), r.Int(5)};
}

constexpr const char* kGrantColumns =
    "grant_id, key_arn, name, grantee_principal, retiring_principal, issuing_account, operations, constraints, "
    "created_at";

std::string JoinOperations(const std::vector<GrantOperation>& ops) {
  std::string out;
  for (auto op : ops) {
    if (!out.empty()) out += ",";
    out += GrantOperationName(op);
  }
  return out;
}

std::vector<GrantOperation> SplitOperations(const std::string& text) {
  std::vector<GrantOperation> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (auto op = ParseGrantOperation(std::string_view(text).substr(start, comma - start))) out.push_back(*op);
    start = comma + 1;
  }
  return out;
}

meta::Value ConstraintsToText(const std::optional<GrantConstraints>& c) {
  if (!c || c->empty()) return meta::Null{};
  json j = json::object();
  if (c->encryption_context_subset) j["EncryptionContextSubset"] = *c->encryption_context_subset;
  if (c->encryption_context_equals) j["EncryptionContextEquals"] = *c->encryption_context_equals;
  return j.dump();
}

std::optional<GrantConstraints> ConstraintsFromText(const meta::Row& r, size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  json j = json::parse(r.Text(i), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  GrantConstraints c;
  auto read = [&j](const char* name) -> std::optional<EncryptionContext> {
    auto it = j.find(name);
    if (it == j.end() || !it->is_object()) return std::nullopt;
    EncryptionContext ctx;
    for (auto& [k, v] : it->items()) {
      if (v.is_string()) ctx[k] = v.get<std::string>();
    }
    return ctx;
  };
  c.encryption_context_subset = read("EncryptionContextSubset");
  c.encryption_context_equals = read("EncryptionContextEquals");
  return c;
}

Grant GrantFromRow(const meta::Row& r) {
  Grant g;
  g.grant_id = r.Text(0);
  g.key_arn = r.Text(1);
  g.name = r.Text(2);
  g.grantee_principal = r.Text(3);
  if (!r.IsNull(4)) g.retiring_principal = r.Text(4);
  g.issuing_account = r.Text(5);
  g.operations = SplitOperations(r.Text(6));
  g.constraints = ConstraintsFromText(r, 7);
  g.creation_date = r.Int(8);
  return g;
}

std::vector<Grant> GrantsFromRows(const meta::Rows& rows) {
  std::vector<Grant> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(GrantFromRow(r));
  return out;
}

std::string Select(const char* columns, const char* rest) {
  return std::string("SELECT ") + columns + " " + rest;
}

}  // namespace

KeyStore::KeyStore(std::shared_ptr<meta::Database> db) : db_(std::move(db)) {}

base::Result<std::optional<KeyRecord>> KeyStore::FindKey(const std::string& arn) {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query(Select(kKeyColumns, "FROM kms_keys WHERE arn = ?"), {arn}));
  if (rows.empty()) return std::optional<KeyRecord>();
  return std::optional<KeyRecord>(KeyFromRow(rows[0]));
}

base::Status KeyStore::InsertKey(meta::Transaction& txn, const KeyRecord& k) {
  return txn.Exec(std::string("INSERT INTO kms_keys (") + kKeyColumns +
                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  {k.arn, k.key_id, k.account_id, k.region, std::string(KeyManagerName(k.key_manager)), k.description,
                   k.key_usage, k.key_spec, k.origin, std::string(KeyStateName(k.state)), k.policy, k.created_at,
                   OptInt(k.deletion_date),
                   k.pending_window_days ? meta::Value(int64_t{*k.pending_window_days}) : meta::Value(meta::Null{}),
                   int64_t{k.rotation_enabled}, int64_t{k.rotation_period_days}, OptInt(k.next_rotation_at),
                   int64_t{k.current_version}, int64_t{k.on_demand_rotations}});
}

base::Status KeyStore::UpdateKey(meta::Transaction& txn, const KeyRecord& k) {
  KURA_RETURN_IF_ERROR(txn.Exec(
      "UPDATE kms_keys SET description = ?, state = ?, policy = ?, deletion_date = ?, pending_window_days = ?, "
      "rotation_enabled = ?, rotation_period_days = ?, next_rotation_at = ?, current_version = ?, "
      "on_demand_rotations = ? WHERE arn = ?",
      {k.description, std::string(KeyStateName(k.state)), k.policy, OptInt(k.deletion_date),
       k.pending_window_days ? meta::Value(int64_t{*k.pending_window_days}) : meta::Value(meta::Null{}),
       int64_t{k.rotation_enabled}, int64_t{k.rotation_period_days}, OptInt(k.next_rotation_at),
       int64_t{k.current_version}, int64_t{k.on_demand_rotations}, k.arn}));
  if (txn.ChangedRows() != 1) return base::NotFoundError("key " + k.arn + " vanished");
  return base::Status::Ok();
}

base::Result<std::vector<KeyRecord>> KeyStore::ListKeys(const std::string& account_id, const std::string& region,
                                                         const std::string& after_key_id, int limit) {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query(Select(kKeyColumns,
                                                     "FROM kms_keys WHERE account_id = ? AND region = ? AND "
                                                     "key_id > ? ORDER BY key_id LIMIT ?"),
                                              {account_id, region, after_key_id, int64_t{limit}}));
  return KeysFromRows(rows);
}

base::Result<int64_t> KeyStore::CountCustomerKeys(const std::string& account_id, const std::string& region) {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT COUNT(*) FROM kms_keys WHERE account_id = ? AND region = ? "
                                              "AND key_manager = 'CUSTOMER'",
                                              {account_id, region}));
  return rows[0].Int(0);
}

base::Result<std::vector<KeyRecord>> KeyStore::KeysDueForDeletion(int64_t now) {
  KURA_ASSIGN_OR_RETURN(auto rows,
                        db_->Query(Select(kKeyColumns, "FROM kms_keys WHERE state = 'PendingDeletion' AND "
                                                       "deletion_date <= ? ORDER BY arn"),
                                   {now}));
  return KeysFromRows(rows);
}

base::Result<std::vector<KeyRecord>> KeyStore::KeysDueForRotation(int64_t now) {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query(Select(kKeyColumns,
                                                     "FROM kms_keys WHERE rotation_enabled = 1 AND state = 'Enabled' "
                                                     "AND next_rotation_at IS NOT NULL AND next_rotation_at <= ? "
                                                     "ORDER BY arn"),
                                              {now}));
  return KeysFromRows(rows);
}

base::Status KeyStore::DeleteKeyData(meta::Transaction& txn, const std::string& arn) {
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM kms_grants WHERE key_arn = ?", {arn}));
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM kms_tags WHERE key_arn = ?", {arn}));
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM kms_aliases WHERE target_key_arn = ?", {arn}));
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM kms_key_versions WHERE key_arn = ?", {arn}));
  return txn.Exec("DELETE FROM kms_keys WHERE arn = ?", {arn});
}

base::Status KeyStore::DeleteAll(meta::Transaction& txn) {
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM kms_grants"));
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM kms_tags"));
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM kms_aliases"));
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM kms_key_versions"));
  return txn.Exec("DELETE FROM kms_keys");
}

base::Status KeyStore::InsertVersion(meta::Transaction& txn, const KeyVersionRecord& v) {
  return txn.Exec(
      "INSERT INTO kms_key_versions (key_arn, version, material_id, sealed_material, created_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {v.key_arn, int64_t{v.version}, v.material_id, meta::Blob(v.sealed_material), v.created_at});
}

base::Result<std::optional<KeyVersionRecord>> KeyStore::FindVersion(const std::string& key_arn, uint32_t version) {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT material_id, sealed_material, created_at FROM "
                                              "kms_key_versions WHERE key_arn = ? AND version = ?",
                                              {key_arn, int64_t{version}}));
  if (rows.empty()) return std::optional<KeyVersionRecord>();
  KeyVersionRecord v;
  v.key_arn = key_arn;
  v.version = version;
  v.material_id = rows[0].Text(0);
  v.sealed_material = rows[0].BlobAt(1);
  v.created_at = rows[0].Int(2);
  return std::optional<KeyVersionRecord>(std::move(v));
}

base::Result<std::optional<AliasRecord>> KeyStore::FindAlias(const std::string& account_id,
                                                             const std::string& region,
                                                             const std::string& alias_name) {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query(Select(kAliasColumns,
                                                     "FROM kms_aliases WHERE account_id = ? AND region = ? AND "
                                                     "alias_name = ?"),
                                              {account_id, region, alias_name}));
  if (rows.empty()) return std::optional<AliasRecord>();
  return std::optional<AliasRecord>(AliasFromRow(rows[0]));
}

base::Status KeyStore::InsertAlias(meta::Transaction& txn, const AliasRecord& a) {
  return txn.Exec(std::string("INSERT INTO kms_aliases (") + kAliasColumns + ") VALUES (?, ?, ?, ?, ?, ?)",
                  {a.account_id, a.region, a.alias_name, a.target_key_arn, a.created_at, a.updated_at});
}

base::Status KeyStore::RetargetAlias(meta::Transaction& txn, const AliasRecord& a) {
  return txn.Exec("UPDATE kms_aliases SET target_key_arn = ?, updated_at = ? WHERE account_id = ? AND region = ? "
                  "AND alias_name = ?",
                  {a.target_key_arn, a.updated_at, a.account_id, a.region, a.alias_name});
}

base::Status KeyStore::DeleteAlias(meta::Transaction& txn, const std::string& account_id, const std::string& region,
                                   const std::string& alias_name) {
  return txn.Exec("DELETE FROM kms_aliases WHERE account_id = ? AND region = ? AND alias_name = ?",
                  {account_id, region, alias_name});
}

base::Result<std::vector<AliasRecord>> KeyStore::ListAliases(const std::string& account_id,
                                                             const std::string& region, const std::string& after,
                                                             int limit, const std::string& target_key_arn) {
  meta::Rows rows;
  if (target_key_arn.empty()) {
    KURA_ASSIGN_OR_RETURN(rows, db_->Query(Select(kAliasColumns,
                                                  "FROM kms_aliases WHERE account_id = ? AND region = ? AND "
                                                  "alias_name > ? ORDER BY alias_name LIMIT ?"),
                                           {account_id, region, after, int64_t{limit}}));
  } else {
    KURA_ASSIGN_OR_RETURN(rows, db_->Query(Select(kAliasColumns,
                                                  "FROM kms_aliases WHERE account_id = ? AND region = ? AND "
                                                  "target_key_arn = ? AND alias_name > ? ORDER BY alias_name LIMIT ?"),
                                           {account_id, region, target_key_arn, after, int64_t{limit}}));
  }
  std::vector<AliasRecord> out;
  for (const auto& r : rows) out.push_back(AliasFromRow(r));
  return out;
}

base::Result<int64_t> KeyStore::CountAliases(const std::string& target_key_arn) {
  KURA_ASSIGN_OR_RETURN(auto rows,
                        db_->Query("SELECT COUNT(*) FROM kms_aliases WHERE target_key_arn = ?", {target_key_arn}));
  return rows[0].Int(0);
}

base::Status KeyStore::InsertGrant(meta::Transaction& txn, const Grant& g) {
  return txn.Exec(std::string("INSERT INTO kms_grants (") + kGrantColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  {g.grant_id, g.key_arn, g.name, g.grantee_principal,
                   g.retiring_principal ? meta::Value(*g.retiring_principal) : meta::Value(meta::Null{}),
                   g.issuing_account, JoinOperations(g.operations), ConstraintsToText(g.constraints),
                   g.creation_date});
}

base::Result<std::optional<Grant>> KeyStore::FindGrant(const std::string& grant_id) {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query(Select(kGrantColumns, "FROM kms_grants WHERE grant_id = ?"), {grant_id}));
  if (rows.empty()) return std::optional<Grant>();
  return std::optional<Grant>(GrantFromRow(rows[0]));
}

base::Result<std::vector<Grant>> KeyStore::GrantsNamed(const std::string& key_arn, const std::string& name) {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query(Select(kGrantColumns,
                                                     "FROM kms_grants WHERE key_arn = ? AND name = ? ORDER BY "
                                                     "grant_id"),
                                              {key_arn, name}));
  return GrantsFromRows(rows);
}

base::Result<std::vector<Grant>> KeyStore::GrantsFor(const std::string& key_arn,
                                                     const std::vector<std::string>& grantees) {
  std::vector<Grant> out;
  for (const auto& grantee : grantees) {
    KURA_ASSIGN_OR_RETURN(auto rows, db_->Query(Select(kGrantColumns,
                                                       "FROM kms_grants WHERE key_arn = ? AND grantee_principal = ? "
                                                       "ORDER BY grant_id"),
                                                {key_arn, grantee}));
    for (auto& g : GrantsFromRows(rows)) out.push_back(std::move(g));
  }
  return out;
}

base::Result<std::vector<Grant>> KeyStore::ListGrants(const std::string& key_arn, const std::string& after, int limit,
                                                      const std::string& grant_id, const std::string& grantee) {
  std::string sql = Select(kGrantColumns, "FROM kms_grants WHERE key_arn = ? AND grant_id > ?");
  meta::Params params{key_arn, after};
  if (!grant_id.empty()) {
    sql += " AND grant_id = ?";
    params.emplace_back(grant_id);
  }
  if (!grantee.empty()) {
    sql += " AND grantee_principal = ?";
    params.emplace_back(grantee);
  }
  sql += " ORDER BY grant_id LIMIT ?";
  params.emplace_back(int64_t{limit});
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query(sql, params));
  return GrantsFromRows(rows);
}

base::Result<std::vector<Grant>> KeyStore::ListRetirableGrants(const std::string& retiring_principal,
                                                               const std::string& key_arn_prefix,
                                                               const std::string& after, int limit) {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query(Select(kGrantColumns,
                                                     "FROM kms_grants WHERE retiring_principal = ? AND "
                                                     // length(?), not a bound integer: PostgreSQL's substr
                                                     // takes a 32-bit length.
                                                     "substr(key_arn, 1, length(?)) = ? AND grant_id > ? "
                                                     "ORDER BY grant_id LIMIT ?"),
                                              {retiring_principal, key_arn_prefix, key_arn_prefix, after,
                                               int64_t{limit}}));
  return GrantsFromRows(rows);
}

base::Status KeyStore::DeleteGrant(meta::Transaction& txn, const std::string& grant_id) {
  return txn.Exec("DELETE FROM kms_grants WHERE grant_id = ?", {grant_id});
}

base::Result<int64_t> KeyStore::CountGrants(const std::string& key_arn) {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT COUNT(*) FROM kms_grants WHERE key_arn = ?", {key_arn}));
  return rows[0].Int(0);
}

base::Status KeyStore::PutTag(meta::Transaction& txn, const std::string& key_arn, const Tag& tag) {
  KURA_RETURN_IF_ERROR(
      txn.Exec("DELETE FROM kms_tags WHERE key_arn = ? AND tag_key = ?", {key_arn, tag.key}));
  return txn.Exec("INSERT INTO kms_tags (key_arn, tag_key, tag_value) VALUES (?, ?, ?)", {key_arn, tag.key, tag.value});
}

base::Status KeyStore::DeleteTag(meta::Transaction& txn, const std::string& key_arn, const std::string& tag_key) {
  return txn.Exec("DELETE FROM kms_tags WHERE key_arn = ? AND tag_key = ?", {key_arn, tag_key});
}

base::Result<std::vector<Tag>> KeyStore::ListTags(const std::string& key_arn, const std::string& after, int limit) {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT tag_key, tag_value FROM kms_tags WHERE key_arn = ? AND "
                                              "tag_key > ? ORDER BY tag_key LIMIT ?",
                                              {key_arn, after, int64_t{limit}}));
  std::vector<Tag> out;
  for (const auto& r : rows) out.push_back(Tag{r.Text(0), r.Text(1)});
  return out;
}

base::Result<std::vector<Tag>> KeyStore::AllTags(const std::string& key_arn) {
  return ListTags(key_arn, "", 1 << 20);
}

}  // namespace kura::kms
