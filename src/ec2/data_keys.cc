#include "ec2/data_keys.h"

namespace kura::ec2 {

std::string RegionOfKey(const std::string& key_id, const std::string& fallback) {
  static constexpr std::string_view kPrefix = "arn:aws:kms:";
  if (key_id.rfind(kPrefix, 0) != 0) return fallback;
  const size_t end = key_id.find(':', kPrefix.size());
  if (end == std::string::npos || end == kPrefix.size()) return fallback;
  return key_id.substr(kPrefix.size(), end - kPrefix.size());
}

namespace {

// EC2 acting for the requester in `region`.
kms::Caller ViaEc2(const Requester& requester, const std::string& region) {
  return kms::Caller::ViaEc2(requester.principal, region, requester.request_id);
}

std::string Ec2ServicePrincipal(const std::string& region) { return "ec2." + region + ".amazonaws.com"; }

}  // namespace

base::Result<ResolvedKey> DataKeys::Describe(const Requester& requester, const std::string& key_id) const {
  KURA_ASSIGN_OR_RETURN(auto meta, kms_->DescribeKey(ViaEc2(requester, requester.region), key_id));
  return ResolvedKey{meta.arn, meta.key_manager == kms::KeyManager::kAws};
}

Encryption DataKeys::StartEncryption(const Requester& requester, KeyChoice& choice, const KeySourceInfo& source,
                                     const Encryption& source_encryption) const {
  Encryption out;
  if (!choice.encrypted) return out;
  if (choice.origin != KeyOrigin::kSource) {
    auto resolved = Describe(requester, choice.key_id);
    if (resolved.ok()) {
      SettleResolvedKey(choice, resolved->arn, source);
      out.kms_key_arn = resolved->arn;
      out.aws_managed_key = resolved->aws_managed;
    } else {
      out.kms_key_arn = choice.key_id;
      out.aws_managed_key = choice.key_id == kAwsEbsAlias;
    }
  }
  if (choice.origin == KeyOrigin::kSource) return source_encryption;
  return out;
}

base::Result<WrappedDataKey> DataKeys::NewDataKey(const Requester& requester, const std::string& key_id,
                                                  const std::string& context_id) const {
  kms::DataKeyRequest request;
  request.key_id = key_id;
  request.number_of_bytes = kDataKeyBytes;
  request.encryption_context = ContextFor(context_id);
  KURA_ASSIGN_OR_RETURN(auto result,
                        kms_->GenerateDataKeyWithoutPlaintext(ViaEc2(requester, requester.region), request));
  return WrappedDataKey{std::move(result.ciphertext_blob), std::move(result.key_arn)};
}

base::Result<crypto::SecretBytes> DataKeys::UnwrapForService(const Requester& requester,
                                                             const Encryption& encryption) const {
  kms::DecryptRequest request;
  request.ciphertext_blob = encryption.wrapped_key;
  request.encryption_context = ContextFor(encryption.context_id);
  request.key_id = encryption.kms_key_arn;
  const std::string region = RegionOfKey(encryption.kms_key_arn, requester.region);
  KURA_ASSIGN_OR_RETURN(auto result, kms_->Decrypt(ViaEc2(requester, region), request));
  return std::move(result.plaintext);
}

base::Result<HostKey> DataKeys::UnwrapForHost(const Requester& requester, const std::string& account,
                                              const std::string& instance_id, const std::string& volume_id,
                                              const Encryption& encryption) const {
  const std::string region = RegionOfKey(encryption.kms_key_arn, requester.region);
  kms::CreateGrantRequest grant;
  grant.key_id = encryption.kms_key_arn;
  grant.grantee_principal = kms::Ec2InfrastructureGrantee(account, instance_id);
  grant.operations = {kms::GrantOperation::kDecrypt};
  kms::GrantConstraints constraints;
  constraints.encryption_context_subset = ContextFor(encryption.context_id);
  grant.constraints = constraints;
  grant.retiring_principal = Ec2ServicePrincipal(region);
  // One grant per instance and volume: a retried attach gets the same grant
  // back, and volumes sharing a data key (same context) keep separate grants.
  grant.name = "ebs-" + instance_id + "-" + volume_id;
  KURA_ASSIGN_OR_RETURN(auto granted, kms_->CreateGrant(ViaEc2(requester, region), grant));

  kms::DecryptRequest request;
  request.ciphertext_blob = encryption.wrapped_key;
  request.encryption_context = ContextFor(encryption.context_id);
  request.grant_tokens = {granted.grant_token};
  auto host = kms::Caller::Direct(kms::Ec2InfrastructurePrincipal(account, instance_id), region,
                                  requester.request_id);
  auto decrypted = kms_->Decrypt(host, request);
  if (!decrypted.ok()) {
    (void)RetireHostGrant(account, encryption.kms_key_arn, granted.grant_id);
    return decrypted.status();
  }
  return HostKey{std::move(decrypted->plaintext), granted.grant_id};
}

base::Status DataKeys::RetireHostGrant(const std::string& account, const std::string& key_arn,
                                       const std::string& grant_id) const {
  const std::string region = RegionOfKey(key_arn, "");
  kms::RetireGrantRequest request;
  request.key_id = key_arn;
  request.grant_id = grant_id;
  return kms_->RetireGrant(kms::Caller::Direct(kms::AwsServicePrincipal(Ec2ServicePrincipal(region), account), region),
                           request);
}

base::Result<int64_t> CopyUnderNewKey(blocks::Engine& engine, blocks::SnapshotId source, bool to_volume,
                                      blocks::KeyPtr source_key, const crypto::SecretBytes& target_key,
                                      const std::function<void(int percent)>& on_progress) {
  blocks::CopyOptions options;
  if (on_progress) {
    options.on_progress = [&on_progress](const blocks::CopyProgress& p) {
      on_progress(p.bytes_total == 0 ? 100 : static_cast<int>(p.bytes_done * 100 / p.bytes_total));
    };
  }
  KURA_ASSIGN_OR_RETURN(auto info, engine.DescribeSnapshot(source));
  KURA_ASSIGN_OR_RETURN(auto jobs, engine.UnfinishedCopies());
  for (const auto& job : jobs) {
    if (job.target_is_volume != to_volume || job.source_lineage != info.volume) continue;
    auto resumed = engine.RunCopy(job.id, source_key, &target_key, options);
    if (resumed.ok()) return resumed->id;
    // Another copy's job: its target key is not ours.
    if (resumed.status().code() != base::StatusCode::kPermissionDenied) return resumed.status();
  }
  KURA_ASSIGN_OR_RETURN(auto job, engine.StartCopy(source, &target_key, to_volume));
  KURA_ASSIGN_OR_RETURN(auto copied, engine.RunCopy(job, source_key, &target_key, options));
  return copied.id;
}

}  // namespace kura::ec2
