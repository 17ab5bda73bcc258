// The shared metadata store: a PostgreSQL database, reached through a bounded
// pool of libpq connections (meta/postgres/connection_pool.h), speaking the
// portable SQL of meta/database.h (translated in meta/postgres/sql_translation.h).
//
// Transactions are serialized, as the Database interface promises, across
// every process and node on the same database: Begin() takes a transaction-
// scoped advisory lock (one per schema) after BEGIN, under READ COMMITTED.
// Why a lock rather than SERIALIZABLE: callers read, decide and write inside
// one transaction without a retry loop (the interface never asks them to
// retry), and SERIALIZABLE would fail such transactions with 40001 whenever
// two nodes overlap, pushing a retry into every caller. Holding the lock, a
// transaction has no concurrent writer, and each READ COMMITTED statement
// sees every transaction committed before it: the same guarantee as SQLite's
// BEGIN IMMEDIATE. Within a process a mutex queues Begin() first, so waiting
// transactions hold no connection. Lone Database::Query reads take no lock
// and see the latest committed state. Commits are synchronous
// (synchronous_commit=on): durable once Commit() returns.
//
// As in SQLite, a failed Exec inside a transaction leaves the transaction
// usable (each Exec runs under a savepoint); a failed Query ends it (later
// statements and Commit return Aborted).
// Thread-safety: as Database.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "meta/database.h"

namespace kura::meta {

struct PostgresOptions {
  size_t pool_size = 4;          // connections; transactions use one at a time
  int lock_timeout_ms = 30000;   // a lock wait longer than this fails with Unavailable
};

// Connects once to check the URL (a libpq URL, postgresql://…): an
// unreachable server, refused credentials or a missing database fail here,
// with the redacted URL and what to fix.
base::Result<std::unique_ptr<Database>> OpenPostgresDatabase(const std::string& url,
                                                             const PostgresOptions& options = {});

}  // namespace kura::meta
