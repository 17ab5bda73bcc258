// BackendTest: a GoogleTest fixture parameterised by metadata backend. Each
// test gets a fresh TestDatabase (db_ opened on it); a backend that cannot
// run here (PostgreSQL without $KURA_TEST_POSTGRES_URL) is skipped, saying why.
//   class MyTest : public meta::BackendTest {};
//   TEST_P(MyTest, ...) { ... db_ ... }
//   KURA_INSTANTIATE_BACKEND_TEST(MyTest);
// CreateEnvironmentTestDatabase serves the fixtures of other layers, whose
// store suites ctest runs once per backend. Thread-safety: as any fixture.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "meta/testing/test_database.h"

namespace kura::meta {

class BackendTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    const std::string unavailable = TestBackendUnavailable(GetParam());
    if (!unavailable.empty()) GTEST_SKIP() << unavailable;
    auto created = TestDatabase::Create(GetParam());
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    test_db_ = std::move(created).value();
    db_ = Reopen();
    ASSERT_NE(db_, nullptr);
  }

  // Another Database on the same data: a restart, or a second node.
  std::unique_ptr<Database> Reopen() {
    auto db = test_db_->Open();
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  std::unique_ptr<TestDatabase> test_db_;
  std::unique_ptr<Database> db_;
};

// For the fixtures of other layers, in SetUp: a fresh TestDatabase on
// EnvironmentTestBackend(); nullptr when the test was skipped (the backend
// cannot run here) or failed, and SetUp should return.
inline std::unique_ptr<TestDatabase> CreateEnvironmentTestDatabase() {
  const TestBackend backend = EnvironmentTestBackend();
  const std::string unavailable = TestBackendUnavailable(backend);
  if (!unavailable.empty()) {
    [&] { GTEST_SKIP() << unavailable; }();
    return nullptr;
  }
  auto created = TestDatabase::Create(backend);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? std::move(created).value() : nullptr;
}

// GoogleTest prints a parameter with this (test names and ctest's listing say "sqlite").
inline void PrintTo(TestBackend backend, std::ostream* out) { *out << TestBackendName(backend); }

inline std::string BackendParamName(const ::testing::TestParamInfo<TestBackend>& info) {
  return std::string(TestBackendName(info.param));
}

}  // namespace kura::meta

#define KURA_INSTANTIATE_BACKEND_TEST(fixture)                                                        \
  INSTANTIATE_TEST_SUITE_P(Backends, fixture, ::testing::ValuesIn(::kura::meta::AllTestBackends()), \
                           ::kura::meta::BackendParamName)
