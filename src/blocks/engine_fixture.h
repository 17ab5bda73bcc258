// GoogleTest fixture for engine-level tests: a temporary data directory over a
// fault-injecting filesystem, an engine that can be re-opened (a restart), and
// helpers to compare volume contents.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "blocks/engine.h"
#include "blocks/test_support.h"
#include "crypto/random.h"
#include "env/fault_injecting_filesystem.h"
#include "meta/testing/backend_test.h"

namespace kura::blocks {

class EngineFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    fs_ = std::make_shared<env::FaultInjectingFilesystem>(env::PosixFilesystem());
    test_db_ = meta::CreateEnvironmentTestDatabase();
    if (test_db_) Reopen();
  }
  void TearDown() override { engine_.reset(); }

  // Drops the engine and opens it again on the same directory.
  void Reopen() {
    engine_.reset();
    auto engine = test_support::OpenEngine(*test_db_, dir_, fs_);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }

  static crypto::SecretBytes NewKey() { return std::move(crypto::RandomSecret(64)).value(); }

  static std::vector<uint8_t> RandomBytes(size_t n, uint64_t seed) { return test_support::RandomBuffer(n, seed); }

  static std::vector<uint8_t> ReadAll(Volume& volume, uint64_t offset, size_t length) {
    std::vector<uint8_t> out(length);
    auto status = volume.Read(offset, out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out;
  }

  uint64_t Objects() { return *engine_->CountObjects(); }

  test_support::TempDir temp_;
  std::unique_ptr<meta::TestDatabase> test_db_;  // outlives engine_
  std::string dir_;
  std::shared_ptr<env::FaultInjectingFilesystem> fs_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace kura::blocks
