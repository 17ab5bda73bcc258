#include "meta/database.h"
#include "base/temp_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "meta/sqlite/sqlite_database.h"

namespace kura::meta {
namespace {

using base::TempDir;

using base::StatusCode;

std::unique_ptr<Database> OpenMemory() {
  auto db = OpenSqliteDatabase(":memory:");
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}


TEST(SqliteDatabaseTest, Dialect) { EXPECT_EQ(OpenMemory()->Dialect(), "sqlite"); }

TEST(SqliteDatabaseTest, RoundTripsEveryValueType) {
  auto db = OpenMemory();
  ASSERT_TRUE(db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, s TEXT, b BLOB)").ok());
  const Blob blob = {0x00, 0xff, 0x10, 0x00, 0x7f};
  const std::string text("h\xc3\xa9llo\0world", 12);  // UTF-8 with an embedded NUL
  ASSERT_TRUE(db->Exec("INSERT INTO t (id, i, s, b) VALUES (?, ?, ?, ?)",
                       {int64_t{1}, int64_t{INT64_MIN}, text, blob})
                  .ok());
  ASSERT_TRUE(db->Exec("INSERT INTO t (id, i, s, b) VALUES (?, ?, ?, ?)",
                       {int64_t{2}, int64_t{INT64_MAX}, std::string(), Blob()})
                  .ok());

  auto rows = db->Query("SELECT i, s, b FROM t ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  const Row& r1 = (*rows)[0];
  ASSERT_EQ(r1.size(), 3u);
  EXPECT_EQ(r1.Int(0), INT64_MIN);
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
}

TEST(SqliteDatabaseTest, NullHandling) {
  auto db = OpenMemory();
  ASSERT_TRUE(db->Exec("CREATE TABLE t (i INTEGER, s TEXT, b BLOB)").ok());
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (?, ?, ?)", {Null{}, Null{}, Null{}}).ok());
  auto rows = db->Query("SELECT i, s, b FROM t WHERE i IS NULL");
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

TEST(SqliteDatabaseTest, ParameterCountMismatchIsInvalidArgument) {
  auto db = OpenMemory();
  ASSERT_TRUE(db->Exec("CREATE TABLE t (i INTEGER)").ok());
  EXPECT_EQ(db->Exec("INSERT INTO t VALUES (?)").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db->Exec("INSERT INTO t VALUES (?)", {int64_t{1}, int64_t{2}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db->Exec("INSERT INTO t VALUES (1); INSERT INTO t VALUES (?)", {int64_t{2}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(db->Query("SELECT * FROM t")->empty());
  // REAL is outside the portable subset.
  EXPECT_EQ(db->Query("SELECT 1.5").status().code(), StatusCode::kInvalidArgument);
}

TEST(SqliteDatabaseTest, SeveralStatementsWithoutParams) {
  auto db = OpenMemory();
  ASSERT_TRUE(db->Exec("CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER);\n"
                       "INSERT INTO a VALUES (1); INSERT INTO b VALUES (2);")
                  .ok());
  auto rows = db->Query("SELECT x, y FROM a, b");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Int(0), 1);
  EXPECT_EQ((*rows)[0].Int(1), 2);
}

TEST(SqliteDatabaseTest, ChangedRows) {
  auto db = OpenMemory();
  ASSERT_TRUE(db->Exec("CREATE TABLE t (i INTEGER)").ok());
  auto tx = db->Begin();
  ASSERT_TRUE(tx.ok());
  for (int64_t i = 0; i < 5; ++i) ASSERT_TRUE((*tx)->Exec("INSERT INTO t VALUES (?)", {i}).ok());
  EXPECT_EQ((*tx)->ChangedRows(), 1);
  ASSERT_TRUE((*tx)->Exec("UPDATE t SET i = i + 10 WHERE i >= ?", {int64_t{2}}).ok());
  EXPECT_EQ((*tx)->ChangedRows(), 3);
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ((*tx)->Commit().code(), StatusCode::kFailedPrecondition);
}

TEST(SqliteDatabaseTest, RollbackOnDestruction) {
  auto db = OpenMemory();
  ASSERT_TRUE(db->Exec("CREATE TABLE t (i INTEGER)").ok());
  {
    auto tx = db->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Exec("INSERT INTO t VALUES (1)").ok());
    auto inside = (*tx)->Query("SELECT COUNT(*) FROM t");
    ASSERT_TRUE(inside.ok());
    EXPECT_EQ((*inside)[0].Int(0), 1);
  }
  auto rows = db->Query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Int(0), 0);
}

TEST(SqliteDatabaseTest, CommitIsDurableAcrossReopen) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.path() + "/meta.db";
  {
    auto db = OpenSqliteDatabase(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB NOT NULL)").ok());
    auto tx = (*db)->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Exec("INSERT INTO kv VALUES (?, ?)", {std::string("a"), Blob{1, 2, 3}}).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
    auto uncommitted = (*db)->Begin();
    ASSERT_TRUE(uncommitted.ok());
    ASSERT_TRUE((*uncommitted)->Exec("INSERT INTO kv VALUES (?, ?)", {std::string("b"), Blob{4}}).ok());
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  auto db = OpenSqliteDatabase(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto rows = (*db)->Query("SELECT k, v FROM kv ORDER BY k");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Text(0), "a");
  EXPECT_EQ((*rows)[0].BlobAt(1), (Blob{1, 2, 3}));
  auto mode = (*db)->Query("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ((*mode)[0].Text(0), "wal");
}

TEST(SqliteDatabaseTest, OpenFailureNamesPath) {
  auto db = OpenSqliteDatabase("/nonexistent-kura-dir/meta.db");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("/nonexistent-kura-dir/meta.db"), std::string::npos)
      << db.status().ToString();
}

TEST(SqliteDatabaseTest, NotADatabaseIsDataLoss) {
  TempDir dir;
  const std::string path = dir.path() + "/garbage.db";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::string junk(8192, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto db = OpenSqliteDatabase(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kDataLoss) << db.status().ToString();
}

TEST(SqliteDatabaseTest, ConstraintViolations) {
  auto db = OpenMemory();
  ASSERT_TRUE(db->Exec("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)").ok());
  ASSERT_TRUE(db->Exec("CREATE TABLE child (id INTEGER PRIMARY KEY, "
                       "parent_id INTEGER NOT NULL REFERENCES parent(id), "
                       "n INTEGER NOT NULL CHECK (n >= 0))")
                  .ok());
  ASSERT_TRUE(db->Exec("INSERT INTO parent VALUES (1, 'a')").ok());

  base::Status dup_key = db->Exec("INSERT INTO parent VALUES (?, ?)", {int64_t{1}, std::string("b")});
  EXPECT_EQ(dup_key.code(), StatusCode::kAlreadyExists) << dup_key.ToString();
  EXPECT_NE(dup_key.message().find("INSERT INTO parent VALUES"), std::string::npos) << dup_key.ToString();
  base::Status dup_unique = db->Exec("INSERT INTO parent VALUES (?, ?)", {int64_t{2}, std::string("a")});
  EXPECT_EQ(dup_unique.code(), StatusCode::kAlreadyExists) << dup_unique.ToString();
  EXPECT_NE(dup_unique.message().find("UNIQUE"), std::string::npos) << dup_unique.ToString();

  base::Status fk = db->Exec("INSERT INTO child VALUES (1, 99, 0)");
  EXPECT_EQ(fk.code(), StatusCode::kFailedPrecondition) << fk.ToString();
  base::Status check = db->Exec("INSERT INTO child VALUES (1, 1, -1)");
  EXPECT_EQ(check.code(), StatusCode::kFailedPrecondition) << check.ToString();

  // A failed statement does not end the transaction it ran in.
  auto tx = db->Begin();
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ((*tx)->Exec("INSERT INTO parent VALUES (1, 'c')").code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE((*tx)->Exec("INSERT INTO parent VALUES (2, 'c')").ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ((*db->Query("SELECT COUNT(*) FROM parent"))[0].Int(0), 2);
}

TEST(SqliteDatabaseTest, ErrorMessageTruncatesLongSql) {
  auto db = OpenMemory();
  std::string sql = "SELECT * FROM missing_table WHERE " + std::string(200, 'x') + " = 1";
  auto rows = db->Query(sql);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kInternal);
  EXPECT_NE(rows.status().message().find("no such table: missing_table"), std::string::npos);
  EXPECT_NE(rows.status().message().find(sql.substr(0, 80) + "..."), std::string::npos);
  EXPECT_EQ(rows.status().message().find(sql.substr(0, 81)), std::string::npos);
}

TEST(SqliteDatabaseTest, FullDatabaseIsResourceExhausted) {
  auto db = OpenMemory();
  ASSERT_TRUE(db->Exec("CREATE TABLE t (b BLOB)").ok());
  ASSERT_TRUE(db->Exec("PRAGMA max_page_count = 16").ok());
  base::Status status;
  for (int i = 0; i < 100 && status.ok(); ++i) {
    status = db->Exec("INSERT INTO t VALUES (?)", {Blob(4096, 1)});
  }
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted) << status.ToString();
}

TEST(SqliteDatabaseTest, LockedByAnotherConnectionIsUnavailable) {
  TempDir dir;
  const std::string path = dir.path() + "/meta.db";
  auto first = OpenSqliteDatabase(path);
  auto second = OpenSqliteDatabase(path);
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE((*second)->Exec("PRAGMA busy_timeout = 0").ok());
  auto tx = (*first)->Begin();
  ASSERT_TRUE(tx.ok());
  auto blocked = (*second)->Begin();
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), StatusCode::kUnavailable) << blocked.status().ToString();
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_TRUE((*second)->Begin().ok());
}

TEST(SqliteDatabaseTest, StatementsNeverRunOutsideTheTransaction) {
  auto db = OpenMemory();
  ASSERT_TRUE(db->Exec("CREATE TABLE t (i INTEGER)").ok());
  auto tx = db->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)->Exec("COMMIT").ok());
  EXPECT_EQ((*tx)->Exec("INSERT INTO t VALUES (1)").code(), StatusCode::kAborted);
  EXPECT_EQ((*tx)->Commit().code(), StatusCode::kAborted);
  tx->reset();
  EXPECT_EQ((*db->Query("SELECT COUNT(*) FROM t"))[0].Int(0), 0);
}

TEST(SqliteDatabaseTest, ConcurrentTransactionsAreSerialized) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 200;
  auto db = OpenMemory();
  ASSERT_TRUE(db->Exec("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)").ok());
  ASSERT_TRUE(db->Exec("INSERT INTO counter VALUES (1, 0)").ok());

  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
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
        // Read-modify-write: only correct because transactions are serialized.
        int64_t n = (*rows)[0].Int(0);
        if (!(*tx)->Exec("UPDATE counter SET n = ? WHERE id = ?", {n + 1, int64_t{1}}).ok() ||
            !(*tx)->Commit().ok()) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = db->Query("SELECT n FROM counter");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Int(0), kThreads * kIncrements);
}

}  // namespace
}  // namespace kura::meta
