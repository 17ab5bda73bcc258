#include "blocks/local/local_chunk_store.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "blocks/test_support.h"
#include "env/fault_injecting_filesystem.h"

namespace kura::blocks {
namespace {

using base::StatusCode;
using test_support::FillRandom;
using test_support::RandomBuffer;
using test_support::TempDir;

// Counts SyncDir calls that reach the disk (to see when directory entries are made durable).
class CountingFilesystem : public env::FaultInjectingFilesystem {
 public:
  using FaultInjectingFilesystem::FaultInjectingFilesystem;
  base::Status SyncDir(const std::string& path) override {
    base::Status status = FaultInjectingFilesystem::SyncDir(path);
    if (status.ok()) ++sync_dirs;
    return status;
  }
  std::atomic<int> sync_dirs{0};
};

class LocalChunkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = OpenStore(env::PosixFilesystem()); }

  std::unique_ptr<LocalChunkStore> OpenStore(std::shared_ptr<env::Filesystem> fs, size_t max_open_files = 1024) {
    auto store = LocalChunkStore::Open(std::move(fs), root(), max_open_files);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::string root() const { return dir_.path() + "/chunks"; }

  std::vector<uint8_t> ReadAll(ChunkStore& store, ObjectId id) {
    std::vector<uint8_t> out(kChunkSize, 0xee);
    base::Status status = store.Read(id, 0, out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out;
  }

  TempDir dir_;
  std::unique_ptr<LocalChunkStore> store_;
};

bool AllZero(const std::vector<uint8_t>& v, size_t from, size_t to) {
  return std::all_of(v.begin() + static_cast<ptrdiff_t>(from), v.begin() + static_cast<ptrdiff_t>(to),
                     [](uint8_t b) { return b == 0; });
}

TEST_F(LocalChunkStoreTest, NamesAndPaths) {
  EXPECT_EQ(store_->NameOf(0x2a), "chunk-000000000000002a");
  EXPECT_EQ(store_->PathOf(0x1234), root() + "/34/chunk-0000000000001234");
  ASSERT_TRUE(store_->Create(0x1234).ok());
  EXPECT_EQ(std::filesystem::file_size(store_->PathOf(0x1234)), kChunkSize);
}

TEST_F(LocalChunkStoreTest, NewObjectReadsAsZeros) {
  ASSERT_TRUE(store_->Create(7).ok());
  auto data = ReadAll(*store_, 7);
  EXPECT_TRUE(AllZero(data, 0, kChunkSize));
}

TEST_F(LocalChunkStoreTest, WriteReadRoundTripAndUnwrittenRangesAreZero) {
  ASSERT_TRUE(store_->Create(1).ok());
  auto a = RandomBuffer(10000, 1);
  auto b = RandomBuffer(4096, 2);
  ASSERT_TRUE(store_->Write(1, 123, a).ok());
  ASSERT_TRUE(store_->Write(1, kChunkSize - b.size(), b).ok());

  std::vector<uint8_t> got(a.size());
  ASSERT_TRUE(store_->Read(1, 123, got).ok());
  EXPECT_EQ(got, a);
  got.resize(b.size());
  ASSERT_TRUE(store_->Read(1, kChunkSize - b.size(), got).ok());
  EXPECT_EQ(got, b);

  auto all = ReadAll(*store_, 1);
  EXPECT_TRUE(AllZero(all, 0, 123));
  EXPECT_TRUE(std::equal(a.begin(), a.end(), all.begin() + 123));
  EXPECT_TRUE(AllZero(all, 123 + a.size(), kChunkSize - b.size()));

  // Overwrite part of the first range.
  auto c = RandomBuffer(500, 3);
  ASSERT_TRUE(store_->Write(1, 1000, c).ok());
  std::copy(c.begin(), c.end(), a.begin() + (1000 - 123));
  got.resize(a.size());
  ASSERT_TRUE(store_->Read(1, 123, got).ok());
  EXPECT_EQ(got, a);

  // A read of a range never written (inside a written object) gives zeros.
  std::vector<uint8_t> hole(8192, 0xff);
  ASSERT_TRUE(store_->Read(1, 200000, hole).ok());
  EXPECT_TRUE(AllZero(hole, 0, hole.size()));

  // Durable across a reopen of the store.
  ASSERT_TRUE(store_->Sync(std::vector<ObjectId>{1}).ok());
  std::copy(c.begin(), c.end(), all.begin() + 1000);
  EXPECT_EQ(ReadAll(*store_, 1), all);
  auto reopened = OpenStore(env::PosixFilesystem());
  EXPECT_EQ(ReadAll(*reopened, 1), all);
}

TEST_F(LocalChunkStoreTest, CreateTwiceIsAlreadyExists) {
  ASSERT_TRUE(store_->Create(9).ok());
  auto data = RandomBuffer(4096, 9);
  ASSERT_TRUE(store_->Write(9, 0, data).ok());
  EXPECT_EQ(store_->Create(9).code(), StatusCode::kAlreadyExists);
  // The existing object is untouched.
  std::vector<uint8_t> got(4096);
  ASSERT_TRUE(store_->Read(9, 0, got).ok());
  EXPECT_EQ(got, data);
}

TEST_F(LocalChunkStoreTest, ZeroMakesRangeReadAsZeros) {
  ASSERT_TRUE(store_->Create(3).ok());
  auto data = RandomBuffer(kChunkSize, 3);
  ASSERT_TRUE(store_->Write(3, 0, data).ok());
  ASSERT_TRUE(store_->Zero(3, 4096, 3 * 4096).ok());  // aligned: a hole
  ASSERT_TRUE(store_->Zero(3, 100001, 777).ok());     // unaligned
  auto all = ReadAll(*store_, 3);
  std::fill(data.begin() + 4096, data.begin() + 4 * 4096, 0);
  std::fill(data.begin() + 100001, data.begin() + 100001 + 777, 0);
  EXPECT_EQ(all, data);
  EXPECT_EQ(std::filesystem::file_size(store_->PathOf(3)), kChunkSize);  // size kept
}

TEST_F(LocalChunkStoreTest, RemoveDeletesAndRemovingMissingIsOk) {
  ASSERT_TRUE(store_->Create(4).ok());
  ASSERT_TRUE(store_->Remove(4).ok());
  EXPECT_FALSE(std::filesystem::exists(store_->PathOf(4)));
  std::vector<uint8_t> buf(16);
  auto read = store_->Read(4, 0, buf);
  EXPECT_EQ(read.code(), StatusCode::kDataLoss) << read.ToString();
  EXPECT_TRUE(store_->Remove(4).ok());    // again
  EXPECT_TRUE(store_->Remove(999).ok());  // never existed
  // The id can be created again afterwards (the store does not remember it).
  EXPECT_TRUE(store_->Create(4).ok());
}

TEST_F(LocalChunkStoreTest, ForEachListsEveryObjectAndIgnoresStrayFiles) {
  std::set<ObjectId> ids = {1, 0x2a, 0xff, 0x100, 0x1ff, 1ull << 40, 0xfedcba9876543210ull};
  for (ObjectId id : ids) ASSERT_TRUE(store_->Create(id).ok());
  // Files that are not chunk objects.
  std::FILE* f = std::fopen((root() + "/2a/notes.txt").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  f = std::fopen((root() + "/2a/chunk-00000000000000zz").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);

  std::multiset<ObjectId> seen;
  ASSERT_TRUE(store_->ForEach([&](ObjectId id) { seen.insert(id); }).ok());
  EXPECT_EQ(seen, std::multiset<ObjectId>(ids.begin(), ids.end()));

  ASSERT_TRUE(store_->Remove(0x100).ok());
  seen.clear();
  ASSERT_TRUE(store_->ForEach([&](ObjectId id) { seen.insert(id); }).ok());
  EXPECT_EQ(seen.size(), ids.size() - 1);
  EXPECT_EQ(seen.count(0x100), 0u);
}

TEST_F(LocalChunkStoreTest, MissingObjectFileIsDataLossNamingTheObject) {
  ASSERT_TRUE(store_->Create(0x51).ok());
  ASSERT_TRUE(store_->Write(0x51, 0, RandomBuffer(4096, 5)).ok());
  ASSERT_TRUE(store_->Sync(std::vector<ObjectId>{0x51}).ok());
  ASSERT_EQ(::unlink(store_->PathOf(0x51).c_str()), 0);

  // A fresh store has no open file for it, so it must look at the disk.
  auto store = OpenStore(env::PosixFilesystem());
  std::vector<uint8_t> buf(4096);
  base::Status read = store->Read(0x51, 0, buf);
  EXPECT_EQ(read.code(), StatusCode::kDataLoss) << read.ToString();
  EXPECT_NE(read.message().find(store->NameOf(0x51)), std::string::npos) << read.ToString();
  base::Status write = store->Write(0x51, 0, buf);
  EXPECT_EQ(write.code(), StatusCode::kDataLoss) << write.ToString();
  EXPECT_EQ(store->Zero(0x51, 0, 4096).code(), StatusCode::kDataLoss);
  // Write must not have recreated the object.
  EXPECT_FALSE(std::filesystem::exists(store->PathOf(0x51)));
}

TEST_F(LocalChunkStoreTest, WrongSizeIsDataLossCorrupt) {
  for (ObjectId id : {ObjectId{0x61}, ObjectId{0x62}}) {
    ASSERT_TRUE(store_->Create(id).ok());
    ASSERT_TRUE(store_->Write(id, 0, RandomBuffer(8192, id)).ok());
    ASSERT_TRUE(store_->Sync(std::vector<ObjectId>{id}).ok());
  }
  ASSERT_EQ(::truncate(store_->PathOf(0x61).c_str(), 1000), 0);            // too short
  ASSERT_EQ(::truncate(store_->PathOf(0x62).c_str(), kChunkSize + 1), 0);  // too long

  auto store = OpenStore(env::PosixFilesystem());
  std::vector<uint8_t> buf(512);
  for (ObjectId id : {ObjectId{0x61}, ObjectId{0x62}}) {
    base::Status read = store->Read(id, 0, buf);  // even a range that lies inside the file
    EXPECT_EQ(read.code(), StatusCode::kDataLoss) << read.ToString();
    EXPECT_NE(read.message().find("corrupt"), std::string::npos) << read.ToString();
    EXPECT_NE(read.message().find(store->NameOf(id)), std::string::npos) << read.ToString();
    EXPECT_EQ(store->Write(id, 0, buf).code(), StatusCode::kDataLoss);
  }
}

TEST_F(LocalChunkStoreTest, OutOfRangeOffsets) {
  ASSERT_TRUE(store_->Create(2).ok());
  std::vector<uint8_t> buf(20);
  EXPECT_EQ(store_->Read(2, kChunkSize - 10, buf).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(store_->Write(2, kChunkSize - 10, buf).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(store_->Read(2, kChunkSize + 1, std::span<uint8_t>()).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(store_->Write(2, ~uint64_t{0}, buf).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(store_->Zero(2, 4096, kChunkSize).code(), StatusCode::kOutOfRange);
  // An overflowing offset + size is caught too.
  EXPECT_EQ(store_->Read(2, ~uint64_t{0} - 5, buf).code(), StatusCode::kOutOfRange);
  // Up to the very end is fine, and the file did not grow.
  EXPECT_TRUE(store_->Write(2, kChunkSize - 20, buf).ok());
  EXPECT_TRUE(store_->Read(2, kChunkSize - 20, buf).ok());
  EXPECT_EQ(std::filesystem::file_size(store_->PathOf(2)), kChunkSize);
  // Object id 0 is reserved for "reads as zeros".
  EXPECT_EQ(store_->Create(kZeroObject).code(), StatusCode::kInvalidArgument);
}

TEST_F(LocalChunkStoreTest, WriteBudgetExhaustedIsResourceExhaustedAndSyncedDataSurvives) {
  auto faults = std::make_shared<env::FaultInjectingFilesystem>(env::PosixFilesystem());
  auto store = OpenStore(faults);
  ASSERT_TRUE(store->Create(0x71).ok());
  auto synced = RandomBuffer(64 * 1024, 71);
  ASSERT_TRUE(store->Write(0x71, 0, synced).ok());
  ASSERT_TRUE(store->Sync(std::vector<ObjectId>{0x71}).ok());

  faults->SetWriteBudget(1000);
  auto more = RandomBuffer(4096, 72);
  base::Status write = store->Write(0x71, 4096, more);  // over data already synced
  EXPECT_EQ(write.code(), StatusCode::kResourceExhausted) << write.ToString();
  base::Status elsewhere = store->Write(0x71, 200000, more);
  EXPECT_EQ(elsewhere.code(), StatusCode::kResourceExhausted) << elsewhere.ToString();

  std::vector<uint8_t> got(synced.size());
  ASSERT_TRUE(store->Read(0x71, 0, got).ok());
  EXPECT_EQ(got, synced);
  // ... and through a fresh store too.
  auto fresh = OpenStore(env::PosixFilesystem());
  ASSERT_TRUE(fresh->Read(0x71, 0, got).ok());
  EXPECT_EQ(got, synced);

  // Once there is room again, writes work.
  faults->SetWriteBudget(-1);
  ASSERT_TRUE(store->Write(0x71, 4096, more).ok());
  std::vector<uint8_t> back(more.size());
  ASSERT_TRUE(store->Read(0x71, 4096, back).ok());
  EXPECT_EQ(back, more);
}

TEST_F(LocalChunkStoreTest, SyncFailureIsReportedAndRetried) {
  auto faults = std::make_shared<CountingFilesystem>(env::PosixFilesystem());
  auto store = OpenStore(faults);
  ASSERT_TRUE(store->Create(0x81).ok());
  ASSERT_TRUE(store->Write(0x81, 0, RandomBuffer(4096, 81)).ok());

  faults->SetFailSync(true);
  base::Status failed = store->Sync(std::vector<ObjectId>{0x81});
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), StatusCode::kDataLoss) << failed.ToString();

  // The failed Sync must not forget that the new object's directory entry is not durable yet.
  faults->SetFailSync(false);
  int before = faults->sync_dirs.load();
  ASSERT_TRUE(store->Sync(std::vector<ObjectId>{0x81}).ok());
  EXPECT_EQ(faults->sync_dirs.load(), before + 1);
  // Once durable, syncing again does not sync the directory again.
  ASSERT_TRUE(store->Sync(std::vector<ObjectId>{0x81}).ok());
  EXPECT_EQ(faults->sync_dirs.load(), before + 1);

  // A Sync of a missing object is an error, not silently OK.
  EXPECT_EQ(store->Sync(std::vector<ObjectId>{0x82}).code(), StatusCode::kDataLoss);
}

TEST_F(LocalChunkStoreTest, EvictionFromOpenFileCacheLosesNothing) {
  auto store = OpenStore(env::PosixFilesystem(), /*max_open_files=*/2);
  constexpr int kObjects = 10;
  std::vector<std::vector<uint8_t>> expected(kObjects, std::vector<uint8_t>(kChunkSize, 0));
  for (int i = 0; i < kObjects; ++i) ASSERT_TRUE(store->Create(100 + i).ok());
  // Two interleaved rounds of writes, so every file is evicted and reopened between them.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kObjects; ++i) {
      std::vector<uint8_t> data(20000);
      FillRandom(data, static_cast<uint64_t>(round * 100 + i));
      uint64_t offset = static_cast<uint64_t>(round) * 300000 + static_cast<uint64_t>(i) * 1000;
      ASSERT_TRUE(store->Write(100 + i, offset, data).ok());
      std::copy(data.begin(), data.end(), expected[i].begin() + static_cast<ptrdiff_t>(offset));
    }
  }
  std::vector<ObjectId> ids;
  for (int i = 0; i < kObjects; ++i) ids.push_back(100 + i);
  ASSERT_TRUE(store->Sync(ids).ok());
  for (int i = kObjects - 1; i >= 0; --i) EXPECT_EQ(ReadAll(*store, 100 + i), expected[i]) << "object " << i;

  auto fresh = OpenStore(env::PosixFilesystem());
  for (int i = 0; i < kObjects; ++i) EXPECT_EQ(ReadAll(*fresh, 100 + i), expected[i]) << "object " << i;
  uint64_t count = 0;
  ASSERT_TRUE(store->ForEach([&](ObjectId) { ++count; }).ok());
  EXPECT_EQ(count, static_cast<uint64_t>(kObjects));
}

}  // namespace
}  // namespace kura::blocks
