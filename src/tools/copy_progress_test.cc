#include "tools/copy_progress.h"

#include <gtest/gtest.h>

namespace kura::tools {
namespace {

SnapshotState State(const std::string& id, const std::string& state, const std::string& progress) {
  SnapshotState s;
  s.snapshot_id = id;
  s.state = state;
  s.progress = progress;
  return s;
}

TEST(CopyProgressTest, DurationsReadAsAPersonWouldSayThem) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(59.4), "59s");
  EXPECT_EQ(FormatDuration(65), "1m05s");
  EXPECT_EQ(FormatDuration(3600), "60m00s");
}

TEST(CopyProgressTest, TheLineEstimatesWhatIsLeftFromTheMeanProgress) {
  // 25% done on average after 10 s: 30 s left.
  EXPECT_EQ(ProgressLine({State("snap-1", "pending", "40%"), State("snap-2", "pending", "10%")}, 10),
            "snap-1 40%, snap-2 10%; elapsed 10s, about 30s left");
  EXPECT_EQ(ProgressLine({State("snap-1", "completed", ""), State("snap-2", "pending", "")}, 4),
            "snap-1 100%, snap-2 0%; elapsed 4s, about 4s left");
  EXPECT_EQ(ProgressLine({State("snap-1", "completed", "100%")}, 7), "snap-1 100%; elapsed 7s");
  EXPECT_EQ(ProgressLine({State("snap-1", "error", "3%")}, 1), "snap-1 3% (error); elapsed 1s, about 32s left");
}

}  // namespace
}  // namespace kura::tools
