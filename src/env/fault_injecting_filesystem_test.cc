#include "env/fault_injecting_filesystem.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/bytes.h"

namespace kura::env {
namespace {

using base::StatusCode;

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

class FaultInjectingFilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kura_fault_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::shared_ptr<Filesystem> base_ = PosixFilesystem();
  FaultInjectingFilesystem faults_{base_};
  // Default arguments are declared on Filesystem, so calls go through it.
  Filesystem& fs_ = faults_;
  std::string dir_;
};

TEST_F(FaultInjectingFilesystemTest, NoFaultsByDefault) {
  auto file = fs_.Open(Path("f"), OpenMode::kReadWriteCreate);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->WriteAt(0, std::vector<uint8_t>(100000, 1)).ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE(fs_.SyncDir(dir_).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(Path("g"), base::AsBytes("g")).ok());
  EXPECT_EQ(*fs_.ReadFile(Path("g")), Bytes("g"));
  EXPECT_EQ(*fs_.ListDir(dir_), (std::vector<std::string>{"f", "g"}));
  EXPECT_TRUE(*fs_.Exists(Path("f")));
  ASSERT_TRUE(fs_.CreateDirs(Path("d/e")).ok());
  ASSERT_TRUE(fs_.Remove(Path("g")).ok());
  EXPECT_EQ(fs_.Remove(Path("g")).code(), StatusCode::kNotFound);
}

TEST_F(FaultInjectingFilesystemTest, WriteBudgetFailsWholeWriteAndLeavesFileUntouched) {
  auto file = fs_.Open(Path("f"), OpenMode::kReadWriteCreate);
  ASSERT_TRUE(file.ok());
  faults_.SetWriteBudget(10);
  ASSERT_TRUE((*file)->WriteAt(0, base::AsBytes("abcdef")).ok());  // 4 bytes left

  base::Status full = (*file)->WriteAt(6, base::AsBytes("ghijk"));
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.message().find("No space left on device"), std::string::npos) << full.ToString();
  EXPECT_NE(full.message().find(Path("f")), std::string::npos) << full.ToString();

  // Nothing of the failed write reached the base filesystem.
  EXPECT_EQ(*base_->ReadFile(Path("f")), Bytes("abcdef"));
  EXPECT_EQ(*(*file)->Size(), 6u);

  // What is left of the budget can still be used; then it is spent.
  ASSERT_TRUE((*file)->WriteAt(6, base::AsBytes("ghij")).ok());
  EXPECT_EQ((*file)->WriteAt(10, base::AsBytes("k")).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE((*file)->WriteAt(10, {}).ok());
  EXPECT_EQ(*base_->ReadFile(Path("f")), Bytes("abcdefghij"));

  faults_.SetWriteBudget(-1);
  ASSERT_TRUE((*file)->WriteAt(10, base::AsBytes("k")).ok());
  EXPECT_EQ(*base_->ReadFile(Path("f")), Bytes("abcdefghijk"));
}

TEST_F(FaultInjectingFilesystemTest, WriteFileAtomicOverBudgetKeepsOldContents) {
  ASSERT_TRUE(fs_.WriteFileAtomic(Path("state"), base::AsBytes("old")).ok());
  faults_.SetWriteBudget(5);
  base::Status status = fs_.WriteFileAtomic(Path("state"), base::AsBytes("new contents"));
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(status.message().find("No space left on device"), std::string::npos);
  EXPECT_EQ(*base_->ReadFile(Path("state")), Bytes("old"));
  EXPECT_EQ(*base_->ListDir(dir_), std::vector<std::string>{"state"});
}

TEST_F(FaultInjectingFilesystemTest, FailSync) {
  auto file = fs_.Open(Path("f"), OpenMode::kReadWriteCreate);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->WriteAt(0, base::AsBytes("data")).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(Path("state"), base::AsBytes("old")).ok());

  faults_.SetFailSync(true);
  EXPECT_TRUE(faults_.fail_sync());
  base::Status sync = (*file)->Sync();
  EXPECT_EQ(sync.code(), StatusCode::kDataLoss);
  EXPECT_NE(sync.message().find(Path("f")), std::string::npos) << sync.ToString();
  EXPECT_EQ(fs_.SyncDir(dir_).code(), StatusCode::kDataLoss);
  EXPECT_EQ(fs_.WriteFileAtomic(Path("state"), base::AsBytes("new")).code(), StatusCode::kDataLoss);
  EXPECT_EQ(*base_->ReadFile(Path("state")), Bytes("old"));
  // Data written before the failing sync is still there.
  EXPECT_EQ(*base_->ReadFile(Path("f")), Bytes("data"));

  faults_.SetFailSync(false);
  EXPECT_TRUE((*file)->Sync().ok());
  EXPECT_TRUE(fs_.SyncDir(dir_).ok());
}

TEST_F(FaultInjectingFilesystemTest, FailCreate) {
  ASSERT_TRUE(base_->WriteFileAtomic(Path("existing"), base::AsBytes("e")).ok());
  faults_.SetFailCreate(true);
  for (OpenMode mode : {OpenMode::kReadWriteCreate, OpenMode::kCreateExclusive}) {
    auto file = fs_.Open(Path("new"), mode);
    ASSERT_FALSE(file.ok());
    EXPECT_EQ(file.status().code(), StatusCode::kResourceExhausted);
    EXPECT_NE(file.status().message().find(Path("new")), std::string::npos);
  }
  EXPECT_FALSE(*base_->Exists(Path("new")));
  EXPECT_TRUE(fs_.Open(Path("existing"), OpenMode::kReadWrite).ok());
  EXPECT_TRUE(fs_.Open(Path("existing"), OpenMode::kReadOnly).ok());

  faults_.SetFailCreate(false);
  EXPECT_TRUE(fs_.Open(Path("new"), OpenMode::kCreateExclusive).ok());
}

TEST_F(FaultInjectingFilesystemTest, BudgetIsExactUnderConcurrency) {
  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 200;
  faults_.SetWriteBudget(1000);
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        if (faults_.ChargeWrite(1).ok()) succeeded.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(succeeded.load(), 1000);
}

}  // namespace
}  // namespace kura::env
