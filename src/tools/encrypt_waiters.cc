#include "tools/encrypt_waiters.h"

#include "tools/copy_progress.h"

#include <optional>
#include <thread>

namespace kura::tools {

namespace {

AwsError Failure(const std::string& message) {
  AwsError e;
  e.message = message;
  e.local_code = base::StatusCode::kFailedPrecondition;
  return e;
}

// Polls `probe` (an AwsResult<std::optional<T>>: nullopt = not yet) until it has a value.
template <typename T, typename Probe>
AwsResult<T> Poll(const std::string& what, const WaitOptions& options, Probe probe) {
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  while (true) {
    AwsResult<std::optional<T>> r = probe();
    if (!r.ok()) return r.error();
    if (r->has_value()) return std::move(**r);
    if (std::chrono::steady_clock::now() > deadline) return Failure("timed out waiting for " + what);
    std::this_thread::sleep_for(options.interval);
  }
}

}  // namespace

AwsStatus WaitSnapshotCompleted(const AwsClient& aws, const std::string& snapshot_id, ProgressReporter& progress) {
  KURA_AWS_ASSIGN_OR_RETURN(auto states, WaitForSnapshots(aws, {snapshot_id}, progress.stream(), progress.terminal()));
  for (const auto& s : states) {
    if (s.state != "completed") return Failure("snapshot " + s.snapshot_id + " failed: " + s.state_message);
  }
  return Done{};
}

AwsStatus WaitImageAvailable(const AwsClient& aws, const std::string& image_id, ProgressReporter& progress) {
  KURA_AWS_ASSIGN_OR_RETURN(auto listed, DescribeImages(aws, {{"ImageId.1", image_id}}));
  std::vector<std::string> snapshots;
  for (const auto& image : listed) {
    for (const auto& m : image.mappings) {
      if (!m.snapshot_id.empty()) snapshots.push_back(m.snapshot_id);
    }
  }
  if (!snapshots.empty()) {
    KURA_AWS_ASSIGN_OR_RETURN(auto states, WaitForSnapshots(aws, snapshots, progress.stream(), progress.terminal()));
    for (const auto& s : states) {
      if (s.state != "completed") return Failure("image " + image_id + ": snapshot " + s.snapshot_id + " failed");
    }
  }
  KURA_AWS_ASSIGN_OR_RETURN(ImageDetail image, WaitForImage(aws, image_id, progress.stream()));
  if (image.state != "available") return Failure("image " + image_id + " is " + image.state);
  return Done{};
}

AwsResult<VolumeInfo> WaitVolume(const AwsClient& aws, const std::string& volume_id, const std::string& state,
                                 const WaitOptions& options) {
  return Poll<VolumeInfo>("volume " + volume_id + " " + state, options,
                          [&]() -> AwsResult<std::optional<VolumeInfo>> {
    KURA_AWS_ASSIGN_OR_RETURN(auto all, DescribeVolumes(aws, {{"VolumeId.1", volume_id}}));
    if (all.empty()) return Failure("volume " + volume_id + " disappeared");
    const VolumeInfo& v = all.front();
    if (v.state == "error") return Failure("volume " + volume_id + " failed (state error)");
    const bool attached = !v.attachments.empty() && v.attachments.front().state == "attached";
    if (v.state == state && (state != "in-use" || attached)) return std::optional<VolumeInfo>(v);
    return std::optional<VolumeInfo>();
  });
}

AwsResult<InstanceInfo> WaitInstance(const AwsClient& aws, const std::string& instance_id, const std::string& state,
                                     const WaitOptions& options) {
  return Poll<InstanceInfo>("instance " + instance_id + " " + state, options,
                            [&]() -> AwsResult<std::optional<InstanceInfo>> {
    KURA_AWS_ASSIGN_OR_RETURN(auto i, DescribeInstance(aws, instance_id));
    if (i.state == state) return std::optional<InstanceInfo>(i);
    if (i.state == "terminated" && state != "terminated") {
      return Failure("instance " + instance_id + " is " + i.state);
    }
    return std::optional<InstanceInfo>();
  });
}

}  // namespace kura::tools
