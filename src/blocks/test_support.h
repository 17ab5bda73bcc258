// Shared helpers for the block engine's unit tests: a temporary directory,
// an engine over a test metadata database (SQLite, or PostgreSQL when the
// suite runs on it) + a LocalChunkStore in the directory, and deterministic
// pseudo-random bytes. Header-only; tests only.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/temp_dir.h"
#include "blocks/engine.h"
#include "blocks/local/local_chunk_store.h"
#include "env/filesystem.h"
#include "meta/testing/test_database.h"

namespace kura::blocks::test_support {

using base::TempDir;


// An engine over `metadata` and a LocalChunkStore at `dir`/chunks on `fs`.
// Opening again on the same pair is a restart (it sweeps orphans when asked).
inline base::Result<std::unique_ptr<Engine>> OpenEngine(const meta::TestDatabase& metadata, const std::string& dir,
                                                        std::shared_ptr<env::Filesystem> fs, bool sweep_orphans = true) {
  KURA_ASSIGN_OR_RETURN(auto db, metadata.Open());
  KURA_ASSIGN_OR_RETURN(auto store, LocalChunkStore::Open(std::move(fs), dir + "/chunks"));
  return Engine::Open(std::move(db), std::move(store), sweep_orphans);
}

// Fills `out` with pseudo-random bytes determined by `seed` (splitmix64).
inline void FillRandom(std::span<uint8_t> out, uint64_t seed) {
  uint64_t state = seed;
  for (size_t i = 0; i < out.size(); i += 8) {
    state += 0x9e3779b97f4a7c15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    for (size_t b = 0; b < 8 && i + b < out.size(); ++b) out[i + b] = static_cast<uint8_t>(z >> (8 * b));
  }
}

inline std::vector<uint8_t> RandomBuffer(size_t size, uint64_t seed) {
  std::vector<uint8_t> out(size);
  FillRandom(out, seed);
  return out;
}

}  // namespace kura::blocks::test_support
