#include "tools/kms_api.h"

#include <nlohmann/json.hpp>

#include "tools/pagination.h"

namespace kura::tools {

namespace {

using nlohmann::json;

std::string Str(const json& doc, const char* key) {
  return doc.contains(key) && doc[key].is_string() ? doc[key].get<std::string>() : std::string();
}

// Both lists page by Marker. KMS accepts Limit 1 to 100 (the model's 1000 is not what
// the service allows; it answers ValidationException above 100).
template <typename T>
AwsResult<std::vector<T>> ListAll(const AwsClient& aws, const char* operation, const char* member,
                                  T (*read)(const json&)) {
  std::vector<T> out;
  KURA_AWS_RETURN_IF_ERROR(PaginateJson(aws, kKms, operation, json{{"Limit", 100}}, kMarkerPaging,
                                        [&](const json& page) {
                                          if (!page.contains(member) || !page[member].is_array()) return;
                                          for (const auto& entry : page[member]) out.push_back(read(entry));
                                        }));
  return out;
}

AliasInfo ReadAlias(const json& a) { return {Str(a, "AliasName"), Str(a, "AliasArn"), Str(a, "TargetKeyId")}; }
KeyListEntry ReadKeyEntry(const json& k) { return {Str(k, "KeyId"), Str(k, "KeyArn")}; }

}  // namespace

AwsResult<KeyInfo> DescribeKey(const AwsClient& aws, const std::string& key_id) {
  KURA_AWS_ASSIGN_OR_RETURN(json out, aws.Json(kKms, "DescribeKey", json{{"KeyId", key_id}}));
  const json meta = out.contains("KeyMetadata") ? out["KeyMetadata"] : json::object();
  KeyInfo key{Str(meta, "KeyId"), Str(meta, "Arn"), Str(meta, "KeyState"), Str(meta, "KeyManager"),
              Str(meta, "Description"), std::nullopt};
  if (meta.contains("DeletionDate") && meta["DeletionDate"].is_number()) {
    key.deletion_date = meta["DeletionDate"].get<double>();
  }
  return key;
}

AwsResult<std::vector<AliasInfo>> ListAliases(const AwsClient& aws) {
  return ListAll<AliasInfo>(aws, "ListAliases", "Aliases", ReadAlias);
}

AwsResult<std::vector<KeyListEntry>> ListKeys(const AwsClient& aws) {
  return ListAll<KeyListEntry>(aws, "ListKeys", "Keys", ReadKeyEntry);
}

}  // namespace kura::tools
