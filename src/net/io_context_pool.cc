#include "net/io_context_pool.h"

#include <algorithm>
#include <exception>

#include "base/log.h"

namespace kura::net {

IoContextPool::IoContextPool(unsigned threads, std::string log_name) : log_name_(std::move(log_name)) {
  for (unsigned i = 0; i < 1 + std::max(1u, threads); ++i) {
    // Concurrency hint 1: one thread runs each context (others only post to it).
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    work_.push_back(boost::asio::make_work_guard(*contexts_.back()));
  }
}

IoContextPool::~IoContextPool() {
  ReleaseWork();
  Stop();
  Join();
}

boost::asio::io_context& IoContextPool::Next() {
  return *contexts_[1 + next_.fetch_add(1, std::memory_order_relaxed) % (contexts_.size() - 1)];
}

void IoContextPool::Run() {
  for (auto& context : contexts_) {
    threads_.emplace_back([this, io = context.get()] {
      for (;;) {
        try {
          io->run();
          return;
        } catch (const std::exception& e) {
          base::LogEvent(base::LogLevel::kError, log_name_, {{"error", e.what()}});
        } catch (...) {
          base::LogEvent(base::LogLevel::kError, log_name_, {{"error", "unknown"}});
        }
      }
    });
  }
}

void IoContextPool::ReleaseWork() { work_.clear(); }

void IoContextPool::Stop() {
  for (auto& context : contexts_) context->stop();
}

void IoContextPool::Join() {
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace kura::net
