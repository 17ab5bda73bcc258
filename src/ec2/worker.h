// Worker: the bounded pool of threads that runs the EC2 layer's asynchronous
// transitions (volume creation, snapshot copies, launches, stops). Jobs run
// in submission order as threads free up; Stop() lets running jobs finish
// and drops the queued ones (their records stay in their transitional state
// and Ec2Service::Resume() picks them up at the next start).
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"

namespace kura::ec2 {

// A background job has nobody to answer: when `status` is an error it goes
// to the log as `event` with `field`=`id` (e.g. volume=vol-…) and the error.
void LogIfFailed(const base::Status& status, std::string_view event, std::string_view field, const std::string& id);

class Worker {
 public:
  explicit Worker(unsigned threads);
  ~Worker();  // Stop()

  // false when stopped (the job is dropped).
  bool Submit(std::string name, std::function<void()> job);
  void Stop();
  // Returns when nothing is queued or running.
  void WaitIdle();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::pair<std::string, std::function<void()>>> queue_;
  size_t running_ = 0;
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kura::ec2
