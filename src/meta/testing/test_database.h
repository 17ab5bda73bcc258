// TestDatabase: a fresh, empty metadata database on one backend, for the
// tests of every layer that keeps tables. SQLite: a file in a temporary
// directory. PostgreSQL: a new schema in the database named by
// $KURA_TEST_POSTGRES_URL (scripts/test starts a throwaway server and sets
// it), dropped with everything in it afterwards; every connection opened
// through url() or Open() works in that schema (its search_path), so tests
// running side by side never see each other's tables.
// Thread-safety: one owner; the Databases it opens are as Database.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/temp_dir.h"
#include "meta/database.h"

namespace kura::meta {

enum class TestBackend { kSqlite, kPostgres };

// "sqlite" or "postgresql" (also a valid GoogleTest parameter name).
std::string_view TestBackendName(TestBackend backend);
std::vector<TestBackend> AllTestBackends();
// Why `backend` cannot run here, for GTEST_SKIP; "" when it can.
std::string TestBackendUnavailable(TestBackend backend);
// The backend of the other layers' store tests: $KURA_TEST_METADATA_BACKEND
// ("postgresql"; unset or anything else: SQLite). ctest runs those suites a
// second time with it set (kura_test_on_postgres in cmake/kura.cmake).
TestBackend EnvironmentTestBackend();

class TestDatabase {
 public:
  static base::Result<std::unique_ptr<TestDatabase>> Create(TestBackend backend);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // A new Database onto this test database; opened again, it is a restart
  // (or a second node) on the same data.
  base::Result<std::unique_ptr<Database>> Open() const;
  // The metadata URL (sqlite:///… or postgresql://…?options=-csearch_path…).
  const std::string& url() const { return url_; }
  TestBackend backend() const { return backend_; }

 private:
  TestDatabase(TestBackend backend, std::string url) : backend_(backend), url_(std::move(url)) {}

  TestBackend backend_;
  std::string url_;
  std::unique_ptr<base::TempDir> dir_;  // SQLite
  std::unique_ptr<Database> admin_;     // PostgreSQL: on the server's URL, to drop the schema
  std::string schema_;
};

}  // namespace kura::meta
