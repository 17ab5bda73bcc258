// ConnectionPool: at most `max_size` PgConnections to one PostgreSQL URL,
// opened on demand and reused. A caller leases one for a statement or a
// transaction; when the lease ends, a connection that broke (server restart,
// network failure, terminated backend) or was left inside a transaction is
// closed instead of returned, and the next Acquire opens a fresh one — so a
// broken connection costs one failed call, never a stuck pool.
// Thread-safety: Acquire and leases are safe from any thread; Acquire waits
// while every connection is leased.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "meta/postgres/connection.h"

namespace kura::meta {

class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept = delete;
    ~Lease() {
      if (conn_) pool_->Return(std::move(conn_));
    }
    PgConnection& operator*() const { return *conn_; }
    PgConnection* operator->() const { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  ConnectionPool(std::string url, size_t max_size, int lock_timeout_ms);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, a new one while fewer than max_size exist, or waits.
  base::Result<Lease> Acquire();
  // Pre-fills the pool with one connection (open-time checks of the URL).
  base::Status Warm();

 private:
  void Return(std::unique_ptr<PgConnection> conn);

  const std::string url_;
  const size_t max_size_;
  const int lock_timeout_ms_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  size_t open_ = 0;  // leased + idle
};

}  // namespace kura::meta
