#include "ec2/worker.h"

#include "base/log.h"

#include "base/log.h"

namespace kura::ec2 {

void LogIfFailed(const base::Status& status, std::string_view event, std::string_view field, const std::string& id) {
  if (status.ok()) return;
  base::LogEvent(base::LogLevel::kError, event, {{field, id}, {"error", status.ToString()}});
}

Worker::Worker(unsigned threads) {
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

Worker::~Worker() { Stop(); }

bool Worker::Submit(std::string name, std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return false;
    queue_.emplace_back(std::move(name), std::move(job));
  }
  cv_.notify_one();
  return true;
}

void Worker::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_ && threads_.empty()) return;
    stopped_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  idle_cv_.notify_all();
}

void Worker::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
}

void Worker::Run() {
  for (;;) {
    std::pair<std::string, std::function<void()>> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopped
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    job.second();
    {
      std::lock_guard lock(mu_);
      --running_;
      if (queue_.empty() && running_ == 0) idle_cv_.notify_all();
    }
  }
}

}  // namespace kura::ec2
