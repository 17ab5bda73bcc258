// Versioned schema migrations. Each component (blocks, kms, ec2, ...) owns an
// ordered list of migrations; ApplyMigrations runs those not yet applied, each
// in its own transaction together with the row in `schema_migrations` that
// records it, so a crash leaves either the old or the new version. Each
// migration re-reads the version inside its transaction, and transactions are
// serialized across processes (SQLite's write lock, PostgreSQL's advisory
// lock), so nodes starting at once on one database apply each exactly once.
// Thread-safety: call once per component at startup (concurrent calls from
// several processes or Database objects are safe, as said).
#pragma once

#include <span>
#include <string_view>

#include "base/status.h"
#include "meta/database.h"

namespace kura::meta {

struct Migration {
  int version;                   // 1, 2, 3, ... without gaps
  std::string_view description;  // "create chunk tables"
  std::string_view sql;          // one or more statements separated by ';'
};

// FailedPrecondition when the database holds a newer version than this build
// knows, or when versions are not 1..N in order.
base::Status ApplyMigrations(Database& db, std::string_view component, std::span<const Migration> migrations);

// The highest applied version of `component` (0 when none).
base::Result<int> SchemaVersion(Database& db, std::string_view component);

}  // namespace kura::meta
