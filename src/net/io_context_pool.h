// IoContextPool: a fixed set of io_contexts, each run by one thread of its
// own, handing out one context per connection in turn. A connection then
// runs wholly on one thread — its reads, writes and inline handlers — rather
// than its strand hopping between the threads of a shared io_context, which
// costs a wake-up and a cache miss per hop (on a small request that was a
// quarter of the CPU it took). Connections spread over the threads round robin.
// Listeners have a context and thread of their own, so that a connection
// whose thread is busy in a slow handler never delays accepting the next one.
// Thread-safety: listener() and Next() from any thread; Run, ReleaseWork, Stop
// and Join from the owning thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace kura::net {

class IoContextPool {
 public:
  // `threads`: for connections (at least 1), besides the listeners' thread.
  // `log_name`: the event logged when a handler throws ("http_io_exception").
  IoContextPool(unsigned threads, std::string log_name);
  ~IoContextPool();
  IoContextPool(const IoContextPool&) = delete;
  IoContextPool& operator=(const IoContextPool&) = delete;

  boost::asio::io_context& listener() { return *contexts_.front(); }
  // The context for the next connection.
  boost::asio::io_context& Next();
  // Threads for connections.
  size_t size() const { return contexts_.size() - 1; }

  // Starts the threads; a handler's exception is logged and the loop goes on.
  void Run();
  // Lets each context's run() return once it has nothing left to do.
  void ReleaseWork();
  // Abandons what is still queued (handlers not run).
  void Stop();
  void Join();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::string log_name_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<WorkGuard> work_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace kura::net
