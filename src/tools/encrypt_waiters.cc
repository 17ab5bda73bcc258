#include "tools/encrypt_waiters.h"

#include <cstdlib>
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

int Percent(const std::string& progress) { return progress.empty() ? 0 : std::atoi(progress.c_str()); }

}  // namespace

AwsResult<SnapshotInfo> WaitSnapshotCompleted(const AwsClient& aws, const std::string& snapshot_id,
                                              ProgressReporter& progress, const WaitOptions& options) {
  const std::string what = "snapshot " + snapshot_id;
  auto out = Poll<SnapshotInfo>(what, options, [&]() -> AwsResult<std::optional<SnapshotInfo>> {
    KURA_AWS_ASSIGN_OR_RETURN(auto all, DescribeSnapshots(aws, {{"SnapshotId.1", snapshot_id}}));
    if (all.empty()) return Failure(what + " disappeared");
    const SnapshotInfo& s = all.front();
    if (s.state == "error") return Failure(what + " failed (state error)");
    progress.Update(what, s.state == "completed" ? 100 : Percent(s.progress));
    if (s.state == "completed") return std::optional<SnapshotInfo>(s);
    return std::optional<SnapshotInfo>();
  });
  progress.Done(what);
  return out;
}

AwsResult<ImageInfo> WaitImageAvailable(const AwsClient& aws, const std::string& image_id,
                                        ProgressReporter& progress, const WaitOptions& options) {
  const std::string what = "image " + image_id;
  auto out = Poll<ImageInfo>(what, options, [&]() -> AwsResult<std::optional<ImageInfo>> {
    KURA_AWS_ASSIGN_OR_RETURN(auto all, DescribeImages(aws, {{"ImageId.1", image_id}}));
    if (all.empty()) return std::optional<ImageInfo>();  // a new image can take a moment to be listed
    const ImageInfo& i = all.front();
    if (i.state == "failed" || i.state == "deregistered") return Failure(what + " is " + i.state);
    if (i.state != "available") {
      // An image's progress is that of its snapshots.
      int sum = 0, n = 0;
      for (const auto& m : i.mappings) {
        if (m.snapshot_id.empty()) continue;
        auto snaps = DescribeSnapshots(aws, {{"SnapshotId.1", m.snapshot_id}});
        if (snaps.ok() && !snaps->empty()) {
          sum += snaps->front().state == "completed" ? 100 : Percent(snaps->front().progress);
          ++n;
        }
      }
      progress.Update(what, n ? sum / n : 0);
      return std::optional<ImageInfo>();
    }
    progress.Update(what, 100);
    return std::optional<ImageInfo>(i);
  });
  progress.Done(what);
  return out;
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
