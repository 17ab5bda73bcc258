#include "blocks/task_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

namespace kura::blocks {
namespace {

TEST(TaskPoolTest, RunsEveryIndexOnce) {
  TaskPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  ASSERT_TRUE(pool.ParallelFor(hits.size(), [&](size_t i) {
                    hits[i]++;
                    return base::Status::Ok();
                  }).ok());
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(TaskPoolTest, UsesSeveralThreads) {
  TaskPool pool(2);
  std::mutex mu;
  std::set<std::thread::id> ids;
  ASSERT_TRUE(pool.ParallelFor(3, [&](size_t) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                    std::lock_guard lock(mu);
                    ids.insert(std::this_thread::get_id());
                    return base::Status::Ok();
                  }).ok());
  EXPECT_EQ(ids.size(), 3u);
}

TEST(TaskPoolTest, ReturnsAnErrorAndFinishesTheRest) {
  TaskPool pool(2);
  std::atomic<int> calls{0};
  auto status = pool.ParallelFor(50, [&](size_t i) {
    calls++;
    return i == 7 ? base::DataLossError("seven") : base::Status::Ok();
  });
  EXPECT_EQ(status.code(), base::StatusCode::kDataLoss);
  EXPECT_EQ(calls.load(), 50);
}

TEST(TaskPoolTest, NestedCallsAndEmptyPoolDoNotDeadlock) {
  TaskPool empty(0);
  std::atomic<int> calls{0};
  ASSERT_TRUE(empty.ParallelFor(4, [&](size_t) {
                     calls++;
                     return base::Status::Ok();
                   }).ok());
  TaskPool pool(1);
  ASSERT_TRUE(pool.ParallelFor(4, [&](size_t) {
                    return pool.ParallelFor(4, [&](size_t) {
                      calls++;
                      return base::Status::Ok();
                    });
                  }).ok());
  EXPECT_EQ(calls.load(), 20);
}

}  // namespace
}  // namespace kura::blocks
