#include "meta/postgres/connection.h"

#include <libpq-fe.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "meta/metadata_url.h"
#include "meta/postgres/sql_translation.h"

namespace kura::meta {
namespace {

// Type OIDs of pg_type (stable since PostgreSQL 7).
enum TypeOid : Oid {
  kBoolOid = 16, kByteaOid = 17, kNameOid = 19, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kTextOid = 25,
  kOidOid = 26, kUnknownOid = 705, kBpcharOid = 1042, kVarcharOid = 1043,
};
constexpr int kBinaryFormat = 1;

// PostgreSQL 10: ON CONFLICT, IF NOT EXISTS everywhere, libpq URLs with several hosts.
constexpr int kMinServerVersion = 100000;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// libpq's messages end in a newline and indent their hints with "\n\t".
std::string OneLine(const char* message) {
  std::string out;
  for (const char* p = message != nullptr ? message : ""; *p != '\0'; ++p) {
    if (*p == '\n' || *p == '\t') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(*p);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

base::StatusCode CodeForSqlState(std::string_view state) {
  using base::StatusCode;
  if (state == "23505") return StatusCode::kAlreadyExists;  // unique_violation
  if (StartsWith(state, "23")) return StatusCode::kFailedPrecondition;  // other integrity constraints
  // serialization_failure, deadlock_detected; in_failed_sql_transaction
  if (StartsWith(state, "40") || state == "25P02") return StatusCode::kAborted;
  // lock_not_available (lock_timeout), query_canceled, admin shutdown, connection exceptions
  if (state == "55P03" || state == "57014" || StartsWith(state, "57P") || StartsWith(state, "08")) {
    return StatusCode::kUnavailable;
  }
  if (StartsWith(state, "53")) return StatusCode::kResourceExhausted;  // disk full, out of memory, too many connections
  if (StartsWith(state, "22")) return StatusCode::kInvalidArgument;    // data exception (bad UTF-8, overflow)
  if (state == "XX001" || state == "XX002") return StatusCode::kDataLoss;  // data or index corrupted
  return StatusCode::kInternal;
}

// The error of a failed statement. DETAIL is left out: it may quote row values.
base::Status StatementError(PGconn* conn, const PGresult* res, std::string_view sql) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = "postgresql: " + OneLine(primary != nullptr ? primary : PQerrorMessage(conn));
  base::StatusCode code = base::StatusCode::kInternal;
  if (state != nullptr) {
    message += std::string(" (SQLSTATE ") + state + ")";
    code = CodeForSqlState(state);
  }
  if (PQstatus(conn) == CONNECTION_BAD) {
    code = base::StatusCode::kUnavailable;
    message += " (connection lost)";
  }
  if (!sql.empty()) message += " in \"" + SqlExcerpt(sql) + "\"";
  return base::Status(code, std::move(message));
}

bool Contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// A failed login, classified so the operator knows what to fix. libpq's own
// text names host, port, user and database, never the password.
base::Status ConnectError(const std::string& libpq_message) {
  std::string m = OneLine(libpq_message.c_str());
  const bool role_missing = Contains(m, "role \"") && Contains(m, "does not exist");
  if (Contains(m, "password authentication failed") || Contains(m, "no password supplied") ||
      Contains(m, "authentication failed") || Contains(m, "pg_hba.conf") || role_missing) {
    return base::PermissionDeniedError("PostgreSQL refused the login (" + m +
                                       "): check the user name and password in the metadata URL, and the "
                                       "server's pg_hba.conf");
  }
  if (Contains(m, "too many clients") || Contains(m, "remaining connection slots are reserved")) {
    return base::ResourceExhaustedError("PostgreSQL has no connection left (" + m +
                                        "): raise its max_connections or lower --metadata-pool-size");
  }
  if (Contains(m, "database \"") && Contains(m, "does not exist")) {
    return base::NotFoundError("PostgreSQL has no such database (" + m +
                               "): create it first, e.g. createdb --owner=USER --locale=C --template=template0 NAME");
  }
  return base::UnavailableError("cannot reach PostgreSQL (" + m +
                                "): check that the server is running and the metadata URL's host and port");
}

// Parameters in libpq's parallel arrays. Integers are sent in network byte
// order; the Value vector outlives the call, so strings and blobs are not copied.
class BoundParams {
 public:
  explicit BoundParams(const Params& params) {
    const size_t n = params.size();
    types_.reserve(n);
    values_.reserve(n);
    lengths_.reserve(n);
    formats_.assign(n, kBinaryFormat);
    ints_.resize(n);
    static const char kEmpty = '\0';  // a non-null pointer for empty text and blobs (null means NULL)
    for (size_t i = 0; i < n; ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<Null>(v)) {
        Add(0, nullptr, 0);  // untyped: the server infers the type from the context
      } else if (const int64_t* x = std::get_if<int64_t>(&v)) {
        auto u = static_cast<uint64_t>(*x);
        for (int b = 7; b >= 0; --b, u >>= 8) ints_[i][static_cast<size_t>(b)] = static_cast<char>(u & 0xff);
        Add(kInt8Oid, ints_[i].data(), 8);
      } else if (const std::string* s = std::get_if<std::string>(&v)) {
        Add(kTextOid, s->empty() ? &kEmpty : s->data(), static_cast<int>(s->size()));
      } else if (const Blob* b = std::get_if<Blob>(&v)) {
        Add(kByteaOid, b->empty() ? &kEmpty : reinterpret_cast<const char*>(b->data()), static_cast<int>(b->size()));
      }
    }
  }
  int size() const { return static_cast<int>(types_.size()); }
  const Oid* types() const { return types_.data(); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void Add(Oid type, const char* value, int length) {
    types_.push_back(type);
    values_.push_back(value);
    lengths_.push_back(length);
  }
  std::vector<Oid> types_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::vector<std::array<char, 8>> ints_;
};

int64_t BigEndian(const char* p, int length) {
  uint64_t u = 0;
  for (int i = 0; i < length; ++i) u = (u << 8) | static_cast<uint8_t>(p[i]);
  // Sign-extend the narrower integer types.
  if (length < 8 && length > 0 && (static_cast<uint8_t>(p[0]) & 0x80) != 0) u |= ~uint64_t{0} << (8 * length);
  return static_cast<int64_t>(u);
}

base::Result<Value> ColumnValue(const PGresult* res, int row, int col, std::string_view sql) {
  if (PQgetisnull(res, row, col)) return Value(Null{});
  const char* data = PQgetvalue(res, row, col);
  const int length = PQgetlength(res, row, col);
  switch (PQftype(res, col)) {
    case kInt8Oid:
    case kInt4Oid:
    case kInt2Oid:
    case kBoolOid:
      return Value(BigEndian(data, length));
    case kOidOid:  // unsigned 32-bit
      return Value(static_cast<int64_t>(static_cast<uint64_t>(BigEndian(data, length)) & 0xffffffffu));
    case kTextOid:
    case kVarcharOid:
    case kBpcharOid:
    case kNameOid:
    case kUnknownOid:
      return Value(std::string(data, static_cast<size_t>(length)));
    case kByteaOid:
      return Value(Blob(reinterpret_cast<const uint8_t*>(data), reinterpret_cast<const uint8_t*>(data) + length));
    default:
      return base::InvalidArgumentError("postgresql: column " + std::to_string(col) + " has type OID " +
                                        std::to_string(PQftype(res, col)) +
                                        ", which the portable subset does not allow, in \"" + SqlExcerpt(sql) +
                                        "\"");
  }
}

// `decode_rows`: results in binary, as PQexecParams asks for; PQexec's are text and unused.
base::Result<PgOutcome> Outcome(PGconn* conn, ResultPtr res, std::string_view sql, bool decode_rows) {
  PgOutcome out;
  switch (PQresultStatus(res.get())) {
    case PGRES_COMMAND_OK:
      break;
    case PGRES_TUPLES_OK: {
      if (!decode_rows) break;
      const int rows = PQntuples(res.get());
      const int cols = PQnfields(res.get());
      out.rows.reserve(static_cast<size_t>(rows));
      for (int r = 0; r < rows; ++r) {
        std::vector<Value> values;
        values.reserve(static_cast<size_t>(cols));
        for (int c = 0; c < cols; ++c) {
          KURA_ASSIGN_OR_RETURN(Value v, ColumnValue(res.get(), r, c, sql));
          values.push_back(std::move(v));
        }
        out.rows.emplace_back(std::move(values));
      }
      break;
    }
    case PGRES_EMPTY_QUERY:
      return base::InvalidArgumentError("postgresql: empty statement \"" + SqlExcerpt(sql) + "\"");
    default:
      return StatementError(conn, res.get(), sql);
  }
  const char* tuples = PQcmdTuples(res.get());
  out.changed_rows = tuples != nullptr && *tuples != '\0' ? std::strtoll(tuples, nullptr, 10) : 0;
  return out;
}

void IgnoreNotice(void*, const char*) {
  // NOTICEs ("relation ... already exists, skipping") are informational;
  // libpq would print them on stderr.
}

}  // namespace

base::Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& url, int lock_timeout_ms) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string m = RedactPasswordsIn(OneLine(parse_error != nullptr ? parse_error : "out of memory"), url);
    PQfreemem(parse_error);
    return base::InvalidArgumentError("malformed PostgreSQL URL: " + m);
  }
  PQconninfoFree(parsed);
  // Later keywords win: the URL's own settings override these defaults.
  const char* const keys[] = {"application_name", "connect_timeout", "dbname", nullptr};
  const char* const values[] = {"kura", "10", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return base::ResourceExhaustedError("postgresql: out of memory");
  std::unique_ptr<PgConnection> connection(new PgConnection(conn));
  if (PQstatus(conn) != CONNECTION_OK) return ConnectError(RedactPasswordsIn(PQerrorMessage(conn), url));
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  if (PQserverVersion(conn) < kMinServerVersion) {
    return base::FailedPreconditionError("PostgreSQL " + std::to_string(PQserverVersion(conn)) +
                                         " is too old: kura needs version 10 or newer");
  }
  // synchronous_commit=on: COMMIT returns only once the WAL is flushed (the
  // interface's durability promise), whatever the server's default.
  // lock_timeout bounds the wait for another node's transaction, as SQLite's busy timeout does.
  const std::string setup = "SET synchronous_commit TO on; SET standard_conforming_strings TO on; "
                            "SET lock_timeout TO " + std::to_string(lock_timeout_ms);
  KURA_RETURN_IF_ERROR(connection->RunRaw(setup.c_str()).status());
  return connection;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

bool PgConnection::idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }

bool PgConnection::transaction_failed() const {
  const PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INERROR || status == PQTRANS_UNKNOWN;
}

base::Result<PgOutcome> PgConnection::Run(std::string_view sql, const Params& params, Kind kind) {
  PostgresSql translated = TranslateToPostgres(sql);
  if (translated.several_statements) {
    if (kind == Kind::kQuery) {
      return base::InvalidArgumentError("postgresql: Query takes a single statement, got \"" + SqlExcerpt(sql) +
                                        "\"");
    }
    if (!params.empty()) {
      return base::InvalidArgumentError("postgresql: several statements cannot take parameters in \"" +
                                        SqlExcerpt(sql) + "\"");
    }
    return Outcome(conn_, ResultPtr(PQexec(conn_, translated.text.c_str())), sql, /*decode_rows=*/false);
  }
  if (translated.placeholders != static_cast<int>(params.size())) {
    return base::InvalidArgumentError("postgresql: statement takes " + std::to_string(translated.placeholders) +
                                      " parameters, got " + std::to_string(params.size()) + " in \"" +
                                      SqlExcerpt(sql) + "\"");
  }
  BoundParams bound(params);
  ResultPtr res(PQexecParams(conn_, translated.text.c_str(), bound.size(), bound.types(), bound.values(),
                             bound.lengths(), bound.formats(), kBinaryFormat));
  return Outcome(conn_, std::move(res), sql, /*decode_rows=*/true);
}

base::Result<PgOutcome> PgConnection::RunRaw(const char* sql) {
  ResultPtr res(PQexec(conn_, sql));
  last_command_ = res != nullptr ? PQcmdStatus(res.get()) : "";
  return Outcome(conn_, std::move(res), sql, /*decode_rows=*/false);
}

}  // namespace kura::meta
