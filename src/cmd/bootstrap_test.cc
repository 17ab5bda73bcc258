#include "cmd/bootstrap.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/random.h"
#include "meta/sqlite/sqlite_database.h"

namespace kura::cmd {
namespace {

TEST(BootstrapTest, FirstStartWritesUsableCredentialsOnce) {
  char pattern[] = "/tmp/kura-bootstrap-test-XXXXXX";
  std::string dir = mkdtemp(pattern);
  std::shared_ptr<meta::Database> db = std::move(meta::OpenSqliteDatabase(dir + "/metadata.db")).value();
  auto store = std::move(iam::IdentityStore::Open(db, std::move(crypto::RandomSecret(32)).value())).value();

  auto first = BootstrapIfNew(*store, dir, "123456789012");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->account_id, "123456789012");
  struct stat st {};
  ASSERT_EQ(stat(first->credentials_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(first->credentials_path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().rfind("[default]\naws_access_key_id = AKIA", 0), 0u) << text.str();

  // The key in the file authenticates as the account's root.
  auto line_start = text.str().find("aws_access_key_id = ") + 20;
  std::string key_id = text.str().substr(line_start, text.str().find('\n', line_start) - line_start);
  auto found = store->LookupAccessKey(key_id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->principal.arn, "arn:aws:iam::123456789012:root");

  auto again = BootstrapIfNew(*store, dir, "");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->account_id, "123456789012");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kura::cmd
