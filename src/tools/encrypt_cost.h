// The KMS requests a `kura encrypt` plan makes and what they cost by AWS's
// public list price for KMS requests ($0.03 per 10,000, us-east-1; the
// price of a region may differ and free-tier requests are not deducted).
// The counts are the calls EBS makes in kura (src/ec2/data_keys.h), which
// follows AWS's documented flows; the e2e test holds them to kura's KMS
// audit log. AWS's own EBS may differ by a request per volume where its
// documentation leaves the sequence open (e.g. a CreateGrant at the copy).
//   CopySnapshot / CopyImage of a volume to the key: DescribeKey (the key
//     named), GenerateDataKeyWithoutPlaintext (its new data key), Decrypt
//     (of that key, to write the copy), and one more Decrypt when the source
//     is itself encrypted (to read it);
//   CreateVolume / RunInstances from the encrypted copy (its key, not named
//     again): Decrypt, to fill the volume;
//   attached to a running instance, started or launched: CreateGrant for the
//     host and the host's Decrypt;
//   verifying a stopped instance's copy (kura only): its staged export makes
//     a volume (Decrypt), grants its host (CreateGrant, Decrypt) and retires
//     the grant when discarded (RetireGrant);
//   the permission check of `plan`/`run` itself: DescribeKey,
//     GenerateDataKeyWithoutPlaintext, Decrypt, ReEncrypt, CreateGrant,
//     RetireGrant, once per run.
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tools/encrypt_journal.h"

namespace kura::tools {

inline constexpr double kKmsPricePer10kRequests = 0.03;  // USD, AWS list price

struct KmsRequestEstimate {
  std::map<std::string, int> per_volume_total;  // operation -> count, summed over volumes
  std::map<std::string, std::map<std::string, int>> per_volume;  // volume id -> operation -> count
  std::map<std::string, int> permission_check;
  int Total() const;
  double CostUsd() const { return Total() * kKmsPricePer10kRequests / 10000.0; }
};

// `staged_verification`: the target is kura, where stopped instances' copies are verified.
KmsRequestEstimate EstimateKmsRequests(const std::vector<JournalInstance>& instances, EncryptMethod method,
                                       bool staged_verification);

}  // namespace kura::tools
