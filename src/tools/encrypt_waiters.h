// Waiting for EC2's asynchronous state changes, as `aws ec2 wait` does but
// with progress: snapshots and images until completed/available (their
// Progress % shown), volumes until available or in-use, instances until
// running or stopped. A failure state (snapshot "error", image "failed", an
// instance terminated while awaited) ends the wait with an error naming it.
// Thread-safety: as AwsClient; the reporter is the caller's.
#pragma once

#include <chrono>
#include <string>

#include "tools/ec2_instances_api.h"
#include "tools/encrypt_progress.h"

namespace kura::tools {

struct WaitOptions {
  std::chrono::milliseconds interval{500};
  std::chrono::seconds timeout{6 * 3600};  // a big snapshot copy takes hours on AWS
};

AwsResult<SnapshotInfo> WaitSnapshotCompleted(const AwsClient& aws, const std::string& snapshot_id,
                                              ProgressReporter& progress, const WaitOptions& options = {});
AwsResult<ImageInfo> WaitImageAvailable(const AwsClient& aws, const std::string& image_id,
                                        ProgressReporter& progress, const WaitOptions& options = {});
// `state`: available or in-use (in-use also waits for the attachment to be "attached").
AwsResult<VolumeInfo> WaitVolume(const AwsClient& aws, const std::string& volume_id, const std::string& state,
                                 const WaitOptions& options = {});
AwsResult<InstanceInfo> WaitInstance(const AwsClient& aws, const std::string& instance_id, const std::string& state,
                                     const WaitOptions& options = {});

}  // namespace kura::tools
