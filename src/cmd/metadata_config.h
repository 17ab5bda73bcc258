// MetadataConfig: which metadata store `kura serve` and the tools open.
// Thread-safety: a plain value.
#pragma once

#include <cstddef>
#include <string>

namespace kura::cmd {

struct MetadataConfig {
  // "" = sqlite://<data dir>/metadata.db; else a URL of meta/metadata_url.h
  // (sqlite:///PATH or postgresql://...). From --metadata-url or $KURA_METADATA_URL.
  std::string url;
  size_t postgres_pool_size = 4;  // PostgreSQL connections of this process
};

}  // namespace kura::cmd
