#include "meta/testing/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>

#include "meta/metadata_url.h"
#include "meta/postgres/postgres_database.h"

namespace kura::meta {
namespace {

constexpr const char* kPostgresUrlVariable = "KURA_TEST_POSTGRES_URL";

std::string PostgresServerUrl() {
  const char* url = std::getenv(kPostgresUrlVariable);
  return url != nullptr ? url : "";
}

// Unique across the test processes that ctest runs side by side.
std::string NewSchemaName() {
  static std::atomic<int> counter{0};
  std::random_device random;
  return "kura_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1)) + "_" +
         std::to_string(random() % 1000000);
}

}  // namespace

std::string_view TestBackendName(TestBackend backend) {
  return backend == TestBackend::kSqlite ? "sqlite" : "postgresql";
}

std::vector<TestBackend> AllTestBackends() { return {TestBackend::kSqlite, TestBackend::kPostgres}; }

std::string TestBackendUnavailable(TestBackend backend) {
  if (backend == TestBackend::kPostgres && PostgresServerUrl().empty()) {
    return std::string(kPostgresUrlVariable) + " is not set (scripts/test starts a throwaway PostgreSQL and sets it)";
  }
  return "";
}

TestBackend EnvironmentTestBackend() {
  const char* backend = std::getenv("KURA_TEST_METADATA_BACKEND");
  return backend != nullptr && std::string_view(backend) == TestBackendName(TestBackend::kPostgres)
             ? TestBackend::kPostgres
             : TestBackend::kSqlite;
}

base::Result<std::unique_ptr<TestDatabase>> TestDatabase::Create(TestBackend backend) {
  if (backend == TestBackend::kSqlite) {
    auto dir = std::make_unique<base::TempDir>();
    std::unique_ptr<TestDatabase> db(new TestDatabase(backend, "sqlite://" + dir->path() + "/metadata.db"));
    db->dir_ = std::move(dir);
    return db;
  }
  const std::string server = PostgresServerUrl();
  if (server.empty()) return base::FailedPreconditionError(TestBackendUnavailable(backend));
  PostgresOptions admin_options;
  admin_options.pool_size = 1;
  KURA_ASSIGN_OR_RETURN(auto admin, OpenPostgresDatabase(server, admin_options));
  const std::string schema = NewSchemaName();
  KURA_RETURN_IF_ERROR(admin->Exec("CREATE SCHEMA " + schema));
  const char separator = server.find('?') == std::string::npos ? '?' : '&';
  std::unique_ptr<TestDatabase> db(
      new TestDatabase(backend, server + separator + "options=-csearch_path%3D" + schema));
  db->admin_ = std::move(admin);
  db->schema_ = schema;
  return db;
}

TestDatabase::~TestDatabase() {
  if (admin_) (void)admin_->Exec("DROP SCHEMA " + schema_ + " CASCADE");
}

base::Result<std::unique_ptr<Database>> TestDatabase::Open() const { return OpenMetadataDatabase(url_); }

}  // namespace kura::meta
