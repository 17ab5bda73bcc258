// Test fixture for engine-level tests: a temporary data directory with a
// SQLite metadata store and a local chunk store, opened and re-opened at will,
// plus an in-memory model to compare volume contents against.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "blocks/engine.h"
#include "blocks/local/local_chunk_store.h"
#include "crypto/random.h"
#include "env/fault_injecting_filesystem.h"
#include "meta/sqlite/sqlite_database.h"

namespace kura::blocks {

class EngineFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/kura-engine-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    fs_ = std::make_shared<env::FaultInjectingFilesystem>(env::PosixFilesystem());
    Reopen();
  }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Drops the engine (as a crash would, minus the kill) and opens it again.
  void Reopen() {
    engine_.reset();
    auto db = meta::OpenSqliteDatabase(dir_ + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto store = LocalChunkStore::Open(fs_, dir_ + "/chunks");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto engine = Engine::Open(std::move(db).value(), std::move(store).value());
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }

  static crypto::SecretBytes NewKey() { return std::move(crypto::RandomSecret(64)).value(); }

  static std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> out(n);
    for (auto& b : out) b = static_cast<uint8_t>(rng());
    return out;
  }

  static std::vector<uint8_t> ReadAll(Volume& volume, uint64_t offset, size_t length) {
    std::vector<uint8_t> out(length);
    auto status = volume.Read(offset, out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out;
  }

  uint64_t Objects() { return *engine_->CountObjects(); }

  std::string dir_;
  std::shared_ptr<env::FaultInjectingFilesystem> fs_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace kura::blocks
