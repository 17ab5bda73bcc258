#include "meta/postgres/postgres_database.h"

#include <mutex>
#include <optional>
#include <utility>

#include "meta/metadata_url.h"
#include "meta/postgres/connection_pool.h"

namespace kura::meta {
namespace {

// The advisory lock that serializes transactions (see the header): the pair
// ('kura', the schema) so that installations in different schemas of one
// database do not wait for each other.
constexpr const char* kBegin =
    "BEGIN ISOLATION LEVEL READ COMMITTED; "
    "SELECT pg_advisory_xact_lock(1802858081, hashtext(COALESCE(current_schema(), '')))";
constexpr const char* kSavepoint = "SAVEPOINT kura_statement";
constexpr const char* kRelease = "RELEASE SAVEPOINT kura_statement";
constexpr const char* kUndoStatement = "ROLLBACK TO SAVEPOINT kura_statement; RELEASE SAVEPOINT kura_statement";
// A broken idle connection is found only by using it: one more try on a fresh one.
constexpr int kAttempts = 2;

class PostgresTransaction : public Transaction {
 public:
  PostgresTransaction(std::unique_lock<std::mutex> lock, ConnectionPool::Lease conn)
      : lock_(std::move(lock)), conn_(std::move(conn)) {}
  ~PostgresTransaction() override {
    if (!done_ && conn_ && (*conn_)->healthy() && !(*conn_)->idle()) (void)(*conn_)->RunRaw("ROLLBACK");
    Finish();
  }
  PostgresTransaction(const PostgresTransaction&) = delete;
  PostgresTransaction& operator=(const PostgresTransaction&) = delete;

  base::Status Exec(std::string_view sql, const Params& params) override {
    KURA_RETURN_IF_ERROR(CheckOpen());
    PgConnection& conn = **conn_;
    KURA_RETURN_IF_ERROR(Failing(conn.RunRaw(kSavepoint).status()));
    auto outcome = conn.Run(sql, params, PgConnection::Kind::kExec);
    if (conn.idle()) {
      // The statement itself ended the transaction (COMMIT, ROLLBACK): never
      // let later statements run outside one.
      ended_ = true;
      return outcome.status();
    }
    if (!outcome.ok()) {
      KURA_RETURN_IF_ERROR(Failing(conn.RunRaw(kUndoStatement).status()));
      return outcome.status();
    }
    KURA_RETURN_IF_ERROR(Failing(conn.RunRaw(kRelease).status()));
    changed_rows_ = outcome->changed_rows;
    return base::Status::Ok();
  }

  base::Result<Rows> Query(std::string_view sql, const Params& params) override {
    KURA_RETURN_IF_ERROR(CheckOpen());
    auto outcome = (*conn_)->Run(sql, params, PgConnection::Kind::kQuery);
    if (!outcome.ok()) {
      // Refused before reaching the server (a malformed call): the transaction goes on.
      if ((*conn_)->transaction_failed()) failed_ = true;
      return outcome.status();
    }
    return std::move(outcome->rows);
  }

  int64_t ChangedRows() override { return changed_rows_; }

  base::Status Commit() override {
    KURA_RETURN_IF_ERROR(CheckOpen());
    base::Status status = (*conn_)->RunRaw("COMMIT").status();
    // COMMIT of a transaction the server aborted answers ROLLBACK, not an error.
    if (status.ok() && (*conn_)->last_command() != "COMMIT") {
      status = base::AbortedError("postgresql: the transaction was rolled back by the server");
    }
    Finish();
    return status;
  }

 private:
  base::Status CheckOpen() const {
    if (done_) return base::FailedPreconditionError("postgresql: transaction already committed or failed");
    if (ended_ || failed_) return base::AbortedError("postgresql: transaction was rolled back by an earlier error");
    return base::Status::Ok();
  }

  // PostgreSQL aborts the whole transaction on an error outside a savepoint.
  base::Status Failing(base::Status status) {
    if (!status.ok()) failed_ = true;
    return status;
  }

  void Finish() {
    done_ = true;
    conn_.reset();  // back to the pool (or closed, when broken) before the next Begin runs
    if (lock_.owns_lock()) lock_.unlock();
  }

  std::unique_lock<std::mutex> lock_;
  std::optional<ConnectionPool::Lease> conn_;
  bool done_ = false;
  bool ended_ = false;
  bool failed_ = false;
  int64_t changed_rows_ = 0;
};

class PostgresDatabase : public Database {
 public:
  PostgresDatabase(std::string url, const PostgresOptions& options)
      : pool_(std::move(url), options.pool_size, options.lock_timeout_ms) {}

  base::Status Warm() { return pool_.Warm(); }

  base::Result<std::unique_ptr<Transaction>> Begin() override {
    std::unique_lock<std::mutex> lock(tx_mu_);
    for (int attempt = 1;; ++attempt) {
      KURA_ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool_.Acquire());
      base::Status status = conn->RunRaw(kBegin).status();
      if (status.ok()) {
        return std::unique_ptr<Transaction>(std::make_unique<PostgresTransaction>(std::move(lock), std::move(conn)));
      }
      if (conn->healthy()) {
        (void)conn->RunRaw("ROLLBACK");  // e.g. the lock wait timed out: keep the connection
        return status;
      }
      if (attempt == kAttempts) return status;
    }
  }

  // Autocommit, no advisory lock: a read sees the latest committed state.
  base::Result<Rows> Query(std::string_view sql, const Params& params) override {
    for (int attempt = 1;; ++attempt) {
      KURA_ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool_.Acquire());
      auto outcome = conn->Run(sql, params, PgConnection::Kind::kQuery);
      if (outcome.ok()) return std::move(outcome->rows);
      // Retrying is safe: Query is a read.
      if (conn->healthy() || attempt == kAttempts) return outcome.status();
    }
  }

  std::string_view Dialect() const override { return "postgresql"; }

 private:
  ConnectionPool pool_;
  std::mutex tx_mu_;  // held by the open transaction (see the header)
};

}  // namespace

base::Result<std::unique_ptr<Database>> OpenPostgresDatabase(const std::string& url, const PostgresOptions& options) {
  auto db = std::make_unique<PostgresDatabase>(url, options);
  KURA_RETURN_IF_ERROR(db->Warm().WithContext("open " + RedactUrl(url)));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace kura::meta
