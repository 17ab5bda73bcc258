// What only the SQLite store does: WAL, its error codes, its file.
#include "meta/sqlite/sqlite_database.h"

#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "base/temp_dir.h"

namespace kura::meta {
namespace {

using base::StatusCode;
using base::TempDir;

std::unique_ptr<Database> OpenMemory() {
  auto db = OpenSqliteDatabase(":memory:");
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

TEST(SqliteDatabaseTest, UsesWriteAheadLog) {
  TempDir dir;
  auto db = OpenSqliteDatabase(dir.path() + "/meta.db");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto mode = (*db)->Query("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ((*mode)[0].Text(0), "wal");
}

TEST(SqliteDatabaseTest, KeepsEmbeddedNulInText) {
  auto db = OpenMemory();
  const std::string text("a\0b", 3);
  auto rows = db->Query("SELECT ?", {text});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Text(0), text);
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

}  // namespace
}  // namespace kura::meta
