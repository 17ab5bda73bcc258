// PgConnection: one libpq connection to PostgreSQL, speaking the portable SQL
// of meta/database.h. Statements go through TranslateToPostgres; parameters
// are bound in binary with their types (int64 -> int8, text -> text, blob ->
// bytea, NULL untyped) and results read in binary into Values (int2/4/8 and
// bool -> int64, text-like -> string, bytea -> Blob; anything else, such as
// numeric or float, is outside the portable subset and an InvalidArgument).
// Errors carry the SQLSTATE mapped to a StatusCode; never a parameter value.
// Thread-safety: none; one thread at a time (the pool hands it out).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "meta/database.h"

struct pg_conn;

namespace kura::meta {

struct PgOutcome {
  Rows rows;
  int64_t changed_rows = 0;
};

class PgConnection {
 public:
  // Connects to `url` (a libpq URL or conninfo string) and prepares the
  // session (synchronous commit, lock timeout). A failure says whether the
  // server is unreachable, refused the credentials or lacks the database,
  // and how to fix it; the message never holds the password.
  static base::Result<std::unique_ptr<PgConnection>> Connect(const std::string& url, int lock_timeout_ms);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // One statement with parameters, or (kExec only) several without, through
  // the simple protocol.
  enum class Kind { kExec, kQuery };
  base::Result<PgOutcome> Run(std::string_view sql, const Params& params, Kind kind);
  // Fixed statements of our own (BEGIN, SAVEPOINT, ...): no translation, no rows.
  base::Result<PgOutcome> RunRaw(const char* sql);
  // The command tag of the last RunRaw ("COMMIT", or "ROLLBACK" when the
  // server rolled an aborted transaction back instead).
  const std::string& last_command() const { return last_command_; }

  // False once the connection is broken (the server closed it, the network
  // failed): the pool then discards it.
  bool healthy() const;
  // False while a transaction is open or failed on this connection.
  bool idle() const;
  // True when an error aborted the open transaction (PostgreSQL then refuses
  // every statement until it ends), or the connection broke.
  bool transaction_failed() const;

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  pg_conn* conn_;
  std::string last_command_;
};

}  // namespace kura::meta
