#include "tools/copy_progress.h"

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <thread>

namespace kura::tools {

namespace {

constexpr std::chrono::milliseconds kFirstPoll{500};
constexpr std::chrono::milliseconds kLongestPoll{5000};

// Polls `poll` (true: done), sleeping with backoff between attempts.
template <typename Poll>
AwsStatus PollUntil(const WaitHooks& hooks, Poll poll) {
  auto sleep = hooks.sleep ? hooks.sleep : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  std::chrono::milliseconds delay = kFirstPoll;
  while (true) {
    KURA_AWS_ASSIGN_OR_RETURN(bool done, poll());
    if (done) return Done{};
    sleep(delay);
    delay = std::min(kLongestPoll, delay * 3 / 2);
  }
}

double SteadyNow() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int Percent(const SnapshotState& s) {
  if (s.state == "completed") return 100;
  return std::clamp(std::atoi(s.progress.c_str()), 0, 100);
}

}  // namespace

std::string FormatDuration(double seconds) {
  const auto total = static_cast<int64_t>(seconds + 0.5);
  if (total < 60) return std::to_string(total) + "s";
  const int64_t s = total % 60;
  return std::to_string(total / 60) + "m" + (s < 10 ? "0" : "") + std::to_string(s) + "s";
}

std::string ProgressLine(const std::vector<SnapshotState>& states, double elapsed) {
  std::string line;
  int sum = 0;
  for (const auto& s : states) {
    line += (line.empty() ? "" : ", ") + s.snapshot_id + " " + std::to_string(Percent(s)) + "%";
    if (s.state == "error") line += " (error)";
    sum += Percent(s);
  }
  line += "; elapsed " + FormatDuration(elapsed);
  const double mean = states.empty() ? 0 : static_cast<double>(sum) / static_cast<double>(states.size());
  if (mean > 0 && mean < 100) line += ", about " + FormatDuration(elapsed * (100 - mean) / mean) + " left";
  return line;
}

AwsResult<std::vector<SnapshotState>> WaitForSnapshots(const AwsClient& aws, const std::vector<std::string>& snapshot_ids,
                                                       std::ostream& log, bool terminal, const WaitHooks& hooks) {
  auto now = hooks.now ? hooks.now : SteadyNow;
  const double start = now();
  std::vector<SnapshotState> states;
  std::string last;
  KURA_AWS_RETURN_IF_ERROR(PollUntil(hooks, [&]() -> AwsResult<bool> {
    KURA_AWS_ASSIGN_OR_RETURN(states, DescribeSnapshotsById(aws, snapshot_ids));
    const bool failed = std::any_of(states.begin(), states.end(), [](const auto& s) { return s.state == "error"; });
    const bool done = std::all_of(states.begin(), states.end(), [](const auto& s) { return s.state == "completed"; });
    const std::string line = ProgressLine(states, now() - start);
    if (terminal) {
      // \33[K clears what a longer previous line left behind.
      log << "\rcopying: " << line << "\33[K" << ((done || failed) ? "\n" : "") << std::flush;
    } else if (line.substr(0, line.find(';')) != last.substr(0, last.find(';'))) {
      log << "copying: " << line << "\n" << std::flush;
    }
    last = line;
    return done || failed;
  }));
  return states;
}

AwsResult<ImageDetail> WaitForImage(const AwsClient& aws, const std::string& image_id, std::ostream& log,
                                    const WaitHooks& hooks) {
  ImageDetail image;
  log << "waiting for " << image_id << " to be available\n" << std::flush;
  KURA_AWS_RETURN_IF_ERROR(PollUntil(hooks, [&]() -> AwsResult<bool> {
    KURA_AWS_ASSIGN_OR_RETURN(image, DescribeImage(aws, image_id));
    return image.state != "pending";
  }));
  return image;
}

}  // namespace kura::tools
