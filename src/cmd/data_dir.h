// Where an installation keeps its state:
//   <data dir>/metadata.db   SQLite: every layer's tables (unless a metadata
//                            URL names another store, e.g. PostgreSQL)
//   <data dir>/chunks/       chunk objects of the block engine
//   <data dir>/root.key      the root key (0600), unless a passphrase is used
//   <data dir>/credentials   the bootstrap account's root access key (0600)
//   <data dir>/audit.log     one JSON line per KMS call
// Thread-safety: functions only.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "blocks/engine.h"
#include "cmd/metadata_config.h"
#include "meta/database.h"

namespace kura::cmd {

// $KURA_DATA_DIR, else /var/lib/kura for root, else ~/.kura.
std::string DefaultDataDir();

struct DataDir {
  std::string path;
  std::shared_ptr<meta::Database> db;
  std::unique_ptr<blocks::Engine> engine;
};

// The metadata URL in effect: config.url, or SQLite in the data dir.
std::string MetadataUrl(const std::string& data_dir, const MetadataConfig& config);

// Opens the metadata store `config` names (for a data directory at `data_dir`).
// Errors name the store (its URL redacted) and what to fix.
base::Result<std::shared_ptr<meta::Database>> OpenMetadata(const std::string& data_dir, const MetadataConfig& config);

// Creates the directory (0700) when absent, opens the metadata store, applies
// the block engine's migrations and recovers it after a crash.
base::Result<DataDir> OpenDataDir(const std::string& path, const MetadataConfig& metadata = {});

}  // namespace kura::cmd
