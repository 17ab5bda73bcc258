// The portable contract of Database, on every backend (meta/testing/backend_test.h):
// SQLite always, PostgreSQL when $KURA_TEST_POSTGRES_URL names a server.
#include "meta/database.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "meta/testing/backend_test.h"

namespace kura::meta {
namespace {

using base::StatusCode;

class DatabaseTest : public BackendTest {};
KURA_INSTANTIATE_BACKEND_TEST(DatabaseTest);

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

TEST_P(DatabaseTest, Dialect) { EXPECT_EQ(db_->Dialect(), TestBackendName(GetParam())); }

TEST_P(DatabaseTest, RoundTripsEveryValueType) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, s TEXT, b BLOB)").ok());
  const Blob blob = {0x00, 0xff, 0x10, 0x00, 0x7f};
  const std::string text = "h\xc3\xa9llo 'world' ? $1";  // UTF-8; quotes and placeholders are data
  ASSERT_TRUE(db_->Exec("INSERT INTO t (id, i, s, b) VALUES (?, ?, ?, ?)",
                        {int64_t{1}, int64_t{INT64_MIN}, text, blob})
                  .ok());
  ASSERT_TRUE(db_->Exec("INSERT INTO t (id, i, s, b) VALUES (?, ?, ?, ?)",
                        {int64_t{2}, int64_t{INT64_MAX}, std::string(), Blob()})
                  .ok());

  auto rows = db_->Query("SELECT i, s, b FROM t ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  const Row& r1 = (*rows)[0];
  ASSERT_EQ(r1.size(), 3u);
  EXPECT_EQ(r1.Int(0), INT64_MIN);  // INTEGER columns are 64-bit on every backend
  EXPECT_EQ(r1.Text(1), text);
  EXPECT_EQ(r1.BlobAt(2), blob);
  EXPECT_EQ(r1.at(2), Value(blob));

  // Empty text and blob stay empty values, not NULL.
  const Row& r2 = (*rows)[1];
  EXPECT_EQ(r2.Int(0), INT64_MAX);
  EXPECT_FALSE(r2.IsNull(1));
  EXPECT_FALSE(r2.IsNull(2));
  EXPECT_EQ(r2.at(1), Value(std::string()));
  EXPECT_EQ(r2.at(2), Value(Blob()));

  // Literals in the SQL text are not placeholders.
  auto literal = db_->Query("SELECT COUNT(*) FROM t WHERE s <> '?' AND i = ?", {int64_t{INT64_MAX}});
  ASSERT_TRUE(literal.ok()) << literal.status().ToString();
  EXPECT_EQ((*literal)[0].Int(0), 1);
}

TEST_P(DatabaseTest, NullHandling) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE t (i INTEGER, s TEXT, b BLOB)").ok());
  ASSERT_TRUE(db_->Exec("INSERT INTO t VALUES (?, ?, ?)", {Null{}, Null{}, Null{}}).ok());
  auto rows = db_->Query("SELECT i, s, b FROM t WHERE i IS NULL");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  const Row& row = (*rows)[0];
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(row.IsNull(i));
    EXPECT_EQ(row.at(i), Value(Null{}));
  }
  EXPECT_EQ(row.Int(0), 0);
  EXPECT_EQ(row.Text(1), "");
  EXPECT_TRUE(row.BlobAt(2).empty());
}

TEST_P(DatabaseTest, ParameterCountMismatchIsInvalidArgument) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE t (i INTEGER)").ok());
  EXPECT_EQ(db_->Exec("INSERT INTO t VALUES (?)").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->Exec("INSERT INTO t VALUES (?)", {int64_t{1}, int64_t{2}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->Exec("INSERT INTO t VALUES (1); INSERT INTO t VALUES (?)", {int64_t{2}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(db_->Query("SELECT * FROM t")->empty());
  // REAL is outside the portable subset.
  EXPECT_EQ(db_->Query("SELECT 1.5").status().code(), StatusCode::kInvalidArgument);
}

TEST_P(DatabaseTest, SeveralStatementsWithoutParams) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER);\n"
                        "INSERT INTO a VALUES (1); INSERT INTO b VALUES (2);")
                  .ok());
  auto rows = db_->Query("SELECT x, y FROM a, b");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Int(0), 1);
  EXPECT_EQ((*rows)[0].Int(1), 2);
  EXPECT_EQ(db_->Query("SELECT x FROM a; SELECT y FROM b").status().code(), StatusCode::kInvalidArgument);
}

TEST_P(DatabaseTest, ChangedRows) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE t (i INTEGER)").ok());
  auto tx = db_->Begin();
  ASSERT_TRUE(tx.ok());
  for (int64_t i = 0; i < 5; ++i) ASSERT_TRUE((*tx)->Exec("INSERT INTO t VALUES (?)", {i}).ok());
  EXPECT_EQ((*tx)->ChangedRows(), 1);
  ASSERT_TRUE((*tx)->Exec("UPDATE t SET i = i + 10 WHERE i >= ?", {int64_t{2}}).ok());
  EXPECT_EQ((*tx)->ChangedRows(), 3);
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ((*tx)->Commit().code(), StatusCode::kFailedPrecondition);
}

TEST_P(DatabaseTest, RollbackOnDestruction) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE t (i INTEGER)").ok());
  {
    auto tx = db_->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Exec("INSERT INTO t VALUES (1)").ok());
    auto inside = (*tx)->Query("SELECT COUNT(*) FROM t");
    ASSERT_TRUE(inside.ok());
    EXPECT_EQ((*inside)[0].Int(0), 1);
  }
  auto rows = db_->Query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Int(0), 0);
}

TEST_P(DatabaseTest, CommitIsDurableAcrossReopen) {
  {
    ASSERT_TRUE(db_->Exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB NOT NULL)").ok());
    auto tx = db_->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Exec("INSERT INTO kv VALUES (?, ?)", {std::string("a"), Blob{1, 2, 3}}).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
    auto uncommitted = db_->Begin();
    ASSERT_TRUE(uncommitted.ok());
    ASSERT_TRUE((*uncommitted)->Exec("INSERT INTO kv VALUES (?, ?)", {std::string("b"), Blob{4}}).ok());
  }
  db_.reset();
  auto db = Reopen();
  ASSERT_NE(db, nullptr);
  auto rows = db->Query("SELECT k, v FROM kv ORDER BY k");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Text(0), "a");
  EXPECT_EQ((*rows)[0].BlobAt(1), (Blob{1, 2, 3}));
}

TEST_P(DatabaseTest, ConstraintViolations) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)").ok());
  ASSERT_TRUE(db_->Exec("CREATE TABLE child (id INTEGER PRIMARY KEY, "
                        "parent_id INTEGER NOT NULL REFERENCES parent(id), "
                        "n INTEGER NOT NULL CHECK (n >= 0))")
                  .ok());
  ASSERT_TRUE(db_->Exec("INSERT INTO parent VALUES (1, 'a')").ok());

  base::Status dup_key = db_->Exec("INSERT INTO parent VALUES (?, ?)", {int64_t{1}, std::string("b")});
  EXPECT_EQ(dup_key.code(), StatusCode::kAlreadyExists) << dup_key.ToString();
  EXPECT_NE(dup_key.message().find("INSERT INTO parent VALUES"), std::string::npos) << dup_key.ToString();
  base::Status dup_unique = db_->Exec("INSERT INTO parent VALUES (?, ?)", {int64_t{2}, std::string("a")});
  EXPECT_EQ(dup_unique.code(), StatusCode::kAlreadyExists) << dup_unique.ToString();
  EXPECT_NE(Lower(dup_unique.message()).find("unique"), std::string::npos) << dup_unique.ToString();

  base::Status fk = db_->Exec("INSERT INTO child VALUES (1, 99, 0)");
  EXPECT_EQ(fk.code(), StatusCode::kFailedPrecondition) << fk.ToString();
  base::Status check = db_->Exec("INSERT INTO child VALUES (1, 1, -1)");
  EXPECT_EQ(check.code(), StatusCode::kFailedPrecondition) << check.ToString();

  // A failed statement does not end the transaction it ran in.
  auto tx = db_->Begin();
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ((*tx)->Exec("INSERT INTO parent VALUES (1, 'c')").code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE((*tx)->Exec("INSERT INTO parent VALUES (2, 'c')").ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ((*db_->Query("SELECT COUNT(*) FROM parent"))[0].Int(0), 2);
}

TEST_P(DatabaseTest, MalformedQueryLeavesTheTransactionUsable) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE t (i INTEGER)").ok());
  auto tx = db_->Begin();
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ((*tx)->Query("SELECT i FROM t WHERE i = ?").status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*tx)->Exec("INSERT INTO t VALUES (1)").ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ((*db_->Query("SELECT COUNT(*) FROM t"))[0].Int(0), 1);
}

TEST_P(DatabaseTest, ErrorMessageTruncatesLongSql) {
  std::string sql = "SELECT * FROM missing_table WHERE " + std::string(200, 'x') + " = 1";
  auto rows = db_->Query(sql);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kInternal);
  EXPECT_NE(rows.status().message().find("missing_table"), std::string::npos) << rows.status().ToString();
  EXPECT_NE(rows.status().message().find(sql.substr(0, 80) + "..."), std::string::npos);
  EXPECT_EQ(rows.status().message().find(sql.substr(0, 81)), std::string::npos);
}

TEST_P(DatabaseTest, StatementsNeverRunOutsideTheTransaction) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE t (i INTEGER)").ok());
  auto tx = db_->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)->Exec("COMMIT").ok());
  EXPECT_EQ((*tx)->Exec("INSERT INTO t VALUES (1)").code(), StatusCode::kAborted);
  EXPECT_EQ((*tx)->Commit().code(), StatusCode::kAborted);
  tx->reset();
  EXPECT_EQ((*db_->Query("SELECT COUNT(*) FROM t"))[0].Int(0), 0);
}

// Read-modify-write increments from several threads of two Database objects
// (two nodes on one database): only correct if transactions are serialized
// across both, and no increment may be lost.
TEST_P(DatabaseTest, ConcurrentTransactionsFromTwoDatabasesNeverLoseAnUpdate) {
  constexpr int kThreadsPerDatabase = 2;
  constexpr int kIncrements = 100;
  ASSERT_TRUE(db_->Exec("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)").ok());
  ASSERT_TRUE(db_->Exec("INSERT INTO counter VALUES (1, 0)").ok());
  std::unique_ptr<Database> other = Reopen();
  ASSERT_NE(other, nullptr);

  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (Database* db : {db_.get(), other.get()}) {
    for (int t = 0; t < kThreadsPerDatabase; ++t) {
      threads.emplace_back([&failures, db] {
        for (int i = 0; i < kIncrements; ++i) {
          auto tx = db->Begin();
          if (!tx.ok()) {
            failures.fetch_add(1);
            continue;
          }
          auto rows = (*tx)->Query("SELECT n FROM counter WHERE id = ?", {int64_t{1}});
          if (!rows.ok() || rows->size() != 1) {
            failures.fetch_add(1);
            continue;
          }
          int64_t n = (*rows)[0].Int(0);
          if (!(*tx)->Exec("UPDATE counter SET n = ? WHERE id = ?", {n + 1, int64_t{1}}).ok() ||
              !(*tx)->Commit().ok()) {
            failures.fetch_add(1);
          }
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = db_->Query("SELECT n FROM counter");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Int(0), 2 * kThreadsPerDatabase * kIncrements);
}

}  // namespace
}  // namespace kura::meta
