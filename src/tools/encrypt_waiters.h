// Waiting for EC2's asynchronous state changes in `kura encrypt`. Snapshots
// and images go through copy_progress.h (shared with share-image: Progress %,
// elapsed time and an estimate on a terminal, log lines otherwise); volumes
// until available or in-use, instances until running, stopped or terminated,
// poll here. A failure state (a snapshot in error, an image failed, an
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
  std::chrono::seconds timeout{6 * 3600};  // a big copy takes hours on AWS
};

AwsStatus WaitSnapshotCompleted(const AwsClient& aws, const std::string& snapshot_id, ProgressReporter& progress);
// The image's snapshots with progress first (when it already lists them), then the image itself.
AwsStatus WaitImageAvailable(const AwsClient& aws, const std::string& image_id, ProgressReporter& progress);
// `state`: available or in-use (in-use also waits for the attachment to be "attached").
AwsResult<VolumeInfo> WaitVolume(const AwsClient& aws, const std::string& volume_id, const std::string& state,
                                 const WaitOptions& options = {});
AwsResult<InstanceInfo> WaitInstance(const AwsClient& aws, const std::string& instance_id, const std::string& state,
                                     const WaitOptions& options = {});

}  // namespace kura::tools
