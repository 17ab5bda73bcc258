#include "api/kms_provider.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/log.h"
#include "kms/kms_error.h"

namespace kura::api {

namespace {

using nlohmann::json;
using kms::KmsError;

// ---- input helpers -----------------------------------------------------------

std::string WireMember(std::string_view member) {
  std::string out(member);
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

base::Status WrongType(std::string_view member, std::string_view type) {
  return kms::ValidationError("1 validation error detected: Value at '" + WireMember(member) +
                              "' failed to satisfy constraint: Member must be " + std::string(type));
}

const json* Find(const json& input, std::string_view member) {
  if (!input.is_object()) return nullptr;
  auto it = input.find(member);
  if (it == input.end() || it->is_null()) return nullptr;
  return &*it;
}

base::Result<std::optional<std::string>> OptString(const json& input, std::string_view member) {
  const json* v = Find(input, member);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return WrongType(member, "a string");
  return std::optional<std::string>(v->get<std::string>());
}

base::Result<std::string> ReqString(const json& input, std::string_view member) {
  KURA_ASSIGN_OR_RETURN(auto v, OptString(input, member));
  if (!v) {
    return kms::ValidationError("1 validation error detected: Value null at '" + WireMember(member) +
                                "' failed to satisfy constraint: Member must not be null");
  }
  return *std::move(v);
}

base::Result<std::optional<int>> OptInt(const json& input, std::string_view member) {
  const json* v = Find(input, member);
  if (!v) return std::optional<int>();
  if (!v->is_number_integer()) return WrongType(member, "an integer");
  const int64_t n = v->get<int64_t>();
  if (n < INT32_MIN || n > INT32_MAX) return WrongType(member, "a 32-bit integer");
  return std::optional<int>(static_cast<int>(n));
}

base::Result<bool> OptBool(const json& input, std::string_view member) {
  const json* v = Find(input, member);
  if (!v) return false;
  if (!v->is_boolean()) return WrongType(member, "a boolean");
  return v->get<bool>();
}

base::Result<std::optional<std::vector<uint8_t>>> OptBlob(const json& input, std::string_view member) {
  const json* v = Find(input, member);
  if (!v) return std::optional<std::vector<uint8_t>>();
  if (v->is_binary()) {
    const auto& b = v->get_binary();
    return std::optional<std::vector<uint8_t>>(std::vector<uint8_t>(b.begin(), b.end()));
  }
  return WrongType(member, "a blob");
}

base::Result<std::vector<uint8_t>> ReqBlob(const json& input, std::string_view member) {
  KURA_ASSIGN_OR_RETURN(auto v, OptBlob(input, member));
  if (!v) {
    return kms::ValidationError("1 validation error detected: Value null at '" + WireMember(member) +
                                "' failed to satisfy constraint: Member must not be null");
  }
  return *std::move(v);
}

base::Result<std::optional<kms::EncryptionContext>> OptContextMap(const json& input, std::string_view member) {
  const json* v = Find(input, member);
  if (!v) return std::optional<kms::EncryptionContext>();
  if (!v->is_object()) return WrongType(member, "a map");
  kms::EncryptionContext out;
  for (const auto& [k, val] : v->items()) {
    if (!val.is_string()) return WrongType(member, "a map of strings");
    out[k] = val.get<std::string>();
  }
  return std::optional<kms::EncryptionContext>(std::move(out));
}

base::Result<kms::EncryptionContext> ContextMap(const json& input, std::string_view member) {
  KURA_ASSIGN_OR_RETURN(auto v, OptContextMap(input, member));
  return v ? *std::move(v) : kms::EncryptionContext{};
}

base::Result<std::vector<std::string>> StringList(const json& input, std::string_view member) {
  const json* v = Find(input, member);
  if (!v) return std::vector<std::string>{};
  if (!v->is_array()) return WrongType(member, "a list");
  std::vector<std::string> out;
  for (const auto& item : *v) {
    if (!item.is_string()) return WrongType(member, "a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

base::Result<std::vector<kms::Tag>> Tags(const json& input, std::string_view member) {
  const json* v = Find(input, member);
  if (!v) return std::vector<kms::Tag>{};
  if (!v->is_array()) return WrongType(member, "a list");
  std::vector<kms::Tag> out;
  for (const auto& item : *v) {
    KURA_ASSIGN_OR_RETURN(auto key, ReqString(item, "TagKey"));
    KURA_ASSIGN_OR_RETURN(auto value, ReqString(item, "TagValue"));
    out.push_back({std::move(key), std::move(value)});
  }
  return out;
}

base::Result<kms::PageRequest> Page(const json& input) {
  kms::PageRequest page;
  KURA_ASSIGN_OR_RETURN(page.limit, OptInt(input, "Limit"));
  KURA_ASSIGN_OR_RETURN(auto marker, OptString(input, "Marker"));
  page.marker = marker.value_or("");
  return page;
}

json Binary(std::span<const uint8_t> bytes) { return json::binary(std::vector<uint8_t>(bytes.begin(), bytes.end())); }

template <typename T>
void PutPage(json& out, const kms::Page<T>& page) {
  out["Truncated"] = page.truncated;
  if (page.truncated) out["NextMarker"] = page.next_marker;
}

// ---- output helpers ----------------------------------------------------------

json MetadataJson(const kms::KeyMetadata& m) {
  json j;
  j["AWSAccountId"] = m.aws_account_id;
  j["KeyId"] = m.key_id;
  j["Arn"] = m.arn;
  j["CreationDate"] = m.creation_date;
  j["Enabled"] = m.enabled;
  j["Description"] = m.description;
  j["KeyUsage"] = m.key_usage;
  j["KeyState"] = std::string(kms::KeyStateName(m.key_state));
  if (m.deletion_date) j["DeletionDate"] = *m.deletion_date;
  if (m.pending_deletion_window_in_days) j["PendingDeletionWindowInDays"] = *m.pending_deletion_window_in_days;
  j["Origin"] = m.origin;
  j["KeyManager"] = std::string(kms::KeyManagerName(m.key_manager));
  j["CustomerMasterKeySpec"] = m.key_spec;
  j["KeySpec"] = m.key_spec;
  j["EncryptionAlgorithms"] = m.encryption_algorithms;
  j["MultiRegion"] = m.multi_region;
  if (!m.current_key_material_id.empty()) j["CurrentKeyMaterialId"] = m.current_key_material_id;
  return j;
}

json ContextJson(const kms::EncryptionContext& ctx) {
  json j = json::object();
  for (const auto& [k, v] : ctx) j[k] = v;
  return j;
}

json GrantJson(const kms::Grant& g) {
  json j;
  j["KeyId"] = g.key_arn;
  j["GrantId"] = g.grant_id;
  j["Name"] = g.name;
  j["CreationDate"] = g.creation_date;
  j["GranteePrincipal"] = g.grantee_principal;
  if (g.retiring_principal) j["RetiringPrincipal"] = *g.retiring_principal;
  j["IssuingAccount"] = g.issuing_account;
  json ops = json::array();
  for (auto op : g.operations) ops.push_back(std::string(kms::GrantOperationName(op)));
  j["Operations"] = std::move(ops);
  if (g.constraints && !g.constraints->empty()) {
    json c = json::object();
    if (g.constraints->encryption_context_subset) {
      c["EncryptionContextSubset"] = ContextJson(*g.constraints->encryption_context_subset);
    }
    if (g.constraints->encryption_context_equals) {
      c["EncryptionContextEquals"] = ContextJson(*g.constraints->encryption_context_equals);
    }
    j["Constraints"] = std::move(c);
  }
  return j;
}

json GrantPage(const kms::Page<kms::Grant>& page) {
  json out;
  json grants = json::array();
  for (const auto& g : page.items) grants.push_back(GrantJson(g));
  out["Grants"] = std::move(grants);
  PutPage(out, page);
  return out;
}

base::Result<json> Empty(const base::Status& s) {
  if (!s.ok()) return s;
  return json::object();
}

// ---- operations --------------------------------------------------------------

using Handler = std::function<base::Result<json>(kms::KmsService&, const kms::Caller&, const json&)>;

base::Result<json> CreateKey(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  kms::CreateKeyRequest req;
  KURA_ASSIGN_OR_RETURN(req.policy, OptString(in, "Policy"));
  KURA_ASSIGN_OR_RETURN(auto description, OptString(in, "Description"));
  req.description = description.value_or("");
  KURA_ASSIGN_OR_RETURN(auto usage, OptString(in, "KeyUsage"));
  if (usage) req.key_usage = *usage;
  KURA_ASSIGN_OR_RETURN(auto spec, OptString(in, "KeySpec"));
  KURA_ASSIGN_OR_RETURN(auto cmk_spec, OptString(in, "CustomerMasterKeySpec"));
  if (spec && cmk_spec && *spec != *cmk_spec) {
    return kms::ValidationError("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
                                "CustomerMasterKeySpec parameter is deprecated. Use KeySpec only.");
  }
  if (spec) req.key_spec = *spec;
  if (cmk_spec) req.key_spec = *cmk_spec;
  KURA_ASSIGN_OR_RETURN(auto origin, OptString(in, "Origin"));
  if (origin) req.origin = *origin;
  KURA_ASSIGN_OR_RETURN(req.bypass_policy_lockout_safety_check, OptBool(in, "BypassPolicyLockoutSafetyCheck"));
  KURA_ASSIGN_OR_RETURN(req.tags, Tags(in, "Tags"));
  KURA_ASSIGN_OR_RETURN(req.multi_region, OptBool(in, "MultiRegion"));
  KURA_ASSIGN_OR_RETURN(auto store, OptString(in, "CustomKeyStoreId"));
  KURA_ASSIGN_OR_RETURN(auto xks, OptString(in, "XksKeyId"));
  if (store || xks) return kms::KmsStatus(KmsError::kUnsupportedOperation, "kura does not support custom key stores");
  KURA_ASSIGN_OR_RETURN(auto m, svc.CreateKey(c, req));
  return json{{"KeyMetadata", MetadataJson(m)}};
}

base::Result<json> DescribeKey(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto tokens, StringList(in, "GrantTokens"));
  KURA_ASSIGN_OR_RETURN(auto m, svc.DescribeKey(c, key_id, tokens));
  return json{{"KeyMetadata", MetadataJson(m)}};
}

base::Result<json> ListKeys(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto page, Page(in));
  KURA_ASSIGN_OR_RETURN(auto result, svc.ListKeys(c, page));
  json keys = json::array();
  for (const auto& k : result.items) keys.push_back({{"KeyId", k.key_id}, {"KeyArn", k.key_arn}});
  json out;
  out["Keys"] = std::move(keys);
  PutPage(out, result);
  return out;
}

base::Result<json> EnableKey(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  return Empty(svc.EnableKey(c, key_id));
}

base::Result<json> DisableKey(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  return Empty(svc.DisableKey(c, key_id));
}

base::Result<json> ScheduleKeyDeletion(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto days, OptInt(in, "PendingWindowInDays"));
  KURA_ASSIGN_OR_RETURN(auto s, svc.ScheduleKeyDeletion(c, key_id, days));
  return json{{"KeyId", s.key_arn},
              {"DeletionDate", s.deletion_date},
              {"KeyState", std::string(kms::KeyStateName(s.key_state))},
              {"PendingWindowInDays", s.pending_window_in_days}};
}

base::Result<json> CancelKeyDeletion(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto arn, svc.CancelKeyDeletion(c, key_id));
  return json{{"KeyId", arn}};
}

base::Result<json> UpdateKeyDescription(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto description, ReqString(in, "Description"));
  return Empty(svc.UpdateKeyDescription(c, key_id, description));
}

base::Result<json> EnableKeyRotation(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto period, OptInt(in, "RotationPeriodInDays"));
  return Empty(svc.EnableKeyRotation(c, key_id, period));
}

base::Result<json> DisableKeyRotation(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  return Empty(svc.DisableKeyRotation(c, key_id));
}

base::Result<json> GetKeyRotationStatus(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto s, svc.GetKeyRotationStatus(c, key_id));
  json out{{"KeyRotationEnabled", s.key_rotation_enabled}, {"KeyId", s.key_arn}};
  if (s.rotation_period_in_days) out["RotationPeriodInDays"] = *s.rotation_period_in_days;
  if (s.next_rotation_date) out["NextRotationDate"] = *s.next_rotation_date;
  return out;
}

base::Result<json> GetKeyPolicy(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto name, OptString(in, "PolicyName"));
  KURA_ASSIGN_OR_RETURN(auto policy, svc.GetKeyPolicy(c, key_id, name.value_or("default")));
  return json{{"Policy", policy}, {"PolicyName", name.value_or("default")}};
}

base::Result<json> PutKeyPolicy(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto name, OptString(in, "PolicyName"));
  KURA_ASSIGN_OR_RETURN(auto policy, ReqString(in, "Policy"));
  KURA_ASSIGN_OR_RETURN(auto bypass, OptBool(in, "BypassPolicyLockoutSafetyCheck"));
  return Empty(svc.PutKeyPolicy(c, key_id, name.value_or("default"), policy, bypass));
}

base::Result<json> ListKeyPolicies(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto page, Page(in));
  KURA_ASSIGN_OR_RETURN(auto result, svc.ListKeyPolicies(c, key_id, page));
  json out;
  out["PolicyNames"] = result.items;
  PutPage(out, result);
  return out;
}

base::Result<json> TagResource(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto tags, Tags(in, "Tags"));
  return Empty(svc.TagResource(c, key_id, tags));
}

base::Result<json> UntagResource(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto keys, StringList(in, "TagKeys"));
  return Empty(svc.UntagResource(c, key_id, keys));
}

base::Result<json> ListResourceTags(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto page, Page(in));
  KURA_ASSIGN_OR_RETURN(auto result, svc.ListResourceTags(c, key_id, page));
  json tags = json::array();
  for (const auto& t : result.items) tags.push_back({{"TagKey", t.key}, {"TagValue", t.value}});
  json out;
  out["Tags"] = std::move(tags);
  PutPage(out, result);
  return out;
}

base::Result<json> CreateAlias(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto name, ReqString(in, "AliasName"));
  KURA_ASSIGN_OR_RETURN(auto target, ReqString(in, "TargetKeyId"));
  return Empty(svc.CreateAlias(c, name, target));
}

base::Result<json> UpdateAlias(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto name, ReqString(in, "AliasName"));
  KURA_ASSIGN_OR_RETURN(auto target, ReqString(in, "TargetKeyId"));
  return Empty(svc.UpdateAlias(c, name, target));
}

base::Result<json> DeleteAlias(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto name, ReqString(in, "AliasName"));
  return Empty(svc.DeleteAlias(c, name));
}

base::Result<json> ListAliases(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, OptString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto page, Page(in));
  KURA_ASSIGN_OR_RETURN(auto result, svc.ListAliases(c, key_id, page));
  json aliases = json::array();
  for (const auto& a : result.items) {
    json e{{"AliasName", a.alias_name}, {"AliasArn", a.alias_arn}};
    if (a.target_key_id) e["TargetKeyId"] = *a.target_key_id;
    if (a.creation_date) e["CreationDate"] = *a.creation_date;
    if (a.last_updated_date) e["LastUpdatedDate"] = *a.last_updated_date;
    aliases.push_back(std::move(e));
  }
  json out;
  out["Aliases"] = std::move(aliases);
  PutPage(out, result);
  return out;
}

base::Result<json> Encrypt(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  kms::EncryptRequest req;
  KURA_ASSIGN_OR_RETURN(req.key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto plaintext, ReqBlob(in, "Plaintext"));
  req.plaintext = crypto::SecretBytes(plaintext);
  std::fill(plaintext.begin(), plaintext.end(), 0);
  KURA_ASSIGN_OR_RETURN(req.encryption_context, ContextMap(in, "EncryptionContext"));
  KURA_ASSIGN_OR_RETURN(req.grant_tokens, StringList(in, "GrantTokens"));
  KURA_ASSIGN_OR_RETURN(auto alg, OptString(in, "EncryptionAlgorithm"));
  if (alg) req.encryption_algorithm = *alg;
  KURA_ASSIGN_OR_RETURN(auto r, svc.Encrypt(c, req));
  return json{{"CiphertextBlob", Binary(r.ciphertext_blob)},
              {"KeyId", r.key_arn},
              {"EncryptionAlgorithm", r.encryption_algorithm}};
}

base::Result<json> Decrypt(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  kms::DecryptRequest req;
  KURA_ASSIGN_OR_RETURN(req.ciphertext_blob, ReqBlob(in, "CiphertextBlob"));
  KURA_ASSIGN_OR_RETURN(req.encryption_context, ContextMap(in, "EncryptionContext"));
  KURA_ASSIGN_OR_RETURN(req.grant_tokens, StringList(in, "GrantTokens"));
  KURA_ASSIGN_OR_RETURN(auto key_id, OptString(in, "KeyId"));
  req.key_id = key_id.value_or("");
  KURA_ASSIGN_OR_RETURN(auto alg, OptString(in, "EncryptionAlgorithm"));
  if (alg) req.encryption_algorithm = *alg;
  KURA_ASSIGN_OR_RETURN(auto r, svc.Decrypt(c, req));
  return json{{"KeyId", r.key_arn}, {"Plaintext", Binary(r.plaintext.span())},
              {"EncryptionAlgorithm", r.encryption_algorithm}};
}

base::Result<kms::DataKeyRequest> DataKeyRequestOf(const json& in) {
  kms::DataKeyRequest req;
  KURA_ASSIGN_OR_RETURN(req.key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(req.encryption_context, ContextMap(in, "EncryptionContext"));
  KURA_ASSIGN_OR_RETURN(req.number_of_bytes, OptInt(in, "NumberOfBytes"));
  KURA_ASSIGN_OR_RETURN(req.key_spec, OptString(in, "KeySpec"));
  KURA_ASSIGN_OR_RETURN(req.grant_tokens, StringList(in, "GrantTokens"));
  return req;
}

base::Result<json> GenerateDataKey(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto req, DataKeyRequestOf(in));
  KURA_ASSIGN_OR_RETURN(auto r, svc.GenerateDataKey(c, req));
  return json{{"CiphertextBlob", Binary(r.ciphertext_blob)}, {"Plaintext", Binary(r.plaintext.span())},
              {"KeyId", r.key_arn}};
}

base::Result<json> GenerateDataKeyWithoutPlaintext(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto req, DataKeyRequestOf(in));
  KURA_ASSIGN_OR_RETURN(auto r, svc.GenerateDataKeyWithoutPlaintext(c, req));
  return json{{"CiphertextBlob", Binary(r.ciphertext_blob)}, {"KeyId", r.key_arn}};
}

base::Result<json> GenerateRandom(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto store, OptString(in, "CustomKeyStoreId"));
  if (store) return kms::KmsStatus(KmsError::kUnsupportedOperation, "kura does not support custom key stores");
  KURA_ASSIGN_OR_RETURN(auto n, OptInt(in, "NumberOfBytes"));
  if (!n) {
    return kms::ValidationError("1 validation error detected: Value null at 'numberOfBytes' failed to satisfy "
                                "constraint: Member must not be null");
  }
  KURA_ASSIGN_OR_RETURN(auto bytes, svc.GenerateRandom(c, *n));
  return json{{"Plaintext", Binary(bytes.span())}};
}

base::Result<json> ReEncrypt(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  kms::ReEncryptRequest req;
  KURA_ASSIGN_OR_RETURN(req.ciphertext_blob, ReqBlob(in, "CiphertextBlob"));
  KURA_ASSIGN_OR_RETURN(req.source_encryption_context, ContextMap(in, "SourceEncryptionContext"));
  KURA_ASSIGN_OR_RETURN(auto source, OptString(in, "SourceKeyId"));
  req.source_key_id = source.value_or("");
  KURA_ASSIGN_OR_RETURN(req.destination_key_id, ReqString(in, "DestinationKeyId"));
  KURA_ASSIGN_OR_RETURN(req.destination_encryption_context, ContextMap(in, "DestinationEncryptionContext"));
  KURA_ASSIGN_OR_RETURN(auto src_alg, OptString(in, "SourceEncryptionAlgorithm"));
  if (src_alg) req.source_encryption_algorithm = *src_alg;
  KURA_ASSIGN_OR_RETURN(auto dst_alg, OptString(in, "DestinationEncryptionAlgorithm"));
  if (dst_alg) req.destination_encryption_algorithm = *dst_alg;
  KURA_ASSIGN_OR_RETURN(req.grant_tokens, StringList(in, "GrantTokens"));
  KURA_ASSIGN_OR_RETURN(auto r, svc.ReEncrypt(c, req));
  return json{{"CiphertextBlob", Binary(r.ciphertext_blob)},
              {"SourceKeyId", r.source_key_arn},
              {"KeyId", r.key_arn},
              {"SourceEncryptionAlgorithm", r.source_encryption_algorithm},
              {"DestinationEncryptionAlgorithm", r.destination_encryption_algorithm}};
}

base::Result<json> CreateGrant(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  kms::CreateGrantRequest req;
  KURA_ASSIGN_OR_RETURN(req.key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(req.grantee_principal, ReqString(in, "GranteePrincipal"));
  KURA_ASSIGN_OR_RETURN(req.retiring_principal, OptString(in, "RetiringPrincipal"));
  if (!Find(in, "Operations")) {
    return kms::ValidationError("1 validation error detected: Value null at 'operations' failed to satisfy "
                                "constraint: Member must not be null");
  }
  KURA_ASSIGN_OR_RETURN(auto ops, StringList(in, "Operations"));
  for (const auto& name : ops) {
    auto op = kms::ParseGrantOperation(name);
    if (!op) {
      return kms::ValidationError("1 validation error detected: Value '[" + name +
                                  "]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: "
                                  "[Member must satisfy enum value set: [Decrypt, Encrypt, GenerateDataKey, "
                                  "GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, Sign, Verify, "
                                  "GetPublicKey, CreateGrant, RetireGrant, DescribeKey, GenerateDataKeyPair, "
                                  "GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac]]");
    }
    req.operations.push_back(*op);
  }
  if (const json* constraints = Find(in, "Constraints")) {
    if (!constraints->is_object()) return WrongType("Constraints", "a structure");
    kms::GrantConstraints gc;
    KURA_ASSIGN_OR_RETURN(gc.encryption_context_subset, OptContextMap(*constraints, "EncryptionContextSubset"));
    KURA_ASSIGN_OR_RETURN(gc.encryption_context_equals, OptContextMap(*constraints, "EncryptionContextEquals"));
    if (!gc.empty()) req.constraints = std::move(gc);
  }
  KURA_ASSIGN_OR_RETURN(req.grant_tokens, StringList(in, "GrantTokens"));
  KURA_ASSIGN_OR_RETURN(req.name, OptString(in, "Name"));
  KURA_ASSIGN_OR_RETURN(auto r, svc.CreateGrant(c, req));
  return json{{"GrantToken", r.grant_token}, {"GrantId", r.grant_id}};
}

base::Result<json> ListGrants(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  kms::ListGrantsRequest req;
  KURA_ASSIGN_OR_RETURN(req.key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(req.page, Page(in));
  KURA_ASSIGN_OR_RETURN(req.grant_id, OptString(in, "GrantId"));
  KURA_ASSIGN_OR_RETURN(req.grantee_principal, OptString(in, "GranteePrincipal"));
  KURA_ASSIGN_OR_RETURN(auto result, svc.ListGrants(c, req));
  return GrantPage(result);
}

base::Result<json> ListRetirableGrants(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto principal, ReqString(in, "RetiringPrincipal"));
  KURA_ASSIGN_OR_RETURN(auto page, Page(in));
  KURA_ASSIGN_OR_RETURN(auto result, svc.ListRetirableGrants(c, principal, page));
  return GrantPage(result);
}

base::Result<json> RetireGrant(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  kms::RetireGrantRequest req;
  KURA_ASSIGN_OR_RETURN(req.grant_token, OptString(in, "GrantToken"));
  KURA_ASSIGN_OR_RETURN(req.key_id, OptString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(req.grant_id, OptString(in, "GrantId"));
  return Empty(svc.RetireGrant(c, req));
}

base::Result<json> RevokeGrant(kms::KmsService& svc, const kms::Caller& c, const json& in) {
  KURA_ASSIGN_OR_RETURN(auto key_id, ReqString(in, "KeyId"));
  KURA_ASSIGN_OR_RETURN(auto grant_id, ReqString(in, "GrantId"));
  return Empty(svc.RevokeGrant(c, key_id, grant_id));
}

const std::map<std::string, Handler, std::less<>>& Handlers() {
  static const std::map<std::string, Handler, std::less<>> handlers = {
      {"CancelKeyDeletion", CancelKeyDeletion},
      {"CreateAlias", CreateAlias},
      {"CreateGrant", CreateGrant},
      {"CreateKey", CreateKey},
      {"Decrypt", Decrypt},
      {"DeleteAlias", DeleteAlias},
      {"DescribeKey", DescribeKey},
      {"DisableKey", DisableKey},
      {"DisableKeyRotation", DisableKeyRotation},
      {"EnableKey", EnableKey},
      {"EnableKeyRotation", EnableKeyRotation},
      {"Encrypt", Encrypt},
      {"GenerateDataKey", GenerateDataKey},
      {"GenerateDataKeyWithoutPlaintext", GenerateDataKeyWithoutPlaintext},
      {"GenerateRandom", GenerateRandom},
      {"GetKeyPolicy", GetKeyPolicy},
      {"GetKeyRotationStatus", GetKeyRotationStatus},
      {"ListAliases", ListAliases},
      {"ListGrants", ListGrants},
      {"ListKeyPolicies", ListKeyPolicies},
      {"ListKeys", ListKeys},
      {"ListResourceTags", ListResourceTags},
      {"ListRetirableGrants", ListRetirableGrants},
      {"PutKeyPolicy", PutKeyPolicy},
      {"ReEncrypt", ReEncrypt},
      {"RetireGrant", RetireGrant},
      {"RevokeGrant", RevokeGrant},
      {"ScheduleKeyDeletion", ScheduleKeyDeletion},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"UpdateAlias", UpdateAlias},
      {"UpdateKeyDescription", UpdateKeyDescription},
  };
  return handlers;
}

constexpr std::string_view kInternalMessage =
    "The request was rejected because an internal exception occurred. The request can be retried.";

}  // namespace

KmsProvider::KmsProvider(std::shared_ptr<kms::KmsService> service) : kms_(std::move(service)) {}

base::Result<json> KmsProvider::Call(std::string_view operation, const json& input, const CallContext& context) {
  const auto& handlers = Handlers();
  auto it = handlers.find(operation);
  if (it == handlers.end()) {
    return kms::KmsStatus(KmsError::kUnknownOperation, "Unknown operation " + std::string(operation));
  }
  const kms::Caller caller = kms::Caller::Direct(context.caller, context.region, context.request_id);
  return it->second(*kms_, caller, input.is_object() ? input : json::object());
}

WireError KmsProvider::MapError(const base::Status& status) const {
  const std::string& message = status.message();
  switch (kms::ErrorOf(status)) {
    case KmsError::kNotFound: return {"NotFoundException", message, 400, true};
    case KmsError::kDisabled: return {"DisabledException", message, 400, true};
    case KmsError::kInvalidState: return {"KMSInvalidStateException", message, 400, true};
    case KmsError::kInvalidCiphertext: return {"InvalidCiphertextException", message, 400, true};
    case KmsError::kIncorrectKey: return {"IncorrectKeyException", message, 400, true};
    case KmsError::kAccessDenied: return {"AccessDeniedException", message, 400, true};
    case KmsError::kValidation: return {"ValidationException", message, 400, true};
    case KmsError::kAlreadyExists: return {"AlreadyExistsException", message, 400, true};
    case KmsError::kInvalidAliasName: return {"InvalidAliasNameException", message, 400, true};
    case KmsError::kInvalidArn: return {"InvalidArnException", message, 400, true};
    case KmsError::kInvalidGrantId: return {"InvalidGrantIdException", message, 400, true};
    case KmsError::kInvalidGrantToken: return {"InvalidGrantTokenException", message, 400, true};
    case KmsError::kInvalidMarker: return {"InvalidMarkerException", message, 400, true};
    case KmsError::kInvalidKeyUsage: return {"InvalidKeyUsageException", message, 400, true};
    case KmsError::kLimitExceeded: return {"LimitExceededException", message, 400, true};
    case KmsError::kMalformedPolicyDocument: return {"MalformedPolicyDocumentException", message, 400, true};
    case KmsError::kTag: return {"TagException", message, 400, true};
    case KmsError::kUnsupportedOperation: return {"UnsupportedOperationException", message, 400, true};
    case KmsError::kNotAuthorized: return {"NotAuthorizedException", message, 400, true};
    case KmsError::kUnknownOperation: return {"UnknownOperationException", message, 400, true};
    case KmsError::kKeyUnavailable: return {"KeyUnavailableException", message, 500, false};
    case KmsError::kDependencyTimeout: return {"DependencyTimeoutException", message, 503, false};
    case KmsError::kNone:
    case KmsError::kInternal:
      break;
  }
  // Not a KMS kind (store, crypto): never show internals to the client.
  base::LogEvent(base::LogLevel::kError, "kms_internal_error", {{"status", status.ToString()}});
  if (status.code() == base::StatusCode::kUnavailable) {
    return {"DependencyTimeoutException", "The system timed out while trying to fulfill the request.", 503, false};
  }
  return {"KMSInternalException", std::string(kInternalMessage), 500, false};
}

}  // namespace kura::api
