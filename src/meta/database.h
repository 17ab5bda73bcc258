// Database: the metadata store interface every layer writes its tables
// through. SQL is the portable subset that SQLite and PostgreSQL share;
// placeholders are `?` (an implementation for PostgreSQL rewrites them to $n).
// Use INTEGER (64-bit), TEXT (UTF-8 without NUL) and BLOB columns; no
// SQLite-only syntax: no implicit row ids (give INTEGER PRIMARY KEY columns
// their value), upserts as INSERT ... ON CONFLICT.
// Thread-safety: a Database is safe from any thread. Transactions are
// serialized: Begin() waits while another transaction is open. A
// Transaction is used by the thread that began it; never nest them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace kura::meta {

struct Null {
  friend bool operator==(Null, Null) { return true; }
};
using Blob = std::vector<uint8_t>;
// One SQL value: NULL, 64-bit integer, text or blob.
using Value = std::variant<Null, int64_t, std::string, Blob>;

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<Null>(values_.at(i)); }
  // Accessors return 0 / "" / {} for NULL; a type mismatch is a bug (asserts).
  int64_t Int(size_t i) const;
  const std::string& Text(size_t i) const;
  const Blob& BlobAt(size_t i) const;
  const Value& at(size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

using Rows = std::vector<Row>;
using Params = std::vector<Value>;

class Transaction {
 public:
  virtual ~Transaction() = default;  // rolls back when not committed
  virtual base::Status Exec(std::string_view sql, const Params& params = {}) = 0;
  virtual base::Result<Rows> Query(std::string_view sql, const Params& params = {}) = 0;
  // Rows changed by the last Exec.
  virtual int64_t ChangedRows() = 0;
  // Durable once it returns OK (synchronous commit).
  virtual base::Status Commit() = 0;
};

class Database {
 public:
  virtual ~Database() = default;
  virtual base::Result<std::unique_ptr<Transaction>> Begin() = 0;
  // Convenience: one statement in its own transaction.
  base::Status Exec(std::string_view sql, const Params& params = {});
  // One read on its own: sees the latest committed state. Implementations
  // may run it without taking the write lock (the default uses Begin()).
  virtual base::Result<Rows> Query(std::string_view sql, const Params& params = {});
  // "sqlite" or "postgresql".
  virtual std::string_view Dialect() const = 0;
};

// The first 80 characters of `sql` ("..." when cut), for error messages:
// enough to find the statement, never its parameter values.
std::string SqlExcerpt(std::string_view sql);

}  // namespace kura::meta
