// DataKeys: every KMS call EBS makes (ebs-kms-flows.md F1-F5):
//  - as the requester via EC2 (kms::Caller::ViaEc2: kms:ViaService and
//    kms:GrantIsForAWSResource set): DescribeKey, GenerateDataKeyWithoutPlaintext
//    (64 bytes, context {"aws:ebs:id": <id>}), Decrypt of a data key for the
//    service's own work (creating block volumes, copies), CreateGrant for a host;
//  - as the instance host (kms::Ec2InfrastructurePrincipal), authorized only
//    through the grant: Decrypt;
//  - as EC2 itself (the grant's retiring principal): RetireGrant.
// New keys are resolved and generated in the requester's region (the
// destination of a copy: a key of another region is not usable there);
// existing data keys are unwrapped in their key's region (taken from its
// ARN), so a cross-region copy decrypts its source in the source region.
// Failures are the KMS Status unchanged (detail() a kms::KmsError), so callers
// can tell AccessDenied from Disabled/KMSInvalidState/NotFound.
// Plaintext keys leave only as crypto::SecretBytes.
// Thread-safety: safe from any thread (KmsService is).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "blocks/engine.h"
#include "crypto/secret_bytes.h"
#include "ec2/key_resolution.h"
#include "ec2/types.h"
#include "kms/kms_service.h"

namespace kura::ec2 {

// 512 bits: the AES-256-XTS key pair of a volume.
inline constexpr int kDataKeyBytes = 64;

struct ResolvedKey {
  std::string arn;
  bool aws_managed = false;  // KeyManager AWS (alias/aws/ebs)
};

struct WrappedDataKey {
  std::vector<uint8_t> blob;
  std::string key_arn;
};

struct HostKey {
  crypto::SecretBytes plaintext;
  std::string grant_id;
};

class DataKeys {
 public:
  explicit DataKeys(std::shared_ptr<kms::KmsService> kms) : kms_(std::move(kms)) {}

  // The encryption context EBS wraps a data key under.
  static kms::EncryptionContext ContextFor(const std::string& context_id) { return {{"aws:ebs:id", context_id}}; }

  // DescribeKey of an id, alias or ARN as the requester via EC2 (creates
  // alias/aws/ebs on first use), in the requester's region.
  base::Result<ResolvedKey> Describe(const Requester& requester, const std::string& key_id) const;

  // The encryption a new volume or copy starts with once `choice` is made
  // (key_resolution.h): the source's own (its data key reused), or the chosen
  // key's ARN when it resolves (settling `choice` when that ARN is the
  // source's key), else the key as given: an unusable key is not refused
  // here, the resource fails asynchronously as on AWS. No data key yet.
  Encryption StartEncryption(const Requester& requester, KeyChoice& choice, const KeySourceInfo& source,
                             const Encryption& source_encryption) const;

  // A new data key under `key_id`, wrapped only: GenerateDataKeyWithoutPlaintext.
  base::Result<WrappedDataKey> NewDataKey(const Requester& requester, const std::string& key_id,
                                          const std::string& context_id) const;

  // The plaintext of a wrapped data key for EBS's own work (Decrypt via EC2 as the requester).
  base::Result<crypto::SecretBytes> UnwrapForService(const Requester& requester, const Encryption& encryption) const;

  // F3: a Decrypt grant for the instance host (named per instance and
  // volume, so a retry finds the same grant), then Decrypt through it as the host.
  base::Result<HostKey> UnwrapForHost(const Requester& requester, const std::string& account,
                                      const std::string& instance_id, const std::string& volume_id,
                                      const Encryption& encryption) const;

  // Retires a host grant as EC2 (its retiring principal); errors are returned, not fatal.
  base::Status RetireHostGrant(const std::string& account, const std::string& key_arn,
                               const std::string& grant_id) const;

 private:
  std::shared_ptr<kms::KmsService> kms_;
};

// The block half of a re-encryption (the step after both data keys are
// unwrapped): copies block snapshot `source` (decrypted with `source_key`,
// nullptr when unencrypted) under `target_key` into a new block snapshot, or
// a volume when `to_volume`; returns its engine id. An unfinished engine job
// of this source that accepts `target_key` is resumed rather than started
// again: every re-encrypting copy has its own new data key and the engine
// refuses a job whose target key differs, so the job a restart interrupted is
// found without storing its id. `on_progress` gets 0..100.
base::Result<int64_t> CopyUnderNewKey(blocks::Engine& engine, blocks::SnapshotId source, bool to_volume,
                                      blocks::KeyPtr source_key, const crypto::SecretBytes& target_key,
                                      const std::function<void(int percent)>& on_progress);

// The region of a KMS key ARN ("arn:aws:kms:<region>:..."); `fallback` for an id or alias.
std::string RegionOfKey(const std::string& key_id, const std::string& fallback);

}  // namespace kura::ec2
