#include "cmd/data_dir.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/log.h"
#include "blocks/local/local_chunk_store.h"
#include "env/filesystem.h"
#include "env/open_file_limit.h"
#include "meta/metadata_url.h"

namespace kura::cmd {

std::string DefaultDataDir() {
  if (const char* env = std::getenv("KURA_DATA_DIR"); env && *env) return env;
  if (geteuid() == 0) return "/var/lib/kura";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.kura";
}

namespace {

// Chunk files kept open: one per 512 KiB chunk, so 1024 covered only a
// 512 MiB working set and random I/O over a larger volume opened and closed
// a file per request. Up to 64Ki (32 GiB hot), leaving a quarter of the
// descriptors (at least 1024) to sockets, SQLite and the rest.
size_t ChunkFilesKeptOpen() {
  const size_t limit = env::RaiseOpenFileLimit();
  const size_t reserve = std::max<size_t>(1024, limit / 4);
  return limit > 2 * reserve ? std::min<size_t>(limit - reserve, 65536) : std::max<size_t>(64, limit / 2);
}

}  // namespace

std::string MetadataUrl(const std::string& data_dir, const MetadataConfig& config) {
  return config.url.empty() ? "sqlite://" + data_dir + "/metadata.db" : config.url;
}

base::Result<std::shared_ptr<meta::Database>> OpenMetadata(const std::string& data_dir, const MetadataConfig& config) {
  const std::string url = MetadataUrl(data_dir, config);
  meta::MetadataOptions options;
  options.postgres_pool_size = config.postgres_pool_size;
  auto db = meta::OpenMetadataDatabase(url, options);
  if (!db.ok()) return db.status().WithContext("metadata store");
  return std::shared_ptr<meta::Database>(std::move(db).value());
}

base::Result<DataDir> OpenDataDir(const std::string& path, const MetadataConfig& metadata) {
  auto fs = env::PosixFilesystem();
  KURA_RETURN_IF_ERROR(fs->CreateDirs(path, 0700));
  KURA_ASSIGN_OR_RETURN(std::shared_ptr<meta::Database> db, OpenMetadata(path, metadata));
  // The server's log only: the tools print their results on stdout.
  base::LogEvent(base::LogLevel::kInfo, "metadata_store_opened",
                 {{"url", meta::RedactUrl(MetadataUrl(path, metadata))},
                  {"dialect", std::string(db->Dialect())}});
  KURA_ASSIGN_OR_RETURN(std::shared_ptr<blocks::ChunkStore> store, blocks::LocalChunkStore::Open(fs, path + "/chunks", ChunkFilesKeptOpen()));
  KURA_ASSIGN_OR_RETURN(auto engine, blocks::Engine::Open(db, std::move(store)));
  return DataDir{path, std::move(db), std::move(engine)};
}

}  // namespace kura::cmd
