#include "meta/migrations.h"

#include <chrono>
#include <string>

namespace kura::meta {
namespace {

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "component TEXT NOT NULL, "
    "version INTEGER NOT NULL, "
    "description TEXT NOT NULL, "
    "applied_at INTEGER NOT NULL, "
    "PRIMARY KEY (component, version))";

constexpr std::string_view kMaxVersion =
    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?";

constexpr std::string_view kInsertVersion =
    "INSERT INTO schema_migrations (component, version, description, applied_at) VALUES (?, ?, ?, ?)";

base::Result<int> VersionIn(Transaction& tx, std::string_view component) {
  KURA_ASSIGN_OR_RETURN(Rows rows, tx.Query(kMaxVersion, {std::string(component)}));
  if (rows.size() != 1) return base::InternalError("schema_migrations: MAX(version) returned no row");
  return static_cast<int>(rows[0].Int(0));
}

int64_t NowUnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

base::Status Apply(Database& db, std::string_view component, const Migration& m) {
  KURA_ASSIGN_OR_RETURN(auto tx, db.Begin());
  // Re-read under the transaction: another process may have applied it meanwhile.
  KURA_ASSIGN_OR_RETURN(int current, VersionIn(*tx, component));
  if (current >= m.version) return base::Status::Ok();
  if (current != m.version - 1) {
    return base::FailedPreconditionError("database schema of " + std::string(component) + " is version " +
                                         std::to_string(current) + ", cannot apply migration " +
                                         std::to_string(m.version));
  }
  KURA_RETURN_IF_ERROR(tx->Exec(m.sql));
  KURA_RETURN_IF_ERROR(tx->Exec(kInsertVersion, {std::string(component), int64_t{m.version},
                                                 std::string(m.description), NowUnixSeconds()}));
  return tx->Commit();
}

}  // namespace

base::Status ApplyMigrations(Database& db, std::string_view component, std::span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i + 1)) {
      return base::FailedPreconditionError("migrations of " + std::string(component) +
                                           " are not numbered 1..N in order: position " + std::to_string(i + 1) +
                                           " has version " + std::to_string(migrations[i].version));
    }
  }
  KURA_ASSIGN_OR_RETURN(int current, SchemaVersion(db, component));
  int known = static_cast<int>(migrations.size());
  if (current > known) {
    return base::FailedPreconditionError("database schema of " + std::string(component) + " is version " +
                                         std::to_string(current) + ", this build knows up to " +
                                         std::to_string(known));
  }
  for (const Migration& m : migrations.subspan(static_cast<size_t>(current))) {
    KURA_RETURN_IF_ERROR(Apply(db, component, m).WithContext(
        "migration " + std::string(component) + " v" + std::to_string(m.version) + " (" +
        std::string(m.description) + ")"));
  }
  return base::Status::Ok();
}

base::Result<int> SchemaVersion(Database& db, std::string_view component) {
  KURA_ASSIGN_OR_RETURN(auto tx, db.Begin());
  KURA_RETURN_IF_ERROR(tx->Exec(kCreateTable));
  KURA_ASSIGN_OR_RETURN(int version, VersionIn(*tx, component));
  KURA_RETURN_IF_ERROR(tx->Commit());
  return version;
}

}  // namespace kura::meta
