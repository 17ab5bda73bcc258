#include "meta/migrations.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "meta/testing/backend_test.h"

namespace kura::meta {
namespace {

using base::StatusCode;

constexpr Migration kMigrations[] = {
    {1, "create items", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
                        "CREATE INDEX items_name ON items (name)"},
    {2, "add tags", "CREATE TABLE tags (item_id INTEGER NOT NULL REFERENCES items(id), tag TEXT NOT NULL);\n"
                    "INSERT INTO items (id, name) VALUES (1, 'seed');"},
};

class MigrationsTest : public BackendTest {};
KURA_INSTANTIATE_BACKEND_TEST(MigrationsTest);

int64_t Count(Database& db, const std::string& sql) {
  auto rows = db.Query(sql);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? (*rows)[0].Int(0) : -1;
}

TEST_P(MigrationsTest, FreshDatabaseIsVersionZero) {
  Database* db = db_.get();
  auto version = SchemaVersion(*db, "blocks");
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, 0);
}

TEST_P(MigrationsTest, AppliedOnceAndIdempotent) {
  Database* db = db_.get();
  ASSERT_TRUE(ApplyMigrations(*db, "blocks", kMigrations).ok());
  EXPECT_EQ(*SchemaVersion(*db, "blocks"), 2);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM items"), 1);

  // A second run applies nothing (the seed row would otherwise be a duplicate key).
  base::Status again = ApplyMigrations(*db, "blocks", kMigrations);
  ASSERT_TRUE(again.ok()) << again.ToString();
  EXPECT_EQ(*SchemaVersion(*db, "blocks"), 2);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM items"), 1);

  auto rows = db->Query(
      "SELECT version, description, applied_at FROM schema_migrations WHERE component = ? ORDER BY version",
      {std::string("blocks")});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].Int(0), 1);
  EXPECT_EQ((*rows)[0].Text(1), "create items");
  EXPECT_EQ((*rows)[1].Text(1), "add tags");
  EXPECT_GT((*rows)[1].Int(2), 1600000000);
}

TEST_P(MigrationsTest, ComponentsAreIndependent) {
  Database* db = db_.get();
  ASSERT_TRUE(ApplyMigrations(*db, "blocks", std::span(kMigrations).first(1)).ok());
  const Migration other[] = {{1, "kms keys", "CREATE TABLE kms_keys (id TEXT PRIMARY KEY)"}};
  ASSERT_TRUE(ApplyMigrations(*db, "kms", other).ok());
  EXPECT_EQ(*SchemaVersion(*db, "blocks"), 1);
  EXPECT_EQ(*SchemaVersion(*db, "kms"), 1);
  ASSERT_TRUE(ApplyMigrations(*db, "blocks", kMigrations).ok());
  EXPECT_EQ(*SchemaVersion(*db, "blocks"), 2);
  EXPECT_EQ(*SchemaVersion(*db, "kms"), 1);
}

TEST_P(MigrationsTest, FailedMigrationLeavesPreviousVersion) {
  Database* db = db_.get();
  const Migration broken[] = {
      kMigrations[0],
      {2, "half broken", "CREATE TABLE tags (tag TEXT NOT NULL); INSERT INTO no_such_table VALUES (1)"},
  };
  base::Status status = ApplyMigrations(*db, "blocks", broken);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("migration blocks v2 (half broken)"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("no_such_table"), std::string::npos) << status.ToString();
  EXPECT_EQ(*SchemaVersion(*db, "blocks"), 1);
  // The statement that succeeded inside the failed migration was rolled back too.
  EXPECT_FALSE(db->Query("SELECT COUNT(*) FROM tags").ok());

  ASSERT_TRUE(ApplyMigrations(*db, "blocks", kMigrations).ok());
  EXPECT_EQ(*SchemaVersion(*db, "blocks"), 2);
}

TEST_P(MigrationsTest, NewerDatabaseIsRefused) {
  Database* db = db_.get();
  ASSERT_TRUE(ApplyMigrations(*db, "blocks", kMigrations).ok());
  base::Status status = ApplyMigrations(*db, "blocks", std::span(kMigrations).first(1));
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("database schema of blocks is version 2, this build knows up to 1"),
            std::string::npos)
      << status.ToString();
}

TEST_P(MigrationsTest, VersionsMustBeOneToNInOrder) {
  Database* db = db_.get();
  const Migration gap[] = {{1, "a", "CREATE TABLE a (x INTEGER)"}, {3, "c", "CREATE TABLE c (x INTEGER)"}};
  EXPECT_EQ(ApplyMigrations(*db, "x", gap).code(), StatusCode::kFailedPrecondition);
  const Migration from_zero[] = {{0, "a", "CREATE TABLE a (x INTEGER)"}};
  EXPECT_EQ(ApplyMigrations(*db, "x", from_zero).code(), StatusCode::kFailedPrecondition);
  const Migration swapped[] = {{2, "b", "CREATE TABLE b (x INTEGER)"}, {1, "a", "CREATE TABLE a (x INTEGER)"}};
  EXPECT_EQ(ApplyMigrations(*db, "x", swapped).code(), StatusCode::kFailedPrecondition);
  // Nothing was applied.
  EXPECT_EQ(*SchemaVersion(*db, "x"), 0);
  EXPECT_FALSE(db->Query("SELECT COUNT(*) FROM a").ok());
}

TEST_P(MigrationsTest, SurvivesReopen) {
  ASSERT_TRUE(ApplyMigrations(*db_, "blocks", std::span(kMigrations).first(1)).ok());
  db_ = Reopen();
  ASSERT_NE(db_, nullptr);
  EXPECT_EQ(*SchemaVersion(*db_, "blocks"), 1);
  ASSERT_TRUE(ApplyMigrations(*db_, "blocks", kMigrations).ok());
  EXPECT_EQ(*SchemaVersion(*db_, "blocks"), 2);
}

// Two nodes starting at once on one database: each migration is applied
// exactly once (the seed row of v2 would otherwise be a duplicate key).
TEST_P(MigrationsTest, TwoDatabasesMigratingAtOnce) {
  std::unique_ptr<Database> other = Reopen();
  ASSERT_NE(other, nullptr);
  base::Status first, second;
  std::thread a([&] { first = ApplyMigrations(*db_, "blocks", kMigrations); });
  std::thread b([&] { second = ApplyMigrations(*other, "blocks", kMigrations); });
  a.join();
  b.join();
  EXPECT_TRUE(first.ok()) << first.ToString();
  EXPECT_TRUE(second.ok()) << second.ToString();
  EXPECT_EQ(*SchemaVersion(*db_, "blocks"), 2);
  EXPECT_EQ(Count(*db_, "SELECT COUNT(*) FROM items"), 1);
  EXPECT_EQ(Count(*db_, "SELECT COUNT(*) FROM schema_migrations WHERE component = 'blocks'"), 2);
}

}  // namespace
}  // namespace kura::meta
