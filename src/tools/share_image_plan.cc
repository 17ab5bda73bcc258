#include "tools/share_image_plan.h"

#include <algorithm>

#include "base/bytes.h"
#include "crypto/hash.h"

namespace kura::tools {

namespace {

void PutIf(QueryParams& params, const std::string& name, const std::string& value) {
  if (!value.empty()) params.emplace_back(name, value);
}

const char* BoolText(bool b) { return b ? "true" : "false"; }

}  // namespace

std::string ShareCopyToken(const std::string& source_region, const std::string& source_snapshot_id,
                           const std::string& target_account) {
  // NUL separators: no two different triples hash the same input.
  const std::string input =
      std::string("kura-share-image") + '\0' + source_region + '\0' + source_snapshot_id + '\0' + target_account;
  const crypto::Digest digest =
      crypto::Sha256({reinterpret_cast<const uint8_t*>(input.data()), input.size()});
  return base::HexEncode({digest.data(), 16});
}

base::Result<QueryParams> RegisterImageParams(const ImageDetail& source, const std::string& name,
                                              const CopyMap& copies, const std::string& target_kms_key_id) {
  QueryParams p{{"Name", name}};
  PutIf(p, "Description", source.description);
  PutIf(p, "Architecture", source.architecture);
  PutIf(p, "VirtualizationType", source.virtualization_type);
  PutIf(p, "RootDeviceName", source.root_device_name);
  PutIf(p, "BootMode", source.boot_mode);
  PutIf(p, "SriovNetSupport", source.sriov_net_support);
  PutIf(p, "TpmSupport", source.tpm_support);
  PutIf(p, "ImdsSupport", source.imds_support);
  if (source.ena_support) p.emplace_back("EnaSupport", BoolText(*source.ena_support));
  for (size_t i = 0; i < source.devices.size(); ++i) {
    const ImageDevice& d = source.devices[i];
    const std::string m = "BlockDeviceMapping." + std::to_string(i + 1);
    p.emplace_back(m + ".DeviceName", d.device_name);
    PutIf(p, m + ".VirtualName", d.virtual_name);
    if (d.no_device) p.emplace_back(m + ".NoDevice", "");
    if (!d.ebs) continue;
    const ImageEbs& e = *d.ebs;
    const std::string ebs = m + ".Ebs";
    if (!e.snapshot_id.empty()) {
      auto copy = copies.find(e.snapshot_id);
      if (copy == copies.end()) {
        return base::InvalidArgumentError("no copy of " + e.snapshot_id + " (" + d.device_name + ")");
      }
      p.emplace_back(ebs + ".SnapshotId", copy->second);
    } else if (e.encrypted.value_or(false)) {
      // An empty volume created at launch: encrypted under the target's key, not the source's.
      p.emplace_back(ebs + ".Encrypted", "true");
      PutIf(p, ebs + ".KmsKeyId", target_kms_key_id);
    }
    if (e.volume_size_gib) p.emplace_back(ebs + ".VolumeSize", std::to_string(*e.volume_size_gib));
    PutIf(p, ebs + ".VolumeType", e.volume_type);
    // DescribeImages may state the baseline IOPS of a gp2 disk, which RegisterImage
    // refuses: IOPS only where they are provisioned, throughput only on gp3.
    const bool provisioned = e.volume_type == "io1" || e.volume_type == "io2" || e.volume_type == "gp3";
    if (e.iops && provisioned) p.emplace_back(ebs + ".Iops", std::to_string(*e.iops));
    if (e.throughput && e.volume_type == "gp3") p.emplace_back(ebs + ".Throughput", std::to_string(*e.throughput));
    if (e.delete_on_termination) p.emplace_back(ebs + ".DeleteOnTermination", BoolText(*e.delete_on_termination));
  }
  return p;
}

bool ImageUsesCopies(const ImageDetail& existing, const ImageDetail& source, const CopyMap& copies) {
  for (const ImageDevice& d : source.devices) {
    if (!d.ebs || d.ebs->snapshot_id.empty()) continue;
    auto copy = copies.find(d.ebs->snapshot_id);
    if (copy == copies.end()) return false;
    const bool mapped = std::any_of(existing.devices.begin(), existing.devices.end(), [&](const ImageDevice& e) {
      return e.device_name == d.device_name && e.ebs && e.ebs->snapshot_id == copy->second;
    });
    if (!mapped) return false;
  }
  return true;
}

}  // namespace kura::tools
