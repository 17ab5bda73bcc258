// Waiting for snapshot copies and image registration, with progress: on a
// terminal one status line redrawn in place (each snapshot's Progress %, the
// elapsed time and an estimate of what is left, from the mean progress so
// far); otherwise a plain log line each time a snapshot's progress or state
// changes, so a CI log stays readable. Progress goes to the given stream
// (stderr), never to the command's output. Polls back off from 0.5 s to 5 s.
// Thread-safety: functions; the hooks run on the calling thread.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "tools/aws_client.h"
#include "tools/share_image_api.h"

namespace kura::tools {

struct WaitHooks {
  std::function<void(std::chrono::milliseconds)> sleep;  // empty: std::this_thread::sleep_for
  std::function<double()> now;                           // seconds on a steady clock; empty: the real one
};

// "1m05s", "12s".
std::string FormatDuration(double seconds);

// The progress line for `states`, `elapsed` seconds after the start:
// "snap-1 45%, snap-2 10%; elapsed 12s, about 27s left".
std::string ProgressLine(const std::vector<SnapshotState>& states, double elapsed);

// Polls DescribeSnapshots until every one of `snapshot_ids` is completed or
// one is in error; returns their last states (the caller judges errors).
AwsResult<std::vector<SnapshotState>> WaitForSnapshots(const AwsClient& aws, const std::vector<std::string>& snapshot_ids,
                                                       std::ostream& log, bool terminal, const WaitHooks& hooks = {});

// Polls DescribeImages until `image_id` is available or failed; returns its last description.
AwsResult<ImageDetail> WaitForImage(const AwsClient& aws, const std::string& image_id, std::ostream& log,
                                    const WaitHooks& hooks = {});

}  // namespace kura::tools
