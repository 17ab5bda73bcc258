#include "blocks/task_pool.h"

#include <algorithm>
#include <atomic>
#include <memory>

namespace kura::blocks {

TaskPool::TaskPool(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { Worker(); });
}

TaskPool::~TaskPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

TaskPool& TaskPool::Shared() {
  static TaskPool pool(std::max(1u, std::thread::hardware_concurrency()) - 1);
  return pool;
}

void TaskPool::Worker() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

base::Status TaskPool::ParallelFor(size_t n, const std::function<base::Status(size_t)>& fn, unsigned max_parallel) {
  if (n == 0) return base::Status::Ok();
  // Shared state outlives this call only through the helpers still running it.
  struct State {
    std::atomic<size_t> next{0};
    std::mutex mu;
    std::condition_variable done_cv;
    size_t done = 0;
    base::Status first_error;
  };
  auto state = std::make_shared<State>();
  auto drain = [state, n, &fn] {
    for (size_t i = state->next++; i < n; i = state->next++) {
      base::Status status = fn(i);
      std::lock_guard lock(state->mu);
      if (!status.ok() && state->first_error.ok()) state->first_error = status;
      if (++state->done == n) state->done_cv.notify_all();
    }
  };
  size_t helpers = std::min<size_t>(threads_.size(), n - 1);
  if (max_parallel > 0) helpers = std::min<size_t>(helpers, max_parallel - 1);
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < helpers; ++i) queue_.emplace_back(drain);
  }
  for (size_t i = 0; i < helpers; ++i) cv_.notify_one();
  drain();
  std::unique_lock lock(state->mu);
  state->done_cv.wait(lock, [&] { return state->done == n; });
  return state->first_error;
}

}  // namespace kura::blocks
