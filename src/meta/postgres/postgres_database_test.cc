// What only the PostgreSQL store does: login errors, reconnects, lock waits.
// Runs against $KURA_TEST_POSTGRES_URL; skipped without it.
#include "meta/postgres/postgres_database.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "meta/testing/test_database.h"

namespace kura::meta {
namespace {

using base::StatusCode;

// A loopback port nobody listens on (bound, then released).
int UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 1;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

class PostgresDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string unavailable = TestBackendUnavailable(TestBackend::kPostgres);
    if (!unavailable.empty()) GTEST_SKIP() << unavailable;
    auto created = TestDatabase::Create(TestBackend::kPostgres);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    test_db_ = std::move(created).value();
  }

  std::unique_ptr<Database> Open(const PostgresOptions& options) {
    auto db = OpenPostgresDatabase(test_db_->url(), options);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  // The test server's URL with one more query parameter (libpq: the later setting wins).
  std::string UrlWith(const std::string& parameter) const { return test_db_->url() + "&" + parameter; }

  std::unique_ptr<TestDatabase> test_db_;
};

TEST_F(PostgresDatabaseTest, UnreachableServerSaysSoWithoutThePassword) {
  const std::string url = "postgresql://kura:s3cret@127.0.0.1:" + std::to_string(UnusedPort()) + "/kura";
  auto db = OpenPostgresDatabase(url);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kUnavailable) << db.status().ToString();
  EXPECT_NE(db.status().message().find("cannot reach PostgreSQL"), std::string::npos) << db.status().ToString();
  EXPECT_NE(db.status().message().find("postgresql://kura:***@127.0.0.1"), std::string::npos)
      << db.status().ToString();
  EXPECT_EQ(db.status().message().find("s3cret"), std::string::npos) << db.status().ToString();
}

TEST_F(PostgresDatabaseTest, UnknownUserIsPermissionDenied) {
  auto db = OpenPostgresDatabase(UrlWith("user=kura_no_such_role"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kPermissionDenied) << db.status().ToString();
  EXPECT_NE(db.status().message().find("user name and password"), std::string::npos) << db.status().ToString();
}

TEST_F(PostgresDatabaseTest, MissingDatabaseIsNotFound) {
  auto db = OpenPostgresDatabase(UrlWith("dbname=kura_no_such_database"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kNotFound) << db.status().ToString();
  EXPECT_NE(db.status().message().find("createdb"), std::string::npos) << db.status().ToString();
}

TEST_F(PostgresDatabaseTest, MalformedUrlIsInvalidArgument) {
  auto db = OpenPostgresDatabase(UrlWith("no_such_option=1"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kInvalidArgument) << db.status().ToString();
}

TEST_F(PostgresDatabaseTest, TextWithNulIsOutsideThePortableSubset) {
  auto db = Open({});
  ASSERT_NE(db, nullptr);
  auto rows = db->Query("SELECT ?", {std::string("a\0b", 3)});
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument) << rows.status().ToString();
}

// The server closes the pool's connections (a restart, a failover, an
// administrator): the next calls reconnect instead of failing for ever.
TEST_F(PostgresDatabaseTest, ReconnectsBrokenConnections) {
  PostgresOptions options;
  options.pool_size = 1;
  auto db = Open(options);
  auto admin = Open({});
  ASSERT_TRUE(db && admin);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (i INTEGER)").ok());
  // Waits (up to 5 s) until the backend is gone.
  const auto terminate = [&](const base::Result<Rows>& pid) {
    ASSERT_TRUE(pid.ok()) << pid.status().ToString();
    auto killed = admin->Query("SELECT pg_terminate_backend(CAST(? AS INT4), 5000)", {(*pid)[0].Int(0)});
    ASSERT_TRUE(killed.ok()) << killed.status().ToString();
    ASSERT_EQ((*killed)[0].Int(0), 1);
  };
  constexpr const char* kPid = "SELECT pg_backend_pid()";
  terminate(db->Query(kPid));
  auto rows = db->Query("SELECT COUNT(*) FROM t");
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  terminate(db->Query(kPid));
  EXPECT_TRUE(db->Exec("INSERT INTO t VALUES (1)").ok());
  // Killed inside a transaction: that transaction fails, the next one works.
  auto tx = db->Begin();
  ASSERT_TRUE(tx.ok());
  terminate((*tx)->Query(kPid));
  EXPECT_EQ((*tx)->Exec("INSERT INTO t VALUES (2)").code(), StatusCode::kUnavailable);
  tx->reset();
  EXPECT_TRUE(db->Exec("INSERT INTO t VALUES (3)").ok());
  EXPECT_EQ((*db->Query("SELECT COUNT(*) FROM t"))[0].Int(0), 2);
}

// Unlike SQLite, PostgreSQL aborts a transaction in which a statement failed
// outside a savepoint; the store says so instead of running the rest.
TEST_F(PostgresDatabaseTest, QueryFailingOnTheServerEndsTheTransaction) {
  auto db = Open({});
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (i INTEGER)").ok());
  auto tx = db->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)->Exec("INSERT INTO t VALUES (1)").ok());
  EXPECT_FALSE((*tx)->Query("SELECT * FROM no_such_table").ok());
  EXPECT_EQ((*tx)->Exec("INSERT INTO t VALUES (2)").code(), StatusCode::kAborted);
  EXPECT_EQ((*tx)->Commit().code(), StatusCode::kAborted);
  tx->reset();
  EXPECT_EQ((*db->Query("SELECT COUNT(*) FROM t"))[0].Int(0), 0);
  EXPECT_TRUE(db->Exec("INSERT INTO t VALUES (3)").ok());  // the connection is fine again
}

TEST_F(PostgresDatabaseTest, WaitingForAnotherNodesTransactionTimesOut) {
  PostgresOptions impatient;
  impatient.lock_timeout_ms = 100;
  auto first = Open({});
  auto second = Open(impatient);
  ASSERT_TRUE(first && second);
  auto tx = first->Begin();
  ASSERT_TRUE(tx.ok());
  auto blocked = second->Begin();
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), StatusCode::kUnavailable) << blocked.status().ToString();
  // A lone read needs no lock.
  EXPECT_TRUE(second->Query("SELECT 1").ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_TRUE(second->Begin().ok());
}

}  // namespace
}  // namespace kura::meta
