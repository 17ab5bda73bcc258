#include "kms/schema.h"

#include "meta/migrations.h"

namespace kura::kms {

namespace {

constexpr meta::Migration kMigrations[] = {
    {1, "kms keys, material, aliases, grants, tags, usage",
     R"sql(
CREATE TABLE kms_keys (
  arn TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  region TEXT NOT NULL,
  key_manager TEXT NOT NULL,
  description TEXT NOT NULL,
  key_usage TEXT NOT NULL,
  key_spec TEXT NOT NULL,
  origin TEXT NOT NULL,
  state TEXT NOT NULL,
  policy TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  deletion_date INTEGER,
  pending_window_days INTEGER,
  rotation_enabled INTEGER NOT NULL,
  rotation_period_days INTEGER NOT NULL,
  next_rotation_at INTEGER,
  current_version INTEGER NOT NULL,
  on_demand_rotations INTEGER NOT NULL
);
CREATE UNIQUE INDEX kms_keys_owner ON kms_keys(account_id, region, key_id);
CREATE INDEX kms_keys_state ON kms_keys(state, deletion_date);
CREATE TABLE kms_key_versions (
  key_arn TEXT NOT NULL REFERENCES kms_keys(arn),
  version INTEGER NOT NULL,
  material_id TEXT NOT NULL,
  sealed_material BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (key_arn, version)
);
CREATE TABLE kms_aliases (
  account_id TEXT NOT NULL,
  region TEXT NOT NULL,
  alias_name TEXT NOT NULL,
  target_key_arn TEXT NOT NULL REFERENCES kms_keys(arn),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, region, alias_name)
);
CREATE INDEX kms_aliases_target ON kms_aliases(target_key_arn);
CREATE TABLE kms_grants (
  grant_id TEXT PRIMARY KEY,
  key_arn TEXT NOT NULL REFERENCES kms_keys(arn),
  name TEXT NOT NULL,
  grantee_principal TEXT NOT NULL,
  retiring_principal TEXT,
  issuing_account TEXT NOT NULL,
  operations TEXT NOT NULL,
  constraints TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX kms_grants_key ON kms_grants(key_arn, grant_id);
CREATE INDEX kms_grants_grantee ON kms_grants(key_arn, grantee_principal);
CREATE INDEX kms_grants_retiring ON kms_grants(retiring_principal, grant_id);
CREATE TABLE kms_tags (
  key_arn TEXT NOT NULL REFERENCES kms_keys(arn),
  tag_key TEXT NOT NULL,
  tag_value TEXT NOT NULL,
  PRIMARY KEY (key_arn, tag_key)
);
CREATE TABLE kms_usage_requests (
  account_id TEXT NOT NULL,
  region TEXT NOT NULL,
  month TEXT NOT NULL,
  requests INTEGER NOT NULL,
  PRIMARY KEY (account_id, region, month)
);
CREATE TABLE kms_usage_keys (
  key_arn TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  region TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  deletion_scheduled_at INTEGER,
  deleted_at INTEGER
);
CREATE INDEX kms_usage_keys_account ON kms_usage_keys(account_id);
CREATE TABLE kms_usage_versions (
  key_arn TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (key_arn, version)
);
)sql"},
};

}  // namespace

base::Status ApplyKmsMigrations(meta::Database& db) { return meta::ApplyMigrations(db, "kms", kMigrations); }

}  // namespace kura::kms
