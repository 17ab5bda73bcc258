// The KMS tables (component "kms" in schema_migrations): keys, sealed key
// material versions, aliases, grants, tags, and the usage meter.
// Thread-safety: call ApplyKmsMigrations once at startup.
#pragma once

#include "base/status.h"
#include "meta/database.h"

namespace kura::kms {

base::Status ApplyKmsMigrations(meta::Database& db);

}  // namespace kura::kms
