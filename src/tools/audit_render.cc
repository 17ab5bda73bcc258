#include "tools/audit_render.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace kura::tools {

namespace {

using nlohmann::json;

const KeyRecord* DefaultKey(const Inventory& inventory) {
  auto it = inventory.keys.find(inventory.default_kms_key_id);
  return it == inventory.keys.end() || !it->second.found ? nullptr : &it->second;
}

std::string Join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

// A key as a terminal shows it: its first alias, else "key/<id>" (the full ARN is in JSON and CSV).
std::string ShortKey(const Inventory& inventory, const std::string& arn) {
  if (arn.empty()) return "-";
  for (const auto& [name, key] : inventory.keys) {
    if ((name == arn || key.info.arn == arn) && !key.aliases.empty()) return key.aliases.front();
  }
  auto colon = arn.rfind(':');
  return colon == std::string::npos ? arn : arn.substr(colon + 1);
}

std::string Count(size_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string CostLine(const CostRecord& cost) {
  if (!cost.cost) return "KMS cost " + cost.month + ": not available (" + cost.unavailable + ")";
  return "KMS cost " + cost.month + ": " + cost.cost->amount + " " + cost.cost->unit +
         (cost.cost->estimated ? " (estimated, month not over)" : "");
}

std::string Csv(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string RenderAuditText(const AuditReport& report) {
  const Inventory& inv = *report.inventory;
  std::ostringstream out;
  out << "kura audit: account " << inv.caller.account << ", region " << inv.region << " (as " << inv.caller.arn
      << ", " << IsoTime(static_cast<double>(inv.generated_at)) << ")\n";
  out << "Encryption by default: " << (inv.encryption_by_default ? "on" : "off") << "\n";
  out << "Default KMS key:       ";
  if (const KeyRecord* key = DefaultKey(inv)) {
    out << key->info.arn;
    std::vector<std::string> notes = key->aliases;
    notes.push_back(key->info.manager == "AWS" ? "AWS managed" : "customer managed");
    if (key->info.state != "Enabled") notes.push_back(key->info.state);
    out << " (" << Join(notes, ", ") << ")\n";
  } else {
    out << (inv.default_kms_key_id.empty() ? "-" : inv.default_kms_key_id) << "\n";
  }
  out << "Resources:             " << Count(inv.volumes.size(), "volume") << ", "
      << Count(inv.snapshots.size(), "snapshot") << ", " << Count(inv.images.size(), "image") << "\n\n";

  if (report.findings.empty()) {
    out << "No findings.\n";
  } else {
    const std::vector<std::string> head = {"TYPE", "RESOURCE", "FINDING", "KMS KEY", "DETAIL"};
    std::vector<size_t> width(head.size());
    auto cells = [&inv](const Finding& f) {
      return std::vector<std::string>{f.resource_type, f.resource_id, f.finding, ShortKey(inv, f.kms_key_id),
                                      f.detail};
    };
    for (size_t i = 0; i < head.size(); ++i) width[i] = head[i].size();
    for (const auto& f : report.findings) {
      auto row = cells(f);
      for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    auto line = [&](const std::vector<std::string>& row) {
      out << " ";
      for (size_t i = 0; i < row.size(); ++i) {
        out << " " << row[i];
        if (i + 1 < row.size()) out << std::string(width[i] - row[i].size(), ' ') << " ";
      }
      out << "\n";
    };
    out << "Findings (" << report.findings.size() << "):\n";
    line(head);
    for (const auto& f : report.findings) line(cells(f));
  }
  if (!report.keys_at_risk.empty()) {
    out << "\nKeys at risk:\n";
    for (const auto& k : report.keys_at_risk) {
      out << "  " << k.key;
      if (!k.aliases.empty()) out << " (" << Join(k.aliases, ", ") << ")";
      out << ": " << k.state;
      if (k.deletion_date) out << ", deletion on " << IsoTime(*k.deletion_date);
      std::vector<std::string> ids;
      for (const auto& [type, id] : k.resources) ids.push_back(id);
      out << "; used by " << Join(ids, ", ") << "\n";
    }
  }
  out << "\n" << CostLine(inv.cost) << "\n";
  out << "Summary: " << report.unencrypted << " unencrypted, " << report.aws_managed << " under alias/aws/ebs, "
      << report.on_unusable_keys << " on keys pending deletion, disabled or gone\n";
  return out.str();
}

std::string RenderAuditJson(const AuditReport& report) {
  const Inventory& inv = *report.inventory;
  json by_default = {{"Enabled", inv.encryption_by_default}, {"KmsKeyId", inv.default_kms_key_id}};
  if (const KeyRecord* key = DefaultKey(inv)) {
    by_default["KmsKeyArn"] = key->info.arn;
    by_default["KmsKeyAliases"] = key->aliases;
    by_default["KeyManager"] = key->info.manager;
    by_default["KeyState"] = key->info.state;
  }
  json findings = json::array();
  for (const auto& f : report.findings) {
    findings.push_back({{"ResourceType", f.resource_type},
                        {"ResourceId", f.resource_id},
                        {"Finding", f.finding},
                        {"KmsKeyId", f.kms_key_id},
                        {"Detail", f.detail}});
  }
  json keys = json::array();
  for (const auto& k : report.keys_at_risk) {
    json resources = json::array();
    for (const auto& [type, id] : k.resources) resources.push_back({{"ResourceType", type}, {"ResourceId", id}});
    json entry = {{"KeyArn", k.key}, {"KeyState", k.state}, {"Aliases", k.aliases},
                  {"DependentResources", std::move(resources)}};
    if (k.deletion_date) entry["DeletionDate"] = IsoTime(*k.deletion_date);
    keys.push_back(std::move(entry));
  }
  json cost = {{"Month", inv.cost.month}, {"Available", inv.cost.cost.has_value()}};
  if (inv.cost.cost) {
    cost["Amount"] = inv.cost.cost->amount;
    cost["Unit"] = inv.cost.cost->unit;
    cost["Estimated"] = inv.cost.cost->estimated;
  } else {
    cost["Reason"] = inv.cost.unavailable;
  }
  json doc = {{"AccountId", inv.caller.account},
              {"Region", inv.region},
              {"CallerArn", inv.caller.arn},
              {"GeneratedAt", IsoTime(static_cast<double>(inv.generated_at))},
              {"EncryptionByDefault", std::move(by_default)},
              {"Counts",
               {{"Volumes", inv.volumes.size()},
                {"Snapshots", inv.snapshots.size()},
                {"Images", inv.images.size()},
                {"Unencrypted", report.unencrypted},
                {"AwsManagedKey", report.aws_managed},
                {"OnUnusableKeys", report.on_unusable_keys}}},
              {"Findings", std::move(findings)},
              {"KeysAtRisk", std::move(keys)},
              {"KmsCost", std::move(cost)}};
  return doc.dump(2) + "\n";
}

std::string RenderAuditCsv(const AuditReport& report) {
  std::string out = "ResourceType,ResourceId,Finding,KmsKeyId,Detail\r\n";
  for (const auto& f : report.findings) {
    out += Csv(f.resource_type) + "," + Csv(f.resource_id) + "," + Csv(f.finding) + "," + Csv(f.kms_key_id) + "," +
           Csv(f.detail) + "\r\n";
  }
  return out;
}

}  // namespace kura::tools
