#include "tools/audit_report.h"

#include <algorithm>
#include <map>

#include "tools/utc_time.h"

namespace kura::tools {

namespace {

constexpr char kAwsEbsAlias[] = "alias/aws/ebs";

// How one key makes the resources under it a finding; empty `finding` when it does not.
struct KeyVerdict {
  std::string finding, detail, arn;
};

KeyVerdict Judge(const Inventory& inventory, const std::string& key_name) {
  auto it = inventory.keys.find(key_name);
  if (it == inventory.keys.end()) return {};
  const KeyRecord& key = it->second;
  if (!key.found) {
    return {"KeyNotFound", "its KMS key no longer exists: the data cannot be decrypted", key_name};
  }
  const std::string& arn = key.info.arn.empty() ? key_name : key.info.arn;
  if (key.info.manager == "CUSTOMER" && key.info.state == "PendingDeletion") {
    std::string when = key.info.deletion_date ? " on " + IsoTime(*key.info.deletion_date) : "";
    return {"KeyPendingDeletion",
            "its customer managed key is scheduled for deletion" + when +
                ": cancel the deletion or re-encrypt under another key before then",
            arn};
  }
  if (key.info.manager == "CUSTOMER" && key.info.state == "Disabled") {
    return {"KeyDisabled", "its customer managed key is disabled: it cannot be attached, started or copied", arn};
  }
  const bool aws_ebs = std::find(key.aliases.begin(), key.aliases.end(), kAwsEbsAlias) != key.aliases.end();
  if (key.info.manager == "AWS" && aws_ebs) {
    return {"AwsManagedKey",
            "encrypted under alias/aws/ebs (AWS managed): it can never be shared with another account", arn};
  }
  return {};
}

class Judgement {
 public:
  explicit Judgement(const Inventory& inventory) : inventory_(inventory) { report_.inventory = &inventory; }

  void Account(const std::string& account, const std::string& finding, const std::string& detail) {
    report_.findings.push_back({"Account", account, finding, "", detail});
  }

  void Unencrypted(const std::string& type, const std::string& id, const std::string& detail) {
    report_.findings.push_back({type, id, "Unencrypted", "", detail});
    ++report_.unencrypted;
  }

  // The key finding for a resource encrypted under `key_name`, if any.
  void Key(const std::string& type, const std::string& id, const std::string& key_name, const std::string& via) {
    KeyVerdict verdict = Judge(inventory_, key_name);
    if (verdict.finding.empty()) return;
    report_.findings.push_back({type, id, verdict.finding, verdict.arn, verdict.detail + via});
    if (verdict.finding == "AwsManagedKey") {
      ++report_.aws_managed;
      return;
    }
    ++report_.on_unusable_keys;
    KeyAtRisk& risk = at_risk_[verdict.arn];
    if (risk.key.empty()) {
      const KeyRecord& key = inventory_.keys.at(key_name);
      risk.key = verdict.arn;
      risk.state = key.found ? key.info.state : "NotFound";
      risk.aliases = key.aliases;
      risk.deletion_date = key.info.deletion_date;
    }
    risk.resources.emplace_back(type, id);
  }

  AuditReport Finish() {
    for (auto& [arn, risk] : at_risk_) report_.keys_at_risk.push_back(std::move(risk));
    return std::move(report_);
  }

 private:
  const Inventory& inventory_;
  AuditReport report_;
  std::map<std::string, KeyAtRisk> at_risk_;
};

std::string VolumeDetail(const VolumeInfo& v) {
  std::string detail = v.volume_type + " " + std::to_string(v.size_gib) + " GiB in " + v.availability_zone;
  for (const auto& a : v.attachments) detail += ", attached to " + a.instance_id + " at " + a.device;
  return detail;
}

}  // namespace

std::string IsoTime(double unix_seconds) {
  return FormatUtc(static_cast<int64_t>(unix_seconds), "%Y-%m-%dT%H:%M:%SZ");
}

AuditReport BuildAuditReport(const Inventory& inventory) {
  Judgement judge(inventory);
  if (!inventory.encryption_by_default) {
    judge.Account(inventory.caller.account, "EncryptionByDefaultDisabled",
                  "EBS encryption by default is off in " + inventory.region +
                      ": new volumes are unencrypted unless the caller asks");
  }
  std::map<std::string, const SnapshotInfo*> snapshots;
  for (const auto& v : inventory.volumes) {
    if (!v.encrypted) {
      judge.Unencrypted("Volume", v.volume_id, VolumeDetail(v));
    } else {
      judge.Key("Volume", v.volume_id, v.kms_key_id, "");
    }
  }
  for (const auto& s : inventory.snapshots) {
    snapshots[s.snapshot_id] = &s;
    if (!s.encrypted) {
      judge.Unencrypted("Snapshot", s.snapshot_id,
                        "of " + s.volume_id + ", " + std::to_string(s.volume_size_gib) + " GiB");
    } else {
      judge.Key("Snapshot", s.snapshot_id, s.kms_key_id, "");
    }
  }
  for (const auto& image : inventory.images) {
    std::vector<std::string> plain;
    for (const auto& m : image.mappings) {
      if (m.snapshot_id.empty()) continue;
      auto own = snapshots.find(m.snapshot_id);
      // DescribeImages says whether each EBS snapshot is encrypted; an own snapshot says it too.
      const bool encrypted = m.encrypted.value_or(own != snapshots.end() && own->second->encrypted);
      if (!encrypted) {
        plain.push_back(m.snapshot_id + " (" + m.device_name + ")");
      } else if (own != snapshots.end()) {
        judge.Key("Image", image.image_id, own->second->kms_key_id, " (snapshot " + m.snapshot_id + ")");
      }
    }
    if (!plain.empty()) {
      std::string detail = "unencrypted EBS snapshot";
      detail += plain.size() > 1 ? "s " : " ";
      for (size_t i = 0; i < plain.size(); ++i) detail += (i ? ", " : "") + plain[i];
      judge.Unencrypted("Image", image.image_id, detail);
    }
  }
  return judge.Finish();
}

}  // namespace kura::tools
