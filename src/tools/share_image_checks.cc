#include "tools/share_image_checks.h"

#include <algorithm>

#include "tools/kms_api.h"

namespace kura::tools {

namespace {

std::vector<std::string> ImageSnapshotIds(const ImageDetail& image) {
  std::vector<std::string> ids;
  for (const auto& d : image.devices) {
    if (!d.ebs || d.ebs->snapshot_id.empty()) continue;
    if (std::find(ids.begin(), ids.end(), d.ebs->snapshot_id) == ids.end()) ids.push_back(d.ebs->snapshot_id);
  }
  return ids;
}

std::string AwsManagedRefusal(const ImageDetail& image, const SnapshotState& snapshot, const KeyInfo& key,
                              const std::string& region) {
  return snapshot.snapshot_id + " is encrypted under the AWS managed key alias/aws/ebs (" + key.arn +
         "): AWS never lets a snapshot under an AWS managed key be shared with another account. Copy the image "
         "under a customer managed key first, `aws ec2 copy-image --source-region " + region +
         " --source-image-id " + image.image_id + " --name NAME --encrypted --kms-key-id YOUR_KEY`" +
         " (or each snapshot with `aws ec2 copy-snapshot --encrypted --kms-key-id YOUR_KEY`), then share that image";
}

std::string DeniedRefusal(const KeyFinding& key, const std::string& target_account) {
  std::string actions, statements;
  for (const auto& a : key.check.actions) {
    if (a.verdict != ActionVerdict::kDenied) continue;
    actions += (actions.empty() ? "" : ", ") + a.action;
    for (const auto& s : a.statements) {
      if (statements.find(s) == std::string::npos) statements += (statements.empty() ? "" : ", ") + s;
    }
  }
  return "the policy of " + key.key_arn + " denies " + actions + " to account " + target_account +
         " without conditions (statement " + statements +
         "): an explicit Deny wins over any Allow, so no statement added can fix it; remove or narrow that statement";
}

// Reads and judges the policy of one customer managed key.
AwsResult<KeyFinding> CheckKey(const AwsClient& source, const std::string& key_arn, const SourceCheckRequest& request) {
  KURA_AWS_ASSIGN_OR_RETURN(std::string policy, GetKeyPolicy(source, key_arn));
  auto check = CheckKeyPolicyForAccount(policy, key_arn, request.target_account, request.target_caller_arn);
  if (!check.ok()) {
    return AwsError{"", "the policy of " + key_arn + ": " + check.status().message(), 0, "",
                    base::StatusCode::kInvalidArgument};
  }
  return KeyFinding{key_arn, {}, std::move(policy), std::move(check).value()};
}

}  // namespace

std::vector<const KeyFinding*> SourceCheck::KeysMissingActions() const {
  std::vector<const KeyFinding*> out;
  for (const auto& k : keys) {
    if (!k.check.MissingActions().empty()) out.push_back(&k);
  }
  return out;
}

AwsResult<SourceCheck> CheckSource(const AwsClient& source, const SourceCheckRequest& request) {
  SourceCheck out;
  KURA_AWS_ASSIGN_OR_RETURN(out.image, DescribeImage(source, request.image_id));
  if (out.image.owner_id != request.source_account) {
    out.refusals.push_back(request.image_id + " belongs to account " + out.image.owner_id + ", not to " +
                           request.source_account + ": only its owner can share it");
    return out;
  }
  if (out.image.state != "available") {
    out.refusals.push_back(request.image_id + " is " + out.image.state + ", not available: share it once it is");
    return out;
  }
  const auto ids = ImageSnapshotIds(out.image);
  if (ids.empty()) {
    out.refusals.push_back(request.image_id + " has no EBS snapshot to copy");
    return out;
  }
  KURA_AWS_ASSIGN_OR_RETURN(out.snapshots, DescribeSnapshotsById(source, ids));
  for (const auto& id : ids) {
    const bool found = std::any_of(out.snapshots.begin(), out.snapshots.end(),
                                   [&](const SnapshotState& s) { return s.snapshot_id == id; });
    if (!found) {
      out.refusals.push_back(id + ", a snapshot of " + request.image_id + ", is not visible to the source account");
    }
  }
  for (const auto& s : out.snapshots) {
    if (s.owner_id != request.source_account) {
      out.refusals.push_back(s.snapshot_id + " belongs to account " + s.owner_id + ": only its owner can share it");
    } else if (s.state != "completed") {
      out.refusals.push_back(s.snapshot_id + " is " + s.state + ", not completed: share the image once it is");
    }
  }
  for (const auto& s : out.snapshots) {
    if (!s.encrypted) continue;
    auto known = std::find_if(out.keys.begin(), out.keys.end(),
                              [&](const KeyFinding& k) { return k.key_arn == s.kms_key_id; });
    if (known != out.keys.end()) {
      known->snapshot_ids.push_back(s.snapshot_id);
      continue;
    }
    KURA_AWS_ASSIGN_OR_RETURN(KeyInfo key, DescribeKey(source, s.kms_key_id));
    if (key.manager == "AWS") {
      out.refusals.push_back(AwsManagedRefusal(out.image, s, key, source.region()));
      continue;
    }
    if (key.state != "Enabled") {
      out.refusals.push_back(s.snapshot_id + " is encrypted under " + key.arn + ", which is " + key.state +
                             ": nobody can copy it until the key is enabled again");
      continue;
    }
    KURA_AWS_ASSIGN_OR_RETURN(KeyFinding finding, CheckKey(source, key.arn, request));
    finding.key_arn = s.kms_key_id;  // as the snapshots name it, so later snapshots find it
    finding.snapshot_ids.push_back(s.snapshot_id);
    if (finding.check.AnyDenied()) out.refusals.push_back(DeniedRefusal(finding, request.target_account));
    for (const auto& n : finding.check.notes) out.notes.push_back(key.arn + ": " + n);
    out.keys.push_back(std::move(finding));
  }
  return out;
}

}  // namespace kura::tools
