#include "meta/metadata_url.h"

#include <gtest/gtest.h>

namespace kura::meta {
namespace {

using base::StatusCode;

TEST(MetadataUrlTest, Sqlite) {
  auto url = ParseMetadataUrl("sqlite:///var/lib/kura/metadata.db");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->kind, MetadataUrl::Kind::kSqlite);
  EXPECT_EQ(url->sqlite_path, "/var/lib/kura/metadata.db");
  EXPECT_EQ(ParseMetadataUrl("sqlite://relative.db").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseMetadataUrl("sqlite://").status().code(), StatusCode::kInvalidArgument);
}

TEST(MetadataUrlTest, Postgres) {
  for (const char* text : {"postgresql://kura:pw@db:5432/kura?sslmode=require", "postgres://db/kura"}) {
    auto url = ParseMetadataUrl(text);
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    EXPECT_EQ(url->kind, MetadataUrl::Kind::kPostgres);
    EXPECT_EQ(url->postgres_url, text);
  }
}

TEST(MetadataUrlTest, OtherSchemesAreRefusedWithoutShowingThePassword) {
  auto url = ParseMetadataUrl("mysql://root:hunter2@db/kura");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(url.status().message().find("hunter2"), std::string::npos) << url.status().ToString();
  EXPECT_NE(url.status().message().find("sqlite:///PATH"), std::string::npos);
}

TEST(MetadataUrlTest, Redaction) {
  EXPECT_EQ(RedactUrl("postgresql://kura:s3cret@db:5432/kura"), "postgresql://kura:***@db:5432/kura");
  EXPECT_EQ(RedactUrl("postgresql://kura@db/kura"), "postgresql://kura@db/kura");
  EXPECT_EQ(RedactUrl("postgresql://db/kura?user=kura&password=s3cret&sslmode=require"),
            "postgresql://db/kura?user=kura&password=***&sslmode=require");
  EXPECT_EQ(RedactUrl("host=db password=s3cret dbname=kura"), "host=db password=*** dbname=kura");
  EXPECT_EQ(RedactUrl("postgresql://db/kura?options=x@y"), "postgresql://db/kura?options=x@y");
  EXPECT_EQ(RedactUrl("sqlite:///a/b.db"), "sqlite:///a/b.db");
}

TEST(MetadataUrlTest, RedactsPasswordsInMessages) {
  const std::string url = "postgresql://kura:ab%zzcd@db/kura?password=other";
  EXPECT_EQ(RedactPasswordsIn("invalid percent-encoded token: \"%zzcd\"", url),
            "invalid percent-encoded token: \"***\"");
  EXPECT_EQ(RedactPasswordsIn("login ab%zzcd and other failed; \"db\" \"x\"", url),
            "login *** and *** failed; \"db\" \"x\"");
  EXPECT_EQ(RedactPasswordsIn("nothing \"to\" hide", "postgresql://db/kura"), "nothing \"to\" hide");
}

}  // namespace
}  // namespace kura::meta
