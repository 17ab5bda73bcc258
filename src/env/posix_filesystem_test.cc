#include <stdlib.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "env/filesystem.h"

namespace kura::env {
namespace {

using base::StatusCode;

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

class PosixFilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kura_env_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::shared_ptr<Filesystem> fs_ = PosixFilesystem();
  std::string dir_;
};

TEST_F(PosixFilesystemTest, SharedInstance) { EXPECT_EQ(PosixFilesystem().get(), PosixFilesystem().get()); }

TEST_F(PosixFilesystemTest, WriteReadSizeTruncate) {
  auto file = fs_->Open(Path("f"), OpenMode::kReadWriteCreate);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE((*file)->WriteAt(0, base::AsBytes("hello world")).ok());
  ASSERT_TRUE((*file)->WriteAt(6, base::AsBytes("WORLD")).ok());
  EXPECT_EQ(*(*file)->Size(), 11u);

  std::vector<uint8_t> buf(11);
  auto n = (*file)->ReadAt(0, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 11u);
  EXPECT_EQ(buf, Bytes("hello WORLD"));

  // A read past the end is short, not an error.
  std::vector<uint8_t> tail(10);
  n = (*file)->ReadAt(6, tail);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 5u);
  n = (*file)->ReadAt(100, tail);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);

  ASSERT_TRUE((*file)->Truncate(5).ok());
  EXPECT_EQ(*(*file)->Size(), 5u);
  ASSERT_TRUE((*file)->Truncate(4096).ok());
  EXPECT_EQ(*(*file)->Size(), 4096u);
  ASSERT_TRUE((*file)->Sync().ok());

  auto contents = fs_->ReadFile(Path("f"));
  ASSERT_TRUE(contents.ok());
  ASSERT_EQ(contents->size(), 4096u);
  EXPECT_EQ(std::vector<uint8_t>(contents->begin(), contents->begin() + 5), Bytes("hello"));
  EXPECT_EQ((*contents)[5], 0);
}

TEST_F(PosixFilesystemTest, PunchHoleReadsZerosAndKeepsSize) {
  auto file = fs_->Open(Path("f"), OpenMode::kCreateExclusive);
  ASSERT_TRUE(file.ok());
  std::vector<uint8_t> data(3 * 65536 + 100, 0xab);
  ASSERT_TRUE((*file)->WriteAt(0, data).ok());
  ASSERT_TRUE((*file)->PunchHole(4096, 2 * 65536).ok());
  EXPECT_EQ(*(*file)->Size(), data.size());

  std::vector<uint8_t> back(data.size());
  ASSERT_EQ(*(*file)->ReadAt(0, back), data.size());
  for (size_t i = 0; i < back.size(); ++i) {
    uint8_t want = (i >= 4096 && i < 4096 + 2 * 65536) ? 0 : 0xab;
    ASSERT_EQ(back[i], want) << "offset " << i;
  }

  // Past the end: nothing to release, and the size does not grow.
  ASSERT_TRUE((*file)->PunchHole(data.size() + 10, 4096).ok());
  EXPECT_EQ(*(*file)->Size(), data.size());
}

TEST_F(PosixFilesystemTest, OpenModes) {
  auto missing = fs_->Open(Path("nope"), OpenMode::kReadWrite);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("open " + Path("nope")), std::string::npos)
      << missing.status().ToString();

  ASSERT_TRUE(fs_->Open(Path("f"), OpenMode::kCreateExclusive).ok());
  auto again = fs_->Open(Path("f"), OpenMode::kCreateExclusive);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(fs_->Open(Path("f"), OpenMode::kReadWrite).ok());
  EXPECT_TRUE(fs_->Open(Path("f"), OpenMode::kReadWriteCreate).ok());

  auto ro = fs_->Open(Path("f"), OpenMode::kReadOnly);
  ASSERT_TRUE(ro.ok());
  base::Status write = (*ro)->WriteAt(0, base::AsBytes("x"));
  ASSERT_FALSE(write.ok());
  EXPECT_NE(write.message().find("pwrite " + Path("f")), std::string::npos) << write.ToString();
}

TEST_F(PosixFilesystemTest, CreateDirsListDirRemove) {
  ASSERT_TRUE(fs_->CreateDirs(Path("a/b/c")).ok());
  ASSERT_TRUE(fs_->CreateDirs(Path("a/b/c")).ok());  // idempotent
  ASSERT_TRUE(fs_->CreateDirs(Path("a//d/")).ok());
  EXPECT_TRUE(*fs_->Exists(Path("a/b/c")));
  EXPECT_TRUE(*fs_->Exists(Path("a/d")));
  ASSERT_TRUE(fs_->WriteFileAtomic(Path("a/z"), base::AsBytes("z")).ok());
  ASSERT_TRUE(fs_->WriteFileAtomic(Path("a/file"), base::AsBytes("f")).ok());

  auto names = fs_->ListDir(Path("a"));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"b", "d", "file", "z"}));

  base::Status through_file = fs_->CreateDirs(Path("a/file/x"));
  EXPECT_FALSE(through_file.ok());
  EXPECT_NE(through_file.message().find(Path("a/file")), std::string::npos) << through_file.ToString();

  auto missing = fs_->ListDir(Path("missing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(Path("missing")), std::string::npos);

  ASSERT_TRUE(fs_->Remove(Path("a/z")).ok());
  ASSERT_TRUE(fs_->Remove(Path("a/d")).ok());  // an empty directory
  EXPECT_FALSE(*fs_->Exists(Path("a/z")));
  EXPECT_FALSE(*fs_->Exists(Path("a/d")));
  EXPECT_FALSE(*fs_->Exists(Path("a/file/x")));
  EXPECT_TRUE(fs_->SyncDir(Path("a")).ok());
}

TEST_F(PosixFilesystemTest, RemoveMissingIsNotFoundNamingPath) {
  base::Status status = fs_->Remove(Path("ghost"));
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find(Path("ghost")), std::string::npos) << status.ToString();

  auto read = fs_->ReadFile(Path("ghost"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find(Path("ghost")), std::string::npos);

  base::Status sync = fs_->SyncDir(Path("ghost"));
  EXPECT_EQ(sync.code(), StatusCode::kNotFound);
  EXPECT_NE(sync.message().find(Path("ghost")), std::string::npos);
}

TEST_F(PosixFilesystemTest, WriteFileAtomicReplacesAndLeavesNoTempFiles) {
  ASSERT_TRUE(fs_->WriteFileAtomic(Path("state"), base::AsBytes("one")).ok());
  ASSERT_TRUE(fs_->WriteFileAtomic(Path("state"), base::AsBytes("two!")).ok());
  EXPECT_EQ(*fs_->ReadFile(Path("state")), Bytes("two!"));
  EXPECT_EQ(*fs_->ListDir(dir_), std::vector<std::string>{"state"});

  struct stat st;
  ASSERT_EQ(::stat(Path("state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  ASSERT_TRUE(fs_->WriteFileAtomic(Path("empty"), {}).ok());
  EXPECT_TRUE(fs_->ReadFile(Path("empty"))->empty());

  base::Status bad = fs_->WriteFileAtomic(Path("no/such/dir/x"), base::AsBytes("x"));
  EXPECT_EQ(bad.code(), StatusCode::kNotFound);
  EXPECT_NE(bad.message().find(Path("no/such/dir/x")), std::string::npos) << bad.ToString();
}

TEST_F(PosixFilesystemTest, WriteFileAtomicSetsExactPermissionsDespiteUmask) {
  mode_t old = ::umask(0077);
  base::Status status = fs_->WriteFileAtomic(Path("shared"), base::AsBytes("x"), 0644);
  ::umask(old);
  ASSERT_TRUE(status.ok()) << status.ToString();
  struct stat st;
  ASSERT_EQ(::stat(Path("shared").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(PosixFilesystemTest, ReadFileLargerThanOneChunk) {
  std::vector<uint8_t> data(300000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  ASSERT_TRUE(fs_->WriteFileAtomic(Path("big"), data).ok());
  auto back = fs_->ReadFile(Path("big"));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, data);
}

}  // namespace
}  // namespace kura::env
