#include <gtest/gtest.h>

#include <cstring>

#include "blocks/engine_fixture.h"

namespace kura::blocks {
namespace {

using base::StatusCode;

class SnapshotTest : public EngineFixture {};

TEST_F(SnapshotTest, SnapshotIsPointInTimeAndCopyOnWrite) {
  auto key = NewKey();
  VolumeId id = *engine_->CreateVolume(kGiB, &key);
  auto volume = *engine_->OpenVolume(id, &key);
  auto before = RandomBytes(3 * kChunkSize, 1);
  ASSERT_TRUE(volume->Write(1000, before).ok());  // unflushed: the snapshot flushes it
  SnapshotId snap = *engine_->CreateSnapshot(id);
  uint64_t objects_at_snapshot = Objects();
  auto after = RandomBytes(100, 2);
  ASSERT_TRUE(volume->Write(kChunkSize + 10, after).ok());
  ASSERT_TRUE(volume->Flush().ok());
  EXPECT_EQ(Objects(), objects_at_snapshot + 1);  // one chunk copied on write, the others shared

  auto expected_now = before;
  std::memcpy(expected_now.data() + kChunkSize + 10 - 1000, after.data(), after.size());
  EXPECT_EQ(ReadAll(*volume, 1000, before.size()), expected_now);

  VolumeId restored = *engine_->CreateVolumeFromSnapshot(snap, 0, &key);
  auto from_snapshot = *engine_->OpenVolume(restored, &key);
  EXPECT_EQ(ReadAll(*from_snapshot, 1000, before.size()), before);
  EXPECT_EQ(Objects(), objects_at_snapshot + 1);  // instant: nothing copied
}

TEST_F(SnapshotTest, VolumeFromSnapshotWritesDoNotTouchTheSnapshot) {
  VolumeId id = *engine_->CreateVolume(kGiB, nullptr);
  auto data = RandomBytes(2 * kChunkSize, 5);
  {
    auto volume = *engine_->OpenVolume(id, nullptr);
    ASSERT_TRUE(volume->Write(0, data).ok());
  }
  SnapshotId snap = *engine_->CreateSnapshot(id);
  VolumeId child = *engine_->CreateVolumeFromSnapshot(snap, 2 * kGiB, nullptr);
  EXPECT_EQ(engine_->DescribeVolume(child)->size_bytes, 2 * kGiB);
  {
    auto volume = *engine_->OpenVolume(child, nullptr);
    ASSERT_TRUE(volume->Write(10, RandomBytes(50, 6)).ok());
    ASSERT_TRUE(volume->WriteZeroes(kChunkSize, kChunkSize).ok());
    ASSERT_TRUE(volume->Write(kGiB + 1, RandomBytes(50, 7)).ok());
    ASSERT_TRUE(volume->Flush().ok());
  }
  VolumeId other = *engine_->CreateVolumeFromSnapshot(snap, 0, nullptr);
  auto volume = *engine_->OpenVolume(other, nullptr);
  EXPECT_EQ(ReadAll(*volume, 0, data.size()), data);
  auto original = *engine_->OpenVolume(id, nullptr);
  EXPECT_EQ(ReadAll(*original, 0, data.size()), data);
  EXPECT_EQ(engine_->CreateVolumeFromSnapshot(snap, kGiB / 2, nullptr).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SnapshotTest, SnapshotsAreIncrementalAndDeletionFreesExactlyTheUnshared) {
  VolumeId id = *engine_->CreateVolume(kGiB, nullptr);
  auto volume = *engine_->OpenVolume(id, nullptr);
  ASSERT_TRUE(volume->Write(0, RandomBytes(4 * kChunkSize, 1)).ok());  // chunks 0-3
  SnapshotId s1 = *engine_->CreateSnapshot(id);
  EXPECT_EQ(Objects(), 4u);
  ASSERT_TRUE(volume->Write(0, RandomBytes(kChunkSize, 2)).ok());  // chunk 0 v2
  SnapshotId s2 = *engine_->CreateSnapshot(id);
  EXPECT_EQ(Objects(), 5u);  // s2 shares chunks 1-3 with s1
  ASSERT_TRUE(volume->Write(kChunkSize, RandomBytes(kChunkSize, 3)).ok());  // chunk 1 v2
  ASSERT_TRUE(volume->Flush().ok());
  EXPECT_EQ(Objects(), 6u);

  // s1 alone sees chunk 0 v1: deleting it frees exactly that object.
  ASSERT_TRUE(engine_->DeleteSnapshot(s1).ok());
  EXPECT_EQ(Objects(), 5u);
  EXPECT_EQ(engine_->DescribeSnapshot(s1).status().code(), StatusCode::kNotFound);
  // s2 alone sees chunk 1 v1.
  ASSERT_TRUE(engine_->DeleteSnapshot(s2).ok());
  EXPECT_EQ(Objects(), 4u);
  auto expected = RandomBytes(4 * kChunkSize, 1);
  auto v2 = RandomBytes(kChunkSize, 2), v3 = RandomBytes(kChunkSize, 3);
  std::memcpy(expected.data(), v2.data(), kChunkSize);
  std::memcpy(expected.data() + kChunkSize, v3.data(), kChunkSize);
  EXPECT_EQ(ReadAll(*volume, 0, expected.size()), expected);
}

TEST_F(SnapshotTest, SnapshotOutlivesItsVolumeAndVolumesOutliveTheirSnapshot) {
  auto key = NewKey();
  VolumeId id = *engine_->CreateVolume(kGiB, &key);
  auto data = RandomBytes(2 * kChunkSize, 1);
  {
    auto volume = *engine_->OpenVolume(id, &key);
    ASSERT_TRUE(volume->Write(0, data).ok());
  }
  SnapshotId snap = *engine_->CreateSnapshot(id);
  ASSERT_TRUE(engine_->DeleteVolume(id).ok());
  EXPECT_EQ(Objects(), 2u);
  VolumeId child = *engine_->CreateVolumeFromSnapshot(snap, 0, &key);
  ASSERT_TRUE(engine_->DeleteSnapshot(snap).ok());
  EXPECT_EQ(Objects(), 2u);  // the child still reads them
  {
    auto volume = *engine_->OpenVolume(child, &key);
    EXPECT_EQ(ReadAll(*volume, 0, data.size()), data);
    SnapshotId grandchild_snap = *engine_->CreateSnapshot(child);
    ASSERT_TRUE(volume->Write(0, RandomBytes(10, 2)).ok());
    ASSERT_TRUE(volume->Flush().ok());
    VolumeId g = *engine_->CreateVolumeFromSnapshot(grandchild_snap, 0, &key);
    auto gv = *engine_->OpenVolume(g, &key);
    EXPECT_EQ(ReadAll(*gv, 0, data.size()), data);
    gv.reset();
    ASSERT_TRUE(engine_->DeleteVolume(g).ok());
    ASSERT_TRUE(engine_->DeleteSnapshot(grandchild_snap).ok());
  }
  ASSERT_TRUE(engine_->DeleteVolume(child).ok());
  EXPECT_EQ(Objects(), 0u);  // nothing reads anything any more
}

TEST_F(SnapshotTest, SnapshotOfAHugeThinVolumeCopiesNothing) {
  VolumeId id = *engine_->CreateVolume(4 * 1024 * kGiB, nullptr);
  auto volume = *engine_->OpenVolume(id, nullptr);
  ASSERT_TRUE(volume->Write(4 * 1024 * kGiB - 4096, RandomBytes(4096, 1)).ok());
  SnapshotId snap = *engine_->CreateSnapshot(id);
  EXPECT_EQ(Objects(), 1u);
  EXPECT_EQ(engine_->DescribeSnapshot(snap)->size_bytes, 4 * 1024 * kGiB);
}

TEST_F(SnapshotTest, SnapshotsSurviveReopen) {
  VolumeId id = *engine_->CreateVolume(kGiB, nullptr);
  auto first = RandomBytes(kChunkSize + 5, 1);
  SnapshotId snap;
  {
    auto volume = *engine_->OpenVolume(id, nullptr);
    ASSERT_TRUE(volume->Write(3, first).ok());
    snap = *engine_->CreateSnapshot(id);
    ASSERT_TRUE(volume->Write(3, RandomBytes(kChunkSize + 5, 2)).ok());
    ASSERT_TRUE(volume->Flush().ok());
  }
  Reopen();
  VolumeId restored = *engine_->CreateVolumeFromSnapshot(snap, 0, nullptr);
  auto volume = *engine_->OpenVolume(restored, nullptr);
  EXPECT_EQ(ReadAll(*volume, 3, first.size()), first);
  auto live = *engine_->OpenVolume(id, nullptr);
  EXPECT_EQ(ReadAll(*live, 3, first.size()), RandomBytes(kChunkSize + 5, 2));
}

TEST_F(SnapshotTest, WrongKeyForSnapshotIsRefused) {
  auto key = NewKey();
  VolumeId id = *engine_->CreateVolume(kGiB, &key);
  SnapshotId snap = *engine_->CreateSnapshot(id);
  auto other = NewKey();
  EXPECT_EQ(engine_->CreateVolumeFromSnapshot(snap, 0, &other).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(engine_->CreateSnapshot(12345).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->DeleteSnapshot(12345).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace kura::blocks
