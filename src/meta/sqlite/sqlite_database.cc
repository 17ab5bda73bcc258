#include "meta/sqlite/sqlite_database.h"

#include <sqlite3.h>

#include <cctype>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace kura::meta {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// Bounds the cache when callers build SQL text dynamically.
constexpr size_t kMaxCachedStatements = 512;

base::Status CodeToStatus(int code, std::string message) {
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
      switch (code) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_ROWID:
          return base::AlreadyExistsError(std::move(message));
        default:
          return base::FailedPreconditionError(std::move(message));
      }
    case SQLITE_FULL: return base::ResourceExhaustedError(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return base::UnavailableError(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return base::DataLossError(std::move(message));
    default: return base::InternalError(std::move(message));
  }
}

// `code` is the extended result code of the failed call; sqlite3_errmsg still describes it.
base::Status SqliteError(sqlite3* db, int code, std::string_view sql) {
  std::string message = "sqlite: ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  message += " (";
  message += sqlite3_errstr(code);
  message += ")";
  if (!sql.empty()) {
    message += " in \"";
    message += SqlExcerpt(sql);
    message += "\"";
  }
  return CodeToStatus(code, std::move(message));
}

bool OnlyWhitespaceOrSemicolons(const char* s) {
  for (; *s != '\0'; ++s) {
    if (!std::isspace(static_cast<unsigned char>(*s)) && *s != ';') return false;
  }
  return true;
}

// Resets a cached statement and drops its bindings when a call is done with it.
class StatementReset {
 public:
  explicit StatementReset(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementReset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementReset(const StatementReset&) = delete;
  StatementReset& operator=(const StatementReset&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

class SqliteDatabase;

class SqliteTransaction : public Transaction {
 public:
  SqliteTransaction(SqliteDatabase* db, std::unique_lock<std::mutex> lock) : db_(db), lock_(std::move(lock)) {}
  ~SqliteTransaction() override;
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  base::Status Exec(std::string_view sql, const Params& params) override;
  base::Result<Rows> Query(std::string_view sql, const Params& params) override;
  int64_t ChangedRows() override { return changed_rows_; }
  base::Status Commit() override;

 private:
  base::Status CheckOpen() const;
  void Finish();

  SqliteDatabase* db_;
  std::unique_lock<std::mutex> lock_;
  bool done_ = false;
  int64_t changed_rows_ = 0;
};

class SqliteDatabase : public Database {
 public:
  explicit SqliteDatabase(sqlite3* db) : db_(db) {}
  ~SqliteDatabase() override {
    ClearCache();
    sqlite3_close_v2(db_);
  }
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  // Transactions are serialized: one connection, and tx_mu_ is held by the
  // open Transaction until it commits or rolls back.
  base::Result<std::unique_ptr<Transaction>> Begin() override {
    std::unique_lock<std::mutex> lock(tx_mu_);
    // IMMEDIATE takes the write lock now, so another process cannot make our COMMIT fail with BUSY.
    KURA_RETURN_IF_ERROR(ExecCached("BEGIN IMMEDIATE"));
    return std::unique_ptr<Transaction>(std::make_unique<SqliteTransaction>(this, std::move(lock)));
  }

  // A lone read runs in SQLite's autocommit mode: its own read transaction,
  // no write lock, no BEGIN/COMMIT round trip (the hot path of every KMS call).
  base::Result<Rows> Query(std::string_view sql, const Params& params) override {
    std::lock_guard<std::mutex> lock(tx_mu_);
    return RunQuery(sql, params);
  }

  // Runs one single-statement query with a cached statement. Callers hold tx_mu_.
  base::Result<Rows> RunQuery(std::string_view sql, const Params& params);

  // Runs a parameterless single statement through the statement cache.
  base::Status ExecCached(std::string_view sql) {
    KURA_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    if (stmt == nullptr) return ExecRaw(sql);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqliteError(db_, rc, sql);
    return base::Status::Ok();
  }

  std::string_view Dialect() const override { return "sqlite"; }

  sqlite3* handle() const { return db_; }

  base::Status ExecRaw(std::string_view sql) {
    std::string text(sql);
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, sql);
    return base::Status::Ok();
  }

  // A cached prepared statement for one single-statement `sql`, or nullptr
  // (with OK status) when `sql` holds more than one statement. Callers hold tx_mu_.
  base::Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    std::string key(sql);
    if (auto it = statements_.find(key); it != statements_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size() + 1), SQLITE_PREPARE_PERSISTENT,
                                &stmt, &tail);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return SqliteError(db_, rc, sql);
    }
    if (stmt == nullptr) return base::InvalidArgumentError("sqlite: empty statement \"" + SqlExcerpt(sql) + "\"");
    if (tail != nullptr && !OnlyWhitespaceOrSemicolons(tail)) {
      sqlite3_finalize(stmt);
      return static_cast<sqlite3_stmt*>(nullptr);
    }
    if (statements_.size() >= kMaxCachedStatements) ClearCache();
    statements_.emplace(std::move(key), stmt);
    return stmt;
  }

 private:
  // No cached statement is in use when this runs: each is reset after its call.
  void ClearCache() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    statements_.clear();
  }

  sqlite3* db_;
  std::mutex tx_mu_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

base::Status Bind(sqlite3* db, sqlite3_stmt* stmt, std::string_view sql, const Params& params) {
  int expected = sqlite3_bind_parameter_count(stmt);
  if (expected != static_cast<int>(params.size())) {
    return base::InvalidArgumentError("sqlite: statement takes " + std::to_string(expected) + " parameters, got " +
                                      std::to_string(params.size()) + " in \"" + SqlExcerpt(sql) + "\"");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    int index = static_cast<int>(i + 1);
    const Value& v = params[i];
    int rc = SQLITE_OK;
    // SQLITE_STATIC is safe: the params outlive the statement's use, and
    // StatementReset clears the bindings before the call returns.
    if (std::holds_alternative<Null>(v)) {
      rc = sqlite3_bind_null(stmt, index);
    } else if (const int64_t* n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else if (const std::string* s = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else if (const Blob* b = std::get_if<Blob>(&v)) {
      // An empty vector may have a null data(), which SQLite would bind as NULL.
      rc = b->empty() ? sqlite3_bind_zeroblob(stmt, index, 0)
                      : sqlite3_bind_blob64(stmt, index, b->data(), b->size(), SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) return SqliteError(db, rc, sql);
  }
  return base::Status::Ok();
}

// Appends column `col` of the current row to `out`.
base::Status AppendColumn(sqlite3_stmt* stmt, int col, std::string_view sql, std::vector<Value>& out) {
  switch (sqlite3_column_type(stmt, col)) {
    case SQLITE_NULL:
      out.emplace_back(std::in_place_type<Null>);
      return base::Status::Ok();
    case SQLITE_INTEGER:
      out.emplace_back(std::in_place_type<int64_t>, sqlite3_column_int64(stmt, col));
      return base::Status::Ok();
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
      auto size = static_cast<size_t>(sqlite3_column_bytes(stmt, col));
      out.emplace_back(std::in_place_type<std::string>, text != nullptr ? text : "", text != nullptr ? size : 0);
      return base::Status::Ok();
    }
    case SQLITE_BLOB: {
      const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(stmt, col));
      auto size = static_cast<size_t>(sqlite3_column_bytes(stmt, col));
      Blob& blob = std::get<Blob>(out.emplace_back(std::in_place_type<Blob>));
      if (data != nullptr) blob.assign(data, data + size);
      return base::Status::Ok();
    }
    default:
      return base::InvalidArgumentError("sqlite: column " + std::to_string(col) +
                                        " is REAL, which the portable subset does not allow, in \"" +
                                        SqlExcerpt(sql) + "\"");
  }
}

base::Result<Rows> SqliteDatabase::RunQuery(std::string_view sql, const Params& params) {
  KURA_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
  if (stmt == nullptr) {
    return base::InvalidArgumentError("sqlite: Query takes a single statement, got \"" + SqlExcerpt(sql) + "\"");
  }
  StatementReset reset(stmt);
  KURA_RETURN_IF_ERROR(Bind(db_, stmt, sql, params));
  Rows rows;
  int columns = sqlite3_column_count(stmt);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<Value> values;
    values.reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) KURA_RETURN_IF_ERROR(AppendColumn(stmt, c, sql, values));
    rows.emplace_back(std::move(values));
  }
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, sql);
  return rows;
}

SqliteTransaction::~SqliteTransaction() {
  if (!done_ && sqlite3_get_autocommit(db_->handle()) == 0) {
    (void)db_->ExecRaw("ROLLBACK");
  }
}

base::Status SqliteTransaction::CheckOpen() const {
  if (done_) return base::FailedPreconditionError("sqlite: transaction already committed or failed");
  // Some errors (SQLITE_FULL, IOERR, ...) make SQLite roll the transaction back
  // by itself; later statements must not silently run in autocommit mode.
  if (sqlite3_get_autocommit(db_->handle()) != 0) {
    return base::AbortedError("sqlite: transaction was rolled back by an earlier error");
  }
  return base::Status::Ok();
}

void SqliteTransaction::Finish() {
  done_ = true;
  lock_.unlock();
}

base::Status SqliteTransaction::Exec(std::string_view sql, const Params& params) {
  KURA_RETURN_IF_ERROR(CheckOpen());
  sqlite3* db = db_->handle();
  KURA_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, db_->Prepare(sql));
  if (stmt == nullptr) {
    if (!params.empty()) {
      return base::InvalidArgumentError("sqlite: several statements cannot take parameters in \"" +
                                        SqlExcerpt(sql) + "\"");
    }
    KURA_RETURN_IF_ERROR(db_->ExecRaw(sql));
    changed_rows_ = sqlite3_changes64(db);
    return base::Status::Ok();
  }
  StatementReset reset(stmt);
  KURA_RETURN_IF_ERROR(Bind(db, stmt, sql, params));
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return SqliteError(db, rc, sql);
  changed_rows_ = sqlite3_changes64(db);
  return base::Status::Ok();
}

base::Result<Rows> SqliteTransaction::Query(std::string_view sql, const Params& params) {
  KURA_RETURN_IF_ERROR(CheckOpen());
  return db_->RunQuery(sql, params);
}

base::Status SqliteTransaction::Commit() {
  KURA_RETURN_IF_ERROR(CheckOpen());
  base::Status status = db_->ExecCached("COMMIT");
  if (!status.ok() && sqlite3_get_autocommit(db_->handle()) == 0) (void)db_->ExecRaw("ROLLBACK");
  Finish();
  return status;
}

base::Status ExecPragma(sqlite3* db, const char* sql) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, sql);
  return base::Status::Ok();
}

}  // namespace

base::Result<std::unique_ptr<Database>> OpenSqliteDatabase(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  // SqliteDatabase owns the handle from here on, also when opening failed.
  auto db = std::make_unique<SqliteDatabase>(raw);
  if (rc != SQLITE_OK) {
    return SqliteError(raw, rc, "").WithContext("open " + path);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);

  // journal_mode answers with the mode in effect ("memory" for in-memory databases).
  std::string journal_mode;
  rc = sqlite3_exec(
      raw, "PRAGMA journal_mode=WAL",
      [](void* out, int, char** values, char**) {
        if (values[0] != nullptr) *static_cast<std::string*>(out) = values[0];
        return 0;
      },
      &journal_mode, nullptr);
  if (rc != SQLITE_OK) return SqliteError(raw, rc, "PRAGMA journal_mode=WAL").WithContext("open " + path);
  if (journal_mode != "wal" && journal_mode != "memory") {
    return base::FailedPreconditionError("open " + path + ": sqlite refused WAL mode (journal_mode=" +
                                         journal_mode + ")");
  }
  for (const char* pragma : {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    KURA_RETURN_IF_ERROR(ExecPragma(raw, pragma).WithContext("open " + path));
  }
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace kura::meta
