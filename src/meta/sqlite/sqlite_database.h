// The embedded metadata store: one SQLite file in WAL mode with
// synchronous=FULL (a committed transaction survives power loss), foreign
// keys on, and a busy timeout. One connection, transactions serialized by a mutex.
// Thread-safety: as Database.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "meta/database.h"

namespace kura::meta {

// Opens (creating when absent) the database at `path`; ":memory:" for tests.
base::Result<std::unique_ptr<Database>> OpenSqliteDatabase(const std::string& path);

}  // namespace kura::meta
