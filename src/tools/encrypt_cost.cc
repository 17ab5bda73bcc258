#include "tools/encrypt_cost.h"

namespace kura::tools {

int KmsRequestEstimate::Total() const {
  int total = 0;
  for (const auto& [op, n] : per_volume_total) total += n;
  for (const auto& [op, n] : permission_check) total += n;
  return total;
}

namespace {

using Counts = std::map<std::string, int>;

void Add(Counts& counts, std::initializer_list<const char*> ops) {
  for (const char* op : ops) ++counts[op];
}

Counts ForVolume(const JournalInstance& instance, const JournalVolume& v, EncryptMethod method, bool staged) {
  Counts c;
  const bool running = instance.original_state == "running";
  if (method == EncryptMethod::kSnapshot && v.encrypted) return c;  // kept as it is
  // The copy (CopySnapshot, or CopyImage for each snapshot of the image).
  Add(c, {"DescribeKey", "GenerateDataKeyWithoutPlaintext", "Decrypt"});
  if (v.encrypted) Add(c, {"Decrypt"});  // reading a source under another key
  Add(c, {"Decrypt"});                   // CreateVolume / RunInstances filling the new volume
  // The host of a running instance: the swapped volume's attach or start, or the replacement's launch.
  if (running || method == EncryptMethod::kImage) Add(c, {"CreateGrant", "Decrypt"});
  if (staged && !running && method == EncryptMethod::kSnapshot) {
    Add(c, {"Decrypt", "CreateGrant", "Decrypt", "RetireGrant"});  // the copy's staged export
  }
  return c;
}

}  // namespace

KmsRequestEstimate EstimateKmsRequests(const std::vector<JournalInstance>& instances, EncryptMethod method,
                                       bool staged_verification) {
  KmsRequestEstimate e;
  for (const auto& instance : instances) {
    for (const auto& v : instance.volumes) {
      Counts c = ForVolume(instance, v, method, staged_verification);
      if (c.empty()) continue;
      for (const auto& [op, n] : c) e.per_volume_total[op] += n;
      e.per_volume[v.volume_id] = std::move(c);
    }
  }
  Add(e.permission_check,
      {"DescribeKey", "GenerateDataKeyWithoutPlaintext", "Decrypt", "ReEncrypt", "CreateGrant", "RetireGrant"});
  return e;
}

}  // namespace kura::tools
