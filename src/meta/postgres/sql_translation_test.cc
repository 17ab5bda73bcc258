#include "meta/postgres/sql_translation.h"

#include <gtest/gtest.h>

namespace kura::meta {
namespace {

TEST(SqlTranslationTest, NumbersPlaceholders) {
  PostgresSql out = TranslateToPostgres("SELECT a FROM t WHERE b = ? AND c > ? LIMIT ?");
  EXPECT_EQ(out.text, "SELECT a FROM t WHERE b = $1 AND c > $2 LIMIT $3");
  EXPECT_EQ(out.placeholders, 3);
  EXPECT_FALSE(out.several_statements);
}

TEST(SqlTranslationTest, LeavesLiteralsIdentifiersAndCommentsAlone) {
  PostgresSql out = TranslateToPostgres(
      "SELECT '?', 'it''s ? INTEGER', \"odd ? \"\"name\"\" BLOB\" -- a ? comment INTEGER\n"
      "FROM t /* ? BLOB */ WHERE x = ?");
  EXPECT_EQ(out.text,
            "SELECT '?', 'it''s ? INTEGER', \"odd ? \"\"name\"\" BLOB\" -- a ? comment INTEGER\n"
            "FROM t /* ? BLOB */ WHERE x = $1");
  EXPECT_EQ(out.placeholders, 1);
}

TEST(SqlTranslationTest, MapsPortableColumnTypes) {
  PostgresSql out = TranslateToPostgres(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, n integer NOT NULL, b BLOB, s TEXT, integers INTEGER, t.blob BLOB)");
  EXPECT_EQ(out.text,
            "CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT NOT NULL, b BYTEA, s TEXT, integers BIGINT, t.blob BYTEA)");
  EXPECT_EQ(TranslateToPostgres("SELECT CAST(? AS INTEGER)").text, "SELECT CAST($1 AS BIGINT)");
}

TEST(SqlTranslationTest, SeesSeveralStatements) {
  EXPECT_TRUE(TranslateToPostgres("CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1)").several_statements);
  EXPECT_FALSE(TranslateToPostgres("INSERT INTO a VALUES (1);  \n-- done\n").several_statements);
  EXPECT_FALSE(TranslateToPostgres("SELECT ';' FROM a").several_statements);
}

TEST(SqlTranslationTest, UnterminatedLiteralIsCopied) {
  PostgresSql out = TranslateToPostgres("SELECT 'open ?");
  EXPECT_EQ(out.text, "SELECT 'open ?");
  EXPECT_EQ(out.placeholders, 0);
}

}  // namespace
}  // namespace kura::meta
