// TaskPool: a fixed set of worker threads (one per core) that the engine uses
// to spread CPU-bound work — encrypting the chunks of a large request, copying
// with re-encryption — over the cores. The calling thread takes part in its
// own ParallelFor, so a ParallelFor never waits on an idle pool, and nested
// calls cannot deadlock.
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"

namespace kura::blocks {

class TaskPool {
 public:
  explicit TaskPool(unsigned threads);
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // The process-wide pool: hardware_concurrency() - 1 workers (the caller is the other one).
  static TaskPool& Shared();

  // Runs fn(0) .. fn(n-1), at most `max_parallel` at a time (0: no limit
  // beyond the pool), and returns the first error (all calls still finish).
  base::Status ParallelFor(size_t n, const std::function<base::Status(size_t)>& fn, unsigned max_parallel = 0);

 private:
  void Worker();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kura::blocks
