#include "tools/volume_checksum.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

namespace kura::tools {

namespace {

// kura's admin API: SigV4 for the service name "kura", JSON errors.
constexpr ServiceInfo kKuraAdmin{"kura", "kura", WireProtocol::kJson, "", "", ""};

}  // namespace

bool CanVerifyContent(const AwsClient& aws) { return !aws.endpoint_url().empty(); }

base::Result<DeviceDigest> SnapshotSha256(const AwsClient& aws, const std::string& snapshot_id) {
  auto staged = aws.PostJson(kKuraAdmin, "/_kura/admin/ExportSnapshotStart",
                             {{"SnapshotId", snapshot_id}, {"Region", aws.region()}});
  if (!staged.ok()) return base::UnavailableError("ExportSnapshotStart: " + staged.error().ToString());
  auto digest = NbdSha256(staged->value("Uri", ""));
  auto discarded = aws.PostJson(kKuraAdmin, "/_kura/admin/DiscardStagedVolume",
                                {{"VolumeId", staged->value("VolumeId", "")}, {"Region", aws.region()}});
  if (!digest.ok()) return digest.status();
  if (!discarded.ok()) return base::UnavailableError("DiscardStagedVolume: " + discarded.error().ToString());
  return digest;
}

base::Result<DeviceDigest> AttachedVolumeSha256(const AwsClient& aws, const std::string& instance_id,
                                                const std::string& volume_id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (true) {
    auto answer = aws.PostJson(kKuraAdmin, "/_kura/admin/NbdExports", {{"InstanceId", instance_id}});
    if (!answer.ok()) return base::UnavailableError("NbdExports: " + answer.error().ToString());
    std::string uri;
    for (auto& e : (*answer)["Exports"]) {
      // The answer carries the instance's TLS pre-shared key, which the Unix socket does not need.
      if (e.contains("TlsPsk") && e["TlsPsk"].is_string()) {
        std::string& psk = e["TlsPsk"].get_ref<std::string&>();
        std::fill(psk.begin(), psk.end(), '\0');
      }
      if (e.value("VolumeId", "") == volume_id) uri = e.value("Uri", "");
    }
    // The Unix socket: the tool runs beside kura serve.
    if (!uri.empty()) return NbdSha256(uri);
    if (std::chrono::steady_clock::now() > deadline) {
      return base::UnavailableError(volume_id + " is not an NBD export of " + instance_id);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace kura::tools
