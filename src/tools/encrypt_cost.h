// The KMS requests a `kura encrypt` plan makes and what they cost by AWS's
// public list price for KMS requests ($0.03 per 10,000, us-east-1; the
// price of a region may differ and free-tier requests are not deducted).
// The counts follow AWS's documented EBS flows (which kura reproduces):
//   CopySnapshot/CopyImage to encrypted: DescribeKey, CreateGrant,
//     GenerateDataKeyWithoutPlaintext, and Decrypt (ReEncrypt instead when
//     the source is already encrypted under another key) per volume;
//   CreateVolume / RunInstances from the encrypted copy: DescribeKey,
//     GenerateDataKeyWithoutPlaintext per volume;
//   attaching to a running instance, starting it or launching it: CreateGrant
//     and the host's Decrypt per encrypted volume;
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

KmsRequestEstimate EstimateKmsRequests(const std::vector<JournalInstance>& instances, EncryptMethod method);

}  // namespace kura::tools
