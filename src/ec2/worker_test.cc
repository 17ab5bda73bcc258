#include "ec2/worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

namespace kura::ec2 {
namespace {

TEST(WorkerTest, RunsEveryJobAndWaitsIdle) {
  Worker worker(2);
  std::atomic<int> done{0};
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(worker.Submit("job", [&] { done++; }));
  }
  worker.WaitIdle();
  EXPECT_EQ(done.load(), 50);
}

TEST(WorkerTest, JobsMaySubmitFollowUps) {
  Worker worker(1);
  std::atomic<int> done{0};
  ASSERT_TRUE(worker.Submit("first", [&] {
    done++;
    worker.Submit("second", [&] { done++; });
  }));
  worker.WaitIdle();
  EXPECT_EQ(done.load(), 2);
}

TEST(WorkerTest, StopFinishesRunningAndRefusesNew) {
  Worker worker(1);
  std::atomic<bool> finished{false};
  ASSERT_TRUE(worker.Submit("slow", [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    finished = true;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  worker.Stop();
  EXPECT_TRUE(finished.load());
  EXPECT_FALSE(worker.Submit("late", [] {}));
  worker.WaitIdle();  // returns at once when stopped
}

}  // namespace
}  // namespace kura::ec2
