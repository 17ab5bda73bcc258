#include "tools/encrypt_permissions.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace kura::tools {

namespace {

using nlohmann::json;

bool IsDenial(const AwsError& e) {
  return e.Is("UnauthorizedOperation") || e.Is("AccessDenied") || e.Is("AccessDeniedException") ||
         e.Is("Client.UnauthorizedOperation");
}

std::string Detail(const AwsError& e) { return e.code.empty() ? e.message : e.code + ": " + e.message; }

void Wipe(std::string& s) { std::fill(s.begin(), s.end(), '\0'); }

}  // namespace

std::string VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAllowed: return "allowed";
    case Verdict::kDenied: return "DENIED";
    case Verdict::kUndetermined: return "not determined";
    case Verdict::kDryRunIgnored: return "DryRun ignored";
  }
  return "";
}

bool PermissionReport::Blocked() const {
  return std::any_of(results.begin(), results.end(), [](const PermissionResult& r) {
    return r.verdict == Verdict::kDenied || r.verdict == Verdict::kDryRunIgnored;
  });
}

std::vector<std::string> PermissionReport::Missing() const {
  std::vector<std::string> out;
  for (const auto& r : results) {
    if (r.verdict == Verdict::kDenied) out.push_back(r.action);
  }
  return out;
}

PermissionResult InterpretDryRun(const std::string& action, const AwsResult<XmlResponse>& answer) {
  if (answer.ok()) {
    return {action, Verdict::kDryRunIgnored, "the server answered 200 to a DryRun request: it acted on it"};
  }
  const AwsError& e = answer.error();
  if (e.Is("DryRunOperation")) return {action, Verdict::kAllowed, ""};
  if (IsDenial(e)) return {action, Verdict::kDenied, Detail(e)};
  return {action, Verdict::kUndetermined, Detail(e)};
}

PermissionResult InterpretKmsProbe(const std::string& action, const AwsError* error) {
  if (!error) return {action, Verdict::kAllowed, ""};
  if (IsDenial(*error)) {
    return {action, Verdict::kDenied,
            Detail(*error) + " (a direct call: a policy allowing the key only through EC2, kms:ViaService, "
                             "also answers this)"};
  }
  return {action, Verdict::kUndetermined, Detail(*error)};
}

std::vector<Ec2Call> Ec2CallsOf(const Journal& journal) {
  std::vector<Ec2Call> calls;
  std::set<std::string> seen;
  auto add = [&](Ec2Call call) {
    if (seen.insert(call.action).second) calls.push_back(std::move(call));
  };
  for (const auto& i : journal.instances) {
    const bool image = journal.method == EncryptMethod::kImage;
    for (const auto& v : i.volumes) {
      if (!image && v.encrypted) continue;
      if (!image) {
        add(CreateSnapshotCall(v.volume_id, "kura encrypt", {}));
        // The run copies a snapshot that does not exist yet; the volume's own origin stands in
        // (without one AWS may answer MissingParameter: reported as not determined).
        add(CopySnapshotCall(v.origin_snapshot_id, journal.region, journal.kms_key_id, "kura encrypt", {}));
        NewVolumeSpec spec{v.zone, v.volume_type, v.size_gib, v.iops, v.throughput, "", "", {}, ""};
        add(CreateVolumeCall(spec));
        add(DetachVolumeCall(v.volume_id, i.instance_id));
        add(AttachVolumeCall(v.volume_id, i.instance_id, v.device));
        add(DeleteOnTerminationCall(i.instance_id, v.device, v.volume_id, v.delete_on_termination));
        add(DeleteVolumeCall(v.volume_id));  // cleanup
        add(DeleteSnapshotCall(v.origin_snapshot_id));
      }
      if (!v.tags.empty()) add(CreateTagsCall(v.volume_id, v.tags));
    }
    for (const auto& s : i.steps) {
      if (s.kind == StepKind::kStopInstance || s.kind == StepKind::kStopOld) add(StopInstancesCall(i.instance_id));
      if (s.kind == StepKind::kStartInstance) add(StartInstancesCall(i.instance_id));
      if (s.kind == StepKind::kTerminateOld) add(TerminateInstancesCall(i.instance_id));
    }
    if (journal.method == EncryptMethod::kImage) {
      add(CreateImageCall(i.instance_id, "kura-encrypt-permission-check", true, {}));
      add(CopyImageCall(i.image_id, journal.region, "kura-encrypt-permission-check", journal.kms_key_id, ""));
      add(RunInstancesCall({i.image_id, i.launch, ""}));
      add(TerminateInstancesCall(i.instance_id));  // rollback terminates the replacement
      for (const auto& a : i.addresses) add(AssociateAddressCall(a.allocation_id, i.instance_id));
      add(DeregisterImageCall(i.image_id));  // cleanup of the intermediate image
    }
  }
  return calls;
}

namespace {

void CheckKms(const AwsClient& aws, const KeyInfo& key, const std::string& caller_arn, PermissionReport& report) {
  auto probe = [&](const std::string& action, const AwsError* error) {
    report.results.push_back(InterpretKmsProbe(action, error));
  };
  if (key.manager == "AWS") {
    for (const char* a : {"kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*"}) {
      report.results.push_back({a, Verdict::kAllowed, "through EC2, by the aws/ebs key policy"});
    }
    return;
  }
  const json context = {{"kura-encrypt", "permission-check"}};
  auto generated = aws.Json(kKms, "GenerateDataKeyWithoutPlaintext",
                            {{"KeyId", key.arn}, {"KeySpec", "AES_256"}, {"EncryptionContext", context}});
  probe("kms:GenerateDataKeyWithoutPlaintext", generated.ok() ? nullptr : &generated.error());
  if (generated.ok() && generated->contains("CiphertextBlob")) {
    const std::string blob = (*generated)["CiphertextBlob"].get<std::string>();
    auto decrypted = aws.Json(kKms, "Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", context}});
    if (decrypted.ok() && decrypted->contains("Plaintext")) Wipe((*decrypted)["Plaintext"].get_ref<std::string&>());
    probe("kms:Decrypt", decrypted.ok() ? nullptr : &decrypted.error());
    auto reencrypted = aws.Json(kKms, "ReEncrypt",
                                {{"CiphertextBlob", blob},
                                 {"SourceEncryptionContext", context},
                                 {"DestinationKeyId", key.arn},
                                 {"DestinationEncryptionContext", context}});
    probe("kms:ReEncrypt*", reencrypted.ok() ? nullptr : &reencrypted.error());
  } else {
    for (const char* a : {"kms:Decrypt", "kms:ReEncrypt*"}) {
      report.results.push_back({a, Verdict::kUndetermined, "needs a data key, and GenerateDataKeyWithoutPlaintext failed"});
    }
  }
  auto grant = aws.Json(kKms, "CreateGrant",
                        {{"KeyId", key.arn},
                         {"GranteePrincipal", caller_arn},
                         {"RetiringPrincipal", caller_arn},
                         {"Operations", json::array({"Decrypt"})},
                         {"Name", "kura-encrypt-permission-check"}});
  probe("kms:CreateGrant", grant.ok() ? nullptr : &grant.error());
  if (grant.ok() && grant->contains("GrantId")) {
    auto retired = aws.Json(kKms, "RetireGrant", {{"KeyId", key.arn}, {"GrantId", (*grant)["GrantId"]}});
    if (!retired.ok()) {
      report.results.push_back({"kms:RetireGrant", Verdict::kUndetermined,
                                "the check's grant " + (*grant)["GrantId"].get<std::string>() +
                                    " could not be retired: " + Detail(retired.error())});
    }
  }
}

}  // namespace

PermissionReport CheckPermissions(const AwsClient& aws, const Journal& journal, const KeyInfo& key,
                                  const std::string& caller_arn) {
  PermissionReport report;
  report.results.push_back({"kms:DescribeKey", Verdict::kAllowed, ""});  // the caller described the key already
  CheckKms(aws, key, caller_arn, report);
  for (const Ec2Call& call : Ec2CallsOf(journal)) {
    report.results.push_back(InterpretDryRun("ec2:" + call.action, DryRun(aws, call)));
  }
  bool load_balancers = false;
  for (const auto& i : journal.instances) load_balancers = load_balancers || !i.load_balancers.empty();
  if (load_balancers) {
    for (const char* a : {"elasticloadbalancing:RegisterInstancesWithLoadBalancer",
                          "elasticloadbalancing:DeregisterInstancesFromLoadBalancer"}) {
      report.results.push_back({a, Verdict::kUndetermined, "the ELB API has no DryRun; checked when the step runs"});
    }
  }
  return report;
}

}  // namespace kura::tools
