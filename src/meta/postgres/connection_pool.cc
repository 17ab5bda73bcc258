#include "meta/postgres/connection_pool.h"

#include <utility>

namespace kura::meta {

ConnectionPool::ConnectionPool(std::string url, size_t max_size, int lock_timeout_ms)
    : url_(std::move(url)), max_size_(max_size == 0 ? 1 : max_size), lock_timeout_ms_(lock_timeout_ms) {}

base::Result<ConnectionPool::Lease> ConnectionPool::Acquire() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < max_size_; });
    if (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;  // reserve the slot; connect outside the lock (it takes milliseconds)
  }
  auto conn = PgConnection::Connect(url_, lock_timeout_ms_);
  if (!conn.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
    available_.notify_one();
    return conn.status();
  }
  return Lease(this, std::move(conn).value());
}

base::Status ConnectionPool::Warm() { return Acquire().status(); }

void ConnectionPool::Return(std::unique_ptr<PgConnection> conn) {
  const bool reusable = conn->healthy() && conn->idle();
  if (!reusable) conn.reset();  // closes it outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  if (reusable) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  available_.notify_one();
}

}  // namespace kura::meta
