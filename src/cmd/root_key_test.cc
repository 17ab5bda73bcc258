#include "cmd/root_key.h"

#include "base/temp_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace kura::cmd {
namespace {

using base::TempDir;


TEST(RootKeyTest, CreatedOnceWithMode0600AndReadBack) {
  TempDir dir;
  auto fs = env::PosixFilesystem();
  std::string path = dir.path() + "/root.key";
  auto first = LoadOrCreateRootKeyFile(*fs, path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = LoadOrCreateRootKeyFile(*fs, path);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(first->Equals(*second));
}

TEST(RootKeyTest, RefusesAWorldReadableFile) {
  TempDir dir;
  auto fs = env::PosixFilesystem();
  std::string path = dir.path() + "/root.key";
  ASSERT_TRUE(LoadOrCreateRootKeyFile(*fs, path).ok());
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  auto loaded = LoadOrCreateRootKeyFile(*fs, path);
  EXPECT_EQ(loaded.status().code(), base::StatusCode::kFailedPrecondition);
  EXPECT_NE(loaded.status().message().find("chmod 600"), std::string::npos);
}

TEST(RootKeyTest, PassphraseKeyIsStableAndPurposeKeysDiffer) {
  TempDir dir;
  auto fs = env::PosixFilesystem();
  auto a = RootKeyFromPassphrase(*fs, "secret words", dir.path() + "/salt");
  auto b = RootKeyFromPassphrase(*fs, "secret words", dir.path() + "/salt");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->Equals(*b));
  auto iam = DerivePurposeKey(*a, "kura iam secrets v1");
  auto kms = DerivePurposeKey(*a, "kura kms key material v1");
  ASSERT_TRUE(iam.ok() && kms.ok());
  EXPECT_FALSE(iam->Equals(*kms));
  EXPECT_FALSE(iam->Equals(*a));
}

}  // namespace
}  // namespace kura::cmd
