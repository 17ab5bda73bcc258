#include "tools/audit_report.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "tools/audit_render.h"

namespace kura::tools {
namespace {

using nlohmann::json;

constexpr char kCmk[] = "arn:aws:kms:us-east-1:111122223333:key/cmk-1";
constexpr char kDying[] = "arn:aws:kms:us-east-1:111122223333:key/cmk-2";
constexpr char kAwsEbs[] = "arn:aws:kms:us-east-1:111122223333:key/aws-ebs";
constexpr char kGone[] = "arn:aws:kms:us-east-1:111122223333:key/gone";

KeyRecord Key(const char* arn, const char* id, const char* state, const char* manager,
              std::vector<std::string> aliases) {
  KeyRecord k;
  k.found = true;
  k.info.arn = arn;
  k.info.key_id = id;
  k.info.state = state;
  k.info.manager = manager;
  k.aliases = std::move(aliases);
  return k;
}

Inventory Fixed() {
  Inventory inv;
  inv.caller = {"111122223333", "arn:aws:iam::111122223333:root", "111122223333"};
  inv.region = "us-east-1";
  inv.generated_at = 1795000000;
  inv.encryption_by_default = false;
  inv.default_kms_key_id = "arn:aws:kms:us-east-1:111122223333:alias/aws/ebs";
  VolumeInfo plain;
  plain.volume_id = "vol-plain";
  plain.volume_type = "gp3";
  plain.size_gib = 8;
  plain.availability_zone = "us-east-1a";
  plain.attachments = {{"i-1", "/dev/sdf", "attached", false}};
  VolumeInfo good = plain;
  good.volume_id = "vol-good";
  good.encrypted = true;
  good.kms_key_id = kCmk;
  good.attachments.clear();
  VolumeInfo managed = good;
  managed.volume_id = "vol-managed";
  managed.kms_key_id = kAwsEbs;
  VolumeInfo dying = good;
  dying.volume_id = "vol-dying";
  dying.kms_key_id = kDying;
  inv.volumes = {plain, good, managed, dying};
  SnapshotInfo snap_plain{"snap-plain", "vol-plain", "completed", "111122223333", 8, false, "", "", {}, ""};
  SnapshotInfo snap_dying{"snap-dying", "vol-dying", "completed", "111122223333", 8, true, kDying, "", {}, ""};
  SnapshotInfo snap_gone{"snap-gone", "vol-x", "completed", "111122223333", 8, true, kGone, "", {}, ""};
  inv.snapshots = {snap_plain, snap_dying, snap_gone};
  ImageInfo ami_plain{"ami-plain", "web", "available", "111122223333",
                      {{"/dev/xvda", "snap-dying", true}, {"/dev/xvdb", "snap-plain", false}}, {}, ""};
  ImageInfo ami_good{"ami-good", "db", "available", "111122223333", {{"/dev/xvda", "snap-dying", true}}, {}, ""};
  inv.images = {ami_plain, ami_good};
  inv.keys[kCmk] = Key(kCmk, "cmk-1", "Enabled", "CUSTOMER", {"alias/app"});
  inv.keys[kDying] = Key(kDying, "cmk-2", "PendingDeletion", "CUSTOMER", {});
  inv.keys[kDying].info.deletion_date = 1795600000;
  inv.keys[kAwsEbs] = Key(kAwsEbs, "aws-ebs", "Enabled", "AWS", {"alias/aws/ebs"});
  inv.keys[inv.default_kms_key_id] = inv.keys[kAwsEbs];
  inv.keys[kGone] = KeyRecord{};
  inv.cost.month = "2026-11";
  inv.cost.cost = MonthlyCost{"2026-11", "3.0322580645", "USD", true};
  return inv;
}

std::vector<std::string> Rows(const AuditReport& r) {
  std::vector<std::string> rows;
  for (const auto& f : r.findings) rows.push_back(f.resource_type + " " + f.resource_id + " " + f.finding);
  return rows;
}

TEST(AuditReportTest, EveryKindOfFinding) {
  Inventory inv = Fixed();
  AuditReport r = BuildAuditReport(inv);
  EXPECT_EQ(Rows(r), (std::vector<std::string>{
                         "Account 111122223333 EncryptionByDefaultDisabled",
                         "Volume vol-plain Unencrypted",
                         "Volume vol-managed AwsManagedKey",
                         "Volume vol-dying KeyPendingDeletion",
                         "Snapshot snap-plain Unencrypted",
                         "Snapshot snap-dying KeyPendingDeletion",
                         "Snapshot snap-gone KeyNotFound",
                         "Image ami-plain KeyPendingDeletion",
                         "Image ami-plain Unencrypted",
                         "Image ami-good KeyPendingDeletion",
                     }));
  EXPECT_EQ(r.unencrypted, 3);
  EXPECT_EQ(r.aws_managed, 1);
  EXPECT_EQ(r.on_unusable_keys, 5);
  EXPECT_EQ(r.ExitCode(), 1);
  ASSERT_EQ(r.keys_at_risk.size(), 2u);
  EXPECT_EQ(r.keys_at_risk[0].key, kDying);
  EXPECT_EQ(r.keys_at_risk[0].state, "PendingDeletion");
  EXPECT_EQ(r.keys_at_risk[0].resources.size(), 4u);
  EXPECT_EQ(r.keys_at_risk[1].state, "NotFound");
}

TEST(AuditReportTest, NothingUnencryptedExitsZero) {
  Inventory inv = Fixed();
  inv.encryption_by_default = true;
  inv.volumes = {inv.volumes[1]};
  inv.snapshots.clear();
  inv.images.clear();
  AuditReport r = BuildAuditReport(inv);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(r.ExitCode(), 0);
  EXPECT_NE(RenderAuditText(r).find("No findings."), std::string::npos);
  inv.keys[kCmk].info.state = "Disabled";
  r = BuildAuditReport(inv);
  EXPECT_EQ(Rows(r), std::vector<std::string>{"Volume vol-good KeyDisabled"});
  EXPECT_EQ(r.ExitCode(), 0);  // encrypted, if unusable: not a reason to fail a pipeline on encryption
}

TEST(AuditRenderTest, Json) {
  Inventory inv = Fixed();
  AuditReport r = BuildAuditReport(inv);
  json doc = json::parse(RenderAuditJson(r));
  EXPECT_EQ(doc["AccountId"], "111122223333");
  EXPECT_EQ(doc["Region"], "us-east-1");
  EXPECT_EQ(doc["GeneratedAt"], "2026-11-18T11:06:40Z");
  EXPECT_EQ(doc["EncryptionByDefault"]["Enabled"], false);
  EXPECT_EQ(doc["EncryptionByDefault"]["KmsKeyArn"], kAwsEbs);
  EXPECT_EQ(doc["EncryptionByDefault"]["KmsKeyAliases"], json::array({"alias/aws/ebs"}));
  EXPECT_EQ(doc["EncryptionByDefault"]["KeyManager"], "AWS");
  EXPECT_EQ(doc["Counts"], (json{{"Volumes", 4}, {"Snapshots", 3}, {"Images", 2}, {"Unencrypted", 3},
                                 {"AwsManagedKey", 1}, {"OnUnusableKeys", 5}}));
  ASSERT_EQ(doc["Findings"].size(), 10u);
  EXPECT_EQ(doc["Findings"][3], (json{{"ResourceType", "Volume"}, {"ResourceId", "vol-dying"},
                                      {"Finding", "KeyPendingDeletion"}, {"KmsKeyId", kDying},
                                      {"Detail", r.findings[3].detail}}));
  EXPECT_EQ(doc["KeysAtRisk"][0]["DeletionDate"], "2026-11-25T09:46:40Z");
  EXPECT_EQ(doc["KeysAtRisk"][0]["DependentResources"][0],
            (json{{"ResourceType", "Volume"}, {"ResourceId", "vol-dying"}}));
  EXPECT_EQ(doc["KmsCost"], (json{{"Month", "2026-11"}, {"Available", true}, {"Amount", "3.0322580645"},
                                  {"Unit", "USD"}, {"Estimated", true}}));
  inv.cost.cost.reset();
  inv.cost.unavailable = "AccessDeniedException: no";
  doc = json::parse(RenderAuditJson(BuildAuditReport(inv)));
  EXPECT_EQ(doc["KmsCost"], (json{{"Month", "2026-11"}, {"Available", false}, {"Reason", "AccessDeniedException: no"}}));
}

TEST(AuditRenderTest, CsvOneRowPerFindingQuotedAsRfc4180) {
  Inventory inv = Fixed();
  AuditReport r = BuildAuditReport(inv);
  std::string csv = RenderAuditCsv(r);
  EXPECT_EQ(csv.substr(0, csv.find("\r\n")), "ResourceType,ResourceId,Finding,KmsKeyId,Detail");
  size_t lines = 0;
  for (size_t p = csv.find("\r\n"); p != std::string::npos; p = csv.find("\r\n", p + 2)) ++lines;
  EXPECT_EQ(lines, 1 + r.findings.size());
  // Details hold commas, so they are quoted.
  EXPECT_NE(csv.find("Volume,vol-plain,Unencrypted,,\"gp3 8 GiB in us-east-1a, attached to i-1 at /dev/sdf\"\r\n"),
            std::string::npos)
      << csv;
  r.findings = {{"Volume", "vol-q", "Unencrypted", "", "say \"hi\""}};
  EXPECT_EQ(RenderAuditCsv(r), "ResourceType,ResourceId,Finding,KmsKeyId,Detail\r\nVolume,vol-q,Unencrypted,,\"say "
                               "\"\"hi\"\"\"\r\n");
}

TEST(AuditRenderTest, TextIsAligned) {
  Inventory inv = Fixed();
  std::string text = RenderAuditText(BuildAuditReport(inv));
  EXPECT_NE(text.find("Encryption by default: off\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Default KMS key:       " + std::string(kAwsEbs) + " (alias/aws/ebs, AWS managed)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Resources:             4 volumes, 3 snapshots, 2 images\n"), std::string::npos);
  EXPECT_NE(text.find("KMS cost 2026-11: 3.0322580645 USD (estimated, month not over)\n"), std::string::npos);
  EXPECT_NE(text.find(std::string(kDying) + ": PendingDeletion, deletion on 2026-11-25T09:46:40Z; used by vol-dying, "
                                            "snap-dying, ami-plain, ami-good\n"),
            std::string::npos)
      << text;
  // Keys by alias, else by id, in the table.
  EXPECT_NE(text.find("KeyPendingDeletion           key/cmk-2 "), std::string::npos) << text;
  EXPECT_NE(text.find("AwsManagedKey                alias/aws/ebs "), std::string::npos) << text;
  // Every table row starts its FINDING column at the same offset.
  size_t header = text.find("  TYPE");
  ASSERT_NE(header, std::string::npos);
  size_t column = text.find("FINDING", header) - header;
  size_t row = text.find("\n", header) + 1;
  EXPECT_EQ(text.substr(row + column, 27), "EncryptionByDefaultDisabled");
}

}  // namespace
}  // namespace kura::tools
