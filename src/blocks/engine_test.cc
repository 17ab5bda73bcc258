#include "blocks/engine.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "blocks/engine_fixture.h"

namespace kura::blocks {
namespace {

using base::StatusCode;
constexpr uint64_t kOneGiB = kGiB;

class EngineTest : public EngineFixture {};

TEST_F(EngineTest, VolumeSizesFollowEbsLimits) {
  EXPECT_EQ(engine_->CreateVolume(kGiB - 1, nullptr).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->CreateVolume(0, nullptr).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->CreateVolume(kGiB + 4096, nullptr).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->CreateVolume(kMaxVolumeSize + kGiB, nullptr).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(engine_->CreateVolume(kMinVolumeSize, nullptr).ok());
  EXPECT_TRUE(engine_->CreateVolume(kMaxVolumeSize, nullptr).ok());
}

TEST_F(EngineTest, KeysAreChecked) {
  auto key = NewKey();
  crypto::SecretBytes short_key(32);
  EXPECT_EQ(engine_->CreateVolume(kOneGiB, &short_key).status().code(), StatusCode::kInvalidArgument);
  VolumeId id = *engine_->CreateVolume(kOneGiB, &key);
  auto other = NewKey();
  EXPECT_EQ(engine_->OpenVolume(id, &other).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(engine_->OpenVolume(id, nullptr).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->OpenVolume(id, &short_key).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(engine_->OpenVolume(id, &key).ok());
  VolumeId plain = *engine_->CreateVolume(kOneGiB, nullptr);
  EXPECT_EQ(engine_->OpenVolume(plain, &key).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->OpenVolume(9999, nullptr).status().code(), StatusCode::kNotFound);
}

TEST_F(EngineTest, UnwrittenVolumeReadsZerosAndTakesNoSpace) {
  auto key = NewKey();
  VolumeId id = *engine_->CreateVolume(kMaxVolumeSize, &key);
  auto volume = *engine_->OpenVolume(id, &key);
  auto data = ReadAll(*volume, kMaxVolumeSize - 3 * kChunkSize - 100, 2 * kChunkSize + 100);
  EXPECT_TRUE(std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0; }));
  EXPECT_EQ(Objects(), 0u);
}

TEST_F(EngineTest, OutOfRangeIsRefused) {
  VolumeId id = *engine_->CreateVolume(kOneGiB, nullptr);
  auto volume = *engine_->OpenVolume(id, nullptr);
  std::vector<uint8_t> buffer(4096);
  EXPECT_EQ(volume->Read(kOneGiB - 100, buffer).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(volume->Write(kOneGiB, buffer).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(volume->Write(UINT64_MAX - 10, buffer).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(volume->WriteZeroes(kOneGiB - 1, 2).code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(volume->Write(kOneGiB - buffer.size(), buffer).ok());
}

// Random byte-granular operations against an in-memory model, for both kinds of volume.
class EngineModelTest : public EngineFixture, public ::testing::WithParamInterface<bool> {};

TEST_P(EngineModelTest, RandomOperationsMatchModel) {
  bool encrypted = GetParam();
  auto key = NewKey();
  KeyPtr key_ptr = encrypted ? &key : nullptr;
  VolumeId id = *engine_->CreateVolume(kOneGiB, key_ptr);
  constexpr uint64_t kSpan = 6 * kChunkSize;  // operations stay here so they overlap
  const uint64_t base = 7 * kChunkSize - 12345;
  std::vector<uint8_t> model(kSpan, 0);
  std::mt19937_64 rng(42);
  {
    auto volume = *engine_->OpenVolume(id, key_ptr);
    for (int op = 0; op < 300; ++op) {
      uint64_t offset = rng() % kSpan;
      uint64_t length = 1 + rng() % std::min<uint64_t>(kSpan - offset, 700 * 1024);
      int kind = static_cast<int>(rng() % 10);
      if (kind < 6) {
        auto data = RandomBytes(length, op);
        ASSERT_TRUE(volume->Write(base + offset, data).ok());
        std::memcpy(model.data() + offset, data.data(), length);
      } else if (kind < 8) {
        ASSERT_TRUE(volume->WriteZeroes(base + offset, length).ok());
        std::memset(model.data() + offset, 0, length);
      } else {
        auto got = ReadAll(*volume, base + offset, length);
        ASSERT_EQ(0, std::memcmp(got.data(), model.data() + offset, length)) << "op " << op;
      }
      if (op % 50 == 0) {
        ASSERT_TRUE(volume->Flush().ok());
      }
    }
    ASSERT_TRUE(volume->Flush().ok());
    EXPECT_EQ(ReadAll(*volume, base, kSpan), model);
  }
  Reopen();
  auto volume = *engine_->OpenVolume(id, key_ptr);
  EXPECT_EQ(ReadAll(*volume, base, kSpan), model);
}

INSTANTIATE_TEST_SUITE_P(EncryptedAndPlain, EngineModelTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Encrypted" : "Plain"; });

TEST_F(EngineTest, StoredChunksAreCiphertextOnlyWhenEncrypted) {
  auto key = NewKey();
  VolumeId enc = *engine_->CreateVolume(kOneGiB, &key);
  VolumeId plain = *engine_->CreateVolume(kOneGiB, nullptr);
  std::vector<uint8_t> pattern(kChunkSize);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>("kura-marker!"[i % 12]);
  for (VolumeId id : {enc, plain}) {
    auto volume = *engine_->OpenVolume(id, id == enc ? &key : nullptr);
    ASSERT_TRUE(volume->Write(0, pattern).ok());
    ASSERT_TRUE(volume->Flush().ok());
  }
  auto rows = *engine_->DescribeVolume(enc);
  EXPECT_TRUE(rows.encrypted);
  // Exactly two objects; the plain one holds the pattern, the encrypted one does not.
  int with_pattern = 0, objects = 0;
  for (auto& entry : std::filesystem::recursive_directory_iterator(dir_ + "/chunks")) {
    if (!entry.is_regular_file()) continue;
    ++objects;
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    if (bytes == pattern) ++with_pattern;
  }
  EXPECT_EQ(objects, 2);
  EXPECT_EQ(with_pattern, 1);
}

TEST_F(EngineTest, ConcurrentIoOnOneAndSeveralVolumes) {
  auto key = NewKey();
  VolumeId a = *engine_->CreateVolume(kOneGiB, &key);
  VolumeId b = *engine_->CreateVolume(kOneGiB, nullptr);
  auto va = *engine_->OpenVolume(a, &key);
  auto vb = *engine_->OpenVolume(b, nullptr);
  constexpr int kThreads = 4;
  constexpr uint64_t kPerThread = 3 * kChunkSize + 777;  // regions share chunks at their edges
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (auto* volume : {va.get(), vb.get()}) {
        auto data = RandomBytes(kPerThread, t);
        for (uint64_t off = 0; off < kPerThread; off += 10000) {
          uint64_t n = std::min<uint64_t>(10000, kPerThread - off);
          ASSERT_TRUE(volume->Write(t * kPerThread + off, {data.data() + off, n}).ok());
        }
        ASSERT_TRUE(volume->Flush().ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  va.reset();
  vb.reset();
  Reopen();
  va = *engine_->OpenVolume(a, &key);
  vb = *engine_->OpenVolume(b, nullptr);
  for (int t = 0; t < kThreads; ++t) {
    auto expected = RandomBytes(kPerThread, t);
    EXPECT_EQ(ReadAll(*va, t * kPerThread, kPerThread), expected);
    EXPECT_EQ(ReadAll(*vb, t * kPerThread, kPerThread), expected);
  }
}

TEST_F(EngineTest, WriteZeroesReleasesWholeChunks) {
  VolumeId id = *engine_->CreateVolume(kOneGiB, nullptr);
  auto volume = *engine_->OpenVolume(id, nullptr);
  auto data = RandomBytes(4 * kChunkSize, 1);
  ASSERT_TRUE(volume->Write(0, data).ok());
  ASSERT_TRUE(volume->Flush().ok());
  EXPECT_EQ(Objects(), 4u);
  ASSERT_TRUE(volume->Trim(kChunkSize, 2 * kChunkSize).ok());
  ASSERT_TRUE(volume->Flush().ok());
  EXPECT_EQ(Objects(), 2u);
  std::memset(data.data() + kChunkSize, 0, 2 * kChunkSize);
  EXPECT_EQ(ReadAll(*volume, 0, data.size()), data);
  volume.reset();
  Reopen();
  volume = *engine_->OpenVolume(id, nullptr);
  EXPECT_EQ(ReadAll(*volume, 0, data.size()), data);
}

// What NBD_CMD_BLOCK_STATUS reports: chunk-granular holes and data, the
// same before a flush, after it, after a restart and through a snapshot.
TEST_F(EngineTest, AllocationReportsWrittenChunksAsDataAndTheRestAsHoles) {
  using Extents = std::vector<std::pair<uint64_t, bool>>;  // (length, hole)
  auto extents_of = [](Volume& volume, uint64_t offset, uint64_t length) {
    auto extents = volume.Allocation(offset, length);
    EXPECT_TRUE(extents.ok()) << extents.status().ToString();
    Extents out;
    if (extents.ok()) for (const auto& e : *extents) out.emplace_back(e.length, e.hole);
    return out;
  };
  auto key = NewKey();
  VolumeId id = *engine_->CreateVolume(kOneGiB, &key);
  auto volume = *engine_->OpenVolume(id, &key);
  EXPECT_EQ(extents_of(*volume, 0, kOneGiB), (Extents{{kOneGiB, true}}));

  ASSERT_TRUE(volume->Write(kChunkSize + 10, RandomBytes(100, 1)).ok());  // chunk 1, unflushed
  ASSERT_TRUE(volume->Write(3 * kChunkSize, RandomBytes(2 * kChunkSize, 2)).ok());  // chunks 3 and 4
  const Extents written{{kChunkSize, true}, {kChunkSize, false}, {kChunkSize, true},
                        {2 * kChunkSize, false}, {kOneGiB - 5 * kChunkSize, true}};
  EXPECT_EQ(extents_of(*volume, 0, kOneGiB), written);
  // Unaligned ranges are cut to what was asked.
  EXPECT_EQ(extents_of(*volume, kChunkSize + 5, kChunkSize), (Extents{{kChunkSize - 5, false}, {5, true}}));

  ASSERT_TRUE(volume->WriteZeroes(4 * kChunkSize, kChunkSize).ok());  // chunk 4 dropped
  const Extents zeroed{{kChunkSize, true}, {kChunkSize, false}, {kChunkSize, true},
                       {kChunkSize, false}, {kOneGiB - 4 * kChunkSize, true}};
  EXPECT_EQ(extents_of(*volume, 0, kOneGiB), zeroed);
  ASSERT_TRUE(volume->Flush().ok());
  volume.reset();
  Reopen();
  volume = *engine_->OpenVolume(id, &key);
  EXPECT_EQ(extents_of(*volume, 0, kOneGiB), zeroed);

  SnapshotId snap = *engine_->CreateSnapshot(id);
  VolumeId restored = *engine_->CreateVolumeFromSnapshot(snap, 0, &key);
  auto from_snapshot = *engine_->OpenVolume(restored, &key);
  EXPECT_EQ(extents_of(*from_snapshot, 0, kOneGiB), zeroed);
  EXPECT_FALSE(volume->Allocation(kOneGiB - 1, 2).ok());
}

TEST_F(EngineTest, UnflushedAllocationsAreSweptAtOpen) {
  VolumeId id = *engine_->CreateVolume(kOneGiB, nullptr);
  {
    auto volume = *engine_->OpenVolume(id, nullptr);
    ASSERT_TRUE(volume->Write(0, RandomBytes(kChunkSize, 1)).ok());
    ASSERT_TRUE(volume->Flush().ok());
    ASSERT_TRUE(volume->Write(5 * kChunkSize, RandomBytes(100, 2)).ok());
    EXPECT_EQ(Objects(), 2u);
    // Simulate a crash: the chunk entry of the second write is never committed.
    volume->ForgetUnflushedForTest();
  }
  Reopen();
  EXPECT_EQ(Objects(), 1u);
  auto volume = *engine_->OpenVolume(id, nullptr);
  EXPECT_EQ(ReadAll(*volume, 0, kChunkSize), RandomBytes(kChunkSize, 1));
  EXPECT_EQ(ReadAll(*volume, 5 * kChunkSize, 100), std::vector<uint8_t>(100, 0));
}

TEST_F(EngineTest, FullDiskIsAClearErrorAndLosesNothingFlushed) {
  auto key = NewKey();
  VolumeId id = *engine_->CreateVolume(kOneGiB, &key);
  auto volume = *engine_->OpenVolume(id, &key);
  auto first = RandomBytes(2 * kChunkSize, 7);
  ASSERT_TRUE(volume->Write(0, first).ok());
  ASSERT_TRUE(volume->Flush().ok());
  fs_->SetWriteBudget(100 * 1024);
  base::Status status;
  for (uint64_t off = 2 * kChunkSize; status.ok() && off < 20 * kChunkSize; off += kChunkSize) {
    status = volume->Write(off, RandomBytes(kChunkSize, 9));
  }
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted) << status.ToString();
  EXPECT_NE(status.message().find("No space"), std::string::npos) << status.ToString();
  EXPECT_EQ(ReadAll(*volume, 0, first.size()), first);
  fs_->SetWriteBudget(-1);
  ASSERT_TRUE(volume->Flush().ok());
  volume.reset();
  Reopen();
  volume = *engine_->OpenVolume(id, &key);
  EXPECT_EQ(ReadAll(*volume, 0, first.size()), first);
}

TEST_F(EngineTest, FailedSyncKeepsFlushPending) {
  VolumeId id = *engine_->CreateVolume(kOneGiB, nullptr);
  auto volume = *engine_->OpenVolume(id, nullptr);
  auto data = RandomBytes(3 * kChunkSize, 3);
  ASSERT_TRUE(volume->Write(100, data).ok());
  fs_->SetFailSync(true);
  EXPECT_FALSE(volume->Flush().ok());
  fs_->SetFailSync(false);
  ASSERT_TRUE(volume->Flush().ok());
  volume.reset();
  Reopen();
  volume = *engine_->OpenVolume(id, nullptr);
  EXPECT_EQ(ReadAll(*volume, 100, data.size()), data);
}

TEST_F(EngineTest, MissingOrCorruptChunkIsDataLoss) {
  VolumeId id = *engine_->CreateVolume(kOneGiB, nullptr);
  {
    auto volume = *engine_->OpenVolume(id, nullptr);
    ASSERT_TRUE(volume->Write(0, RandomBytes(2 * kChunkSize, 1)).ok());
    ASSERT_TRUE(volume->Flush().ok());
  }
  Reopen();
  std::vector<std::filesystem::path> files;
  for (auto& entry : std::filesystem::recursive_directory_iterator(dir_ + "/chunks")) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  ASSERT_EQ(files.size(), 2u);
  std::filesystem::remove(files[0]);
  std::filesystem::resize_file(files[1], 1000);
  auto volume = *engine_->OpenVolume(id, nullptr);
  std::vector<uint8_t> buffer(2 * kChunkSize);
  auto status = volume->Read(0, buffer);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status.ToString();
  EXPECT_NE(status.message().find("chunk-"), std::string::npos) << status.ToString();
}

TEST_F(EngineTest, ResizeGrowsOnly) {
  VolumeId id = *engine_->CreateVolume(kOneGiB, nullptr);
  auto volume = *engine_->OpenVolume(id, nullptr);
  EXPECT_EQ(engine_->ResizeVolume(id, kGiB / 2).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(engine_->ResizeVolume(id, 3 * kGiB).ok());
  EXPECT_EQ(volume->size(), 3 * kGiB);
  EXPECT_TRUE(volume->Write(2 * kGiB + 5, RandomBytes(10, 1)).ok());
  EXPECT_EQ(engine_->ResizeVolume(id, 2 * kGiB).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->DescribeVolume(id)->size_bytes, 3 * kGiB);
}

TEST_F(EngineTest, DeleteVolumeFreesItsChunks) {
  VolumeId id = *engine_->CreateVolume(kOneGiB, nullptr);
  {
    auto volume = *engine_->OpenVolume(id, nullptr);
    ASSERT_TRUE(volume->Write(0, RandomBytes(3 * kChunkSize, 1)).ok());
    ASSERT_TRUE(volume->Flush().ok());
    EXPECT_EQ(engine_->DeleteVolume(id).code(), StatusCode::kFailedPrecondition);
  }
  ASSERT_TRUE(engine_->DeleteVolume(id).ok());
  EXPECT_EQ(Objects(), 0u);
  EXPECT_EQ(engine_->OpenVolume(id, nullptr).status().code(), StatusCode::kNotFound);
}

TEST_F(EngineTest, DeleteEverythingRemovesAllVolumesSnapshotsCopiesAndObjects) {
  auto key = NewKey();
  VolumeId plain = *engine_->CreateVolume(kOneGiB, nullptr);
  VolumeId secret = *engine_->CreateVolume(kOneGiB, &key);
  SnapshotId snapshot = 0;
  {
    auto volume = *engine_->OpenVolume(plain, nullptr);
    ASSERT_TRUE(volume->Write(0, RandomBytes(2 * kChunkSize, 1)).ok());
    ASSERT_TRUE(volume->Flush().ok());
    snapshot = *engine_->CreateSnapshot(plain);
    ASSERT_TRUE(volume->Write(kChunkSize, RandomBytes(kChunkSize, 2)).ok());  // a second version of chunk 1
    ASSERT_TRUE(volume->Flush().ok());
    auto encrypted = *engine_->OpenVolume(secret, &key);
    ASSERT_TRUE(encrypted->Write(0, RandomBytes(kChunkSize, 3)).ok());
    ASSERT_TRUE(encrypted->Flush().ok());
  }
  VolumeId child = *engine_->CreateVolumeFromSnapshot(snapshot, 0, nullptr);
  auto job = engine_->StartCopy(snapshot, &key, /*to_volume=*/false);  // left unfinished
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  const uint64_t objects = Objects();
  EXPECT_EQ(objects, 4u);

  {
    auto open = *engine_->OpenVolume(child, nullptr);
    EXPECT_EQ(engine_->DeleteEverything().code(), StatusCode::kFailedPrecondition);
    // Refused: nothing changed.
    EXPECT_EQ(Objects(), objects);
    EXPECT_TRUE(engine_->DescribeVolume(plain).ok());
    EXPECT_TRUE(engine_->DescribeSnapshot(snapshot).ok());
    EXPECT_EQ(engine_->UnfinishedCopies()->size(), 1u);
  }

  ASSERT_TRUE(engine_->DeleteEverything().ok());
  EXPECT_EQ(Objects(), 0u);
  for (VolumeId id : {plain, secret, child}) {
    EXPECT_EQ(engine_->DescribeVolume(id).status().code(), StatusCode::kNotFound) << id;
  }
  EXPECT_EQ(engine_->DescribeSnapshot(snapshot).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(engine_->UnfinishedCopies()->empty());
  ASSERT_TRUE(engine_->DeleteEverything().ok());  // again, on nothing

  // The engine goes on, across a restart too.
  Reopen();
  EXPECT_EQ(Objects(), 0u);
  VolumeId fresh = *engine_->CreateVolume(kOneGiB, nullptr);
  auto volume = *engine_->OpenVolume(fresh, nullptr);
  auto data = RandomBytes(kChunkSize, 4);
  ASSERT_TRUE(volume->Write(0, data).ok());
  ASSERT_TRUE(volume->Flush().ok());
  EXPECT_EQ(ReadAll(*volume, 0, data.size()), data);
  EXPECT_EQ(Objects(), 1u);
}

}  // namespace
}  // namespace kura::blocks
