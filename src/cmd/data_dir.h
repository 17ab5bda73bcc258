// Where a single-node installation keeps its state, and opening it:
// <data dir>/metadata.db (SQLite) and <data dir>/chunks/ (chunk objects).
// Thread-safety: functions only.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "blocks/engine.h"

namespace kura::cmd {

// $KURA_DATA_DIR, else /var/lib/kura for root, else ~/.kura.
std::string DefaultDataDir();

struct DataDir {
  std::string path;
  std::unique_ptr<blocks::Engine> engine;
};

// Creates the directory (0700) when absent, opens the metadata store, applies
// schema migrations and recovers the block engine after a crash.
base::Result<DataDir> OpenDataDir(const std::string& path);

}  // namespace kura::cmd
