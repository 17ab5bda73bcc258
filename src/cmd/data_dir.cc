#include "cmd/data_dir.h"

#include <unistd.h>

#include <cstdlib>

#include "blocks/local/local_chunk_store.h"
#include "env/filesystem.h"
#include "meta/sqlite/sqlite_database.h"

namespace kura::cmd {

std::string DefaultDataDir() {
  if (const char* env = std::getenv("KURA_DATA_DIR"); env && *env) return env;
  if (geteuid() == 0) return "/var/lib/kura";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.kura";
}

base::Result<DataDir> OpenDataDir(const std::string& path) {
  auto fs = env::PosixFilesystem();
  KURA_RETURN_IF_ERROR(fs->CreateDirs(path, 0700));
  KURA_ASSIGN_OR_RETURN(std::shared_ptr<meta::Database> db, meta::OpenSqliteDatabase(path + "/metadata.db"));
  KURA_ASSIGN_OR_RETURN(std::shared_ptr<blocks::ChunkStore> store, blocks::LocalChunkStore::Open(fs, path + "/chunks"));
  KURA_ASSIGN_OR_RETURN(auto engine, blocks::Engine::Open(db, std::move(store)));
  return DataDir{path, std::move(db), std::move(engine)};
}

}  // namespace kura::cmd
