// Engine::StartCopy / RunCopy: copy with re-encryption, its progress, and its
// restart after a failure midway.
#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "blocks/engine.h"
#include "blocks/test_support.h"
#include "crypto/random.h"
#include "env/fault_injecting_filesystem.h"
#include "meta/testing/backend_test.h"

namespace kura::blocks {
namespace {

using base::StatusCode;
using test_support::FillRandom;
using test_support::OpenEngine;
using test_support::RandomBuffer;
using test_support::TempDir;

const base::Status& StatusOf(const base::Status& status) { return status; }
template <typename T>
const base::Status& StatusOf(const base::Result<T>& result) {
  return result.status();
}
#define ASSERT_OK(expr)                                       \
  do {                                                        \
    const auto& assert_ok_value_ = (expr);                    \
    ASSERT_TRUE(assert_ok_value_.ok()) << StatusOf(assert_ok_value_).ToString(); \
  } while (0)

// The expected content of a volume: chunks that were ever touched, the rest reads as zeros.
struct Model {
  std::map<uint64_t, std::vector<uint8_t>> chunks;

  std::vector<uint8_t>& Chunk(uint64_t index) {
    auto& chunk = chunks[index];
    if (chunk.empty()) chunk.assign(kChunkSize, 0);
    return chunk;
  }
  void Write(uint64_t offset, base::ByteSpan data) {
    for (size_t done = 0; done < data.size();) {
      uint64_t pos = offset + done;
      size_t piece = std::min<uint64_t>(data.size() - done, kChunkSize - pos % kChunkSize);
      std::copy_n(data.begin() + static_cast<ptrdiff_t>(done), piece,
                  Chunk(pos / kChunkSize).begin() + static_cast<ptrdiff_t>(pos % kChunkSize));
      done += piece;
    }
  }
  void Zero(uint64_t offset, uint64_t length) { Write(offset, std::vector<uint8_t>(length, 0)); }
  std::vector<uint8_t> Read(uint64_t offset, size_t length) const {
    std::vector<uint8_t> out(length, 0);
    for (size_t done = 0; done < length;) {
      uint64_t pos = offset + done;
      size_t piece = std::min<uint64_t>(length - done, kChunkSize - pos % kChunkSize);
      auto it = chunks.find(pos / kChunkSize);
      if (it != chunks.end()) {
        std::copy_n(it->second.begin() + static_cast<ptrdiff_t>(pos % kChunkSize), piece,
                    out.begin() + static_cast<ptrdiff_t>(done));
      }
      done += piece;
    }
    return out;
  }
  // Chunks holding at least one non-zero byte: the only ones a copy must store.
  uint64_t NonZeroChunks() const {
    return static_cast<uint64_t>(std::count_if(chunks.begin(), chunks.end(), [](const auto& entry) {
      return std::any_of(entry.second.begin(), entry.second.end(), [](uint8_t b) { return b != 0; });
    }));
  }
};

struct Source {
  VolumeId volume = 0;
  SnapshotId snapshot = 0;
  Model model;
};

std::string FirstDifference(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want) {
  auto [a, b] = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
  if (a == got.end() && b == want.end()) return "equal";
  return "first difference at byte " + std::to_string(a - got.begin());
}

class CopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    faults_ = std::make_shared<env::FaultInjectingFilesystem>(env::PosixFilesystem());
    test_db_ = meta::CreateEnvironmentTestDatabase();
    if (!test_db_) return;
    ASSERT_NO_FATAL_FAILURE(Reopen());
    source_key_ = NewKey();
    target_key_ = NewKey();
  }

  // A restart: drops the engine and opens it again on the same directory (sweeping orphans).
  void Reopen() {
    engine_.reset();
    auto engine = OpenEngine(*test_db_, dir_.path(), faults_);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }

  static crypto::SecretBytes NewKey() {
    auto key = crypto::RandomSecret(crypto::kXtsKeySize);
    EXPECT_TRUE(key.ok());
    return std::move(key).value();
  }

  uint64_t Objects() {
    auto count = engine_->CountObjects();
    EXPECT_TRUE(count.ok()) << count.status().ToString();
    return count.ok() ? *count : 0;
  }

  // Creates a 1 GiB volume, lets `fill` write to it (and the model), snapshots it and closes it.
  template <typename Fill>
  void MakeSource(KeyPtr key, Source* source, Fill&& fill) {
    auto volume_id = engine_->CreateVolume(kGiB, key);
    ASSERT_OK(volume_id);
    source->volume = *volume_id;
    {
      auto volume = engine_->OpenVolume(*volume_id, key);
      ASSERT_OK(volume);
      fill(**volume, source->model);
      ASSERT_OK((*volume)->Flush());
    }
    auto snapshot = engine_->CreateSnapshot(*volume_id);
    ASSERT_OK(snapshot);
    source->snapshot = *snapshot;
  }

  static void WriteBoth(Volume& volume, Model& model, uint64_t offset, const std::vector<uint8_t>& data) {
    ASSERT_OK(volume.Write(offset, data));
    model.Write(offset, data);
  }
  static void ZeroBoth(Volume& volume, Model& model, uint64_t offset, uint64_t length) {
    ASSERT_OK(volume.WriteZeroes(offset, length));
    model.Zero(offset, length);
  }

  // About 3.5 MiB at scattered offsets, aligned and not, several crossing chunk
  // boundaries; plus a chunk written with zeros and a chunk zeroed after a write.
  void MakeScatteredSource(KeyPtr key, Source* source) {
    MakeSource(key, source, [](Volume& v, Model& m) {
      WriteBoth(v, m, 0, RandomBuffer(4096, 1));
      WriteBoth(v, m, 100, RandomBuffer(5000, 2));
      WriteBoth(v, m, kChunkSize - 3000, RandomBuffer(7000, 3));                  // crosses 0 | 1
      WriteBoth(v, m, 3 * kChunkSize + 12345, RandomBuffer(2 * kChunkSize + 777, 4));  // 3 | 4 | 5
      WriteBoth(v, m, 20 * kChunkSize + 3 * 4096, RandomBuffer(1024 * 1024, 5));   // 20 | 21 | 22
      WriteBoth(v, m, 500 * 1024 * 1024 + 17, RandomBuffer(300000, 6));
      WriteBoth(v, m, kGiB - 8192, RandomBuffer(8192, 7));                        // the last chunk
      WriteBoth(v, m, 40 * kChunkSize, std::vector<uint8_t>(kChunkSize, 0));      // zeros, written
      ZeroBoth(v, m, 4 * kChunkSize, kChunkSize);                                 // a whole chunk dropped
      ZeroBoth(v, m, 3 * kChunkSize + 20000, 3 * 4096 + 5);                       // holes and partial sectors
    });
  }

  // `chunks` chunks (every third index) with a little data each, one write crossing a boundary.
  void MakeManyChunkSource(KeyPtr key, int chunks, Source* source) {
    MakeSource(key, source, [chunks](Volume& v, Model& m) {
      for (int i = 0; i < chunks; ++i) {
        // Whole chunks of random data: each copied chunk costs kChunkSize of write budget.
        uint64_t offset = static_cast<uint64_t>(i) * 3 * kChunkSize;
        WriteBoth(v, m, offset, RandomBuffer(kChunkSize, 100 + static_cast<uint64_t>(i)));
      }
      WriteBoth(v, m, 2 * kChunkSize - 50, RandomBuffer(100, 99));  // crosses 1 | 2 (two more chunks)
    });
  }

  void ExpectVolumeMatches(Volume& volume, const Model& model) {
    std::vector<std::pair<uint64_t, size_t>> ranges;
    for (const auto& [index, data] : model.chunks) ranges.emplace_back(index * kChunkSize, kChunkSize);
    // Chunks never touched, and unaligned reads across boundaries.
    for (uint64_t index : {2ull, 7ull, 100ull, 999ull, 2046ull}) ranges.emplace_back(index * kChunkSize, kChunkSize);
    ranges.emplace_back(kChunkSize - 5001, 10003);
    ranges.emplace_back(3 * kChunkSize + 1, 3 * kChunkSize - 2);
    ranges.emplace_back(kGiB - 3 * kChunkSize - 7, 3 * kChunkSize + 7);
    for (const auto& [offset, length] : ranges) {
      std::vector<uint8_t> got(length, 0xee);
      ASSERT_OK(volume.Read(offset, got));
      auto want = model.Read(offset, length);
      EXPECT_TRUE(got == want) << "range " << offset << "+" << length << ": " << FirstDifference(got, want);
    }
  }

  void ExpectVolumeIdMatches(VolumeId id, KeyPtr key, const Model& model) {
    auto volume = engine_->OpenVolume(id, key);
    ASSERT_OK(volume);
    ExpectVolumeMatches(**volume, model);
  }

  // Reads the snapshot through a fresh volume created from it, then deletes that volume.
  void ExpectSnapshotMatches(SnapshotId snapshot, KeyPtr key, const Model& model) {
    auto id = engine_->CreateVolumeFromSnapshot(snapshot, 0, key);
    ASSERT_OK(id);
    ExpectVolumeIdMatches(*id, key, model);
    ASSERT_OK(engine_->DeleteVolume(*id));
  }

  bool Unfinished(CopyJobId job) {
    auto jobs = engine_->UnfinishedCopies();
    EXPECT_TRUE(jobs.ok());
    if (!jobs.ok()) return false;
    return std::any_of(jobs->begin(), jobs->end(), [&](const CopyJobRecord& r) { return r.id == job; });
  }

  std::optional<CopyJobRecord> JobRecord(CopyJobId job) {
    auto jobs = engine_->UnfinishedCopies();
    if (!jobs.ok()) return std::nullopt;
    for (const auto& record : *jobs) {
      if (record.id == job) return record;
    }
    return std::nullopt;
  }

  // Copy with one call; returns the result.
  void Copy(SnapshotId source, KeyPtr source_key, KeyPtr target_key, bool to_volume, unsigned threads,
            CopyResult* result) {
    auto job = engine_->StartCopy(source, target_key, to_volume);
    ASSERT_OK(job);
    CopyOptions options;
    options.threads = threads;
    auto copied = engine_->RunCopy(*job, source_key, target_key, options);
    ASSERT_OK(copied);
    *result = *copied;
  }

  TempDir dir_;
  std::unique_ptr<meta::TestDatabase> test_db_;  // outlives engine_
  std::shared_ptr<env::FaultInjectingFilesystem> faults_;
  std::unique_ptr<Engine> engine_;
  crypto::SecretBytes source_key_;
  crypto::SecretBytes target_key_;
};

TEST_F(CopyTest, EncryptedSnapshotToNewKey) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeScatteredSource(&source_key_, &source));

  auto job = engine_->StartCopy(source.snapshot, &target_key_, /*to_volume=*/false);
  ASSERT_OK(job);
  EXPECT_TRUE(Unfinished(*job));
  CopyOptions options;
  options.threads = 2;
  auto result = engine_->RunCopy(*job, &source_key_, &target_key_, options);
  ASSERT_OK(result);
  EXPECT_EQ(result->job, *job);
  EXPECT_EQ(result->chunks_copied, source.model.NonZeroChunks());
  EXPECT_FALSE(Unfinished(*job));

  auto info = engine_->DescribeSnapshot(result->id);
  ASSERT_OK(info);
  EXPECT_TRUE(info->encrypted);
  EXPECT_EQ(info->size_bytes, kGiB);
  EXPECT_NE(result->id, source.snapshot);

  ExpectSnapshotMatches(result->id, &target_key_, source.model);
  // The source key, or none, is refused for the copy.
  EXPECT_EQ(engine_->CreateVolumeFromSnapshot(result->id, 0, &source_key_).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(engine_->CreateVolumeFromSnapshot(result->id, 0, nullptr).status().code(),
            StatusCode::kInvalidArgument);
  // The source is unchanged and still needs its own key.
  ExpectSnapshotMatches(source.snapshot, &source_key_, source.model);
  ExpectVolumeIdMatches(source.volume, &source_key_, source.model);
  EXPECT_EQ(engine_->CreateVolumeFromSnapshot(source.snapshot, 0, &target_key_).status().code(),
            StatusCode::kPermissionDenied);

  // Running a finished job again changes nothing and gives the same result.
  auto again = engine_->RunCopy(*job, &source_key_, &target_key_, options);
  ASSERT_OK(again);
  EXPECT_EQ(again->id, result->id);
}

TEST_F(CopyTest, RunCopyChecksBothKeys) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeScatteredSource(&source_key_, &source));
  auto job = engine_->StartCopy(source.snapshot, &target_key_, false);
  ASSERT_OK(job);
  CopyOptions options;
  // The old key is not the copy's key.
  EXPECT_EQ(engine_->RunCopy(*job, &source_key_, &source_key_, options).status().code(),
            StatusCode::kPermissionDenied);
  // The new key is not the source's key.
  EXPECT_EQ(engine_->RunCopy(*job, &target_key_, &target_key_, options).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(engine_->RunCopy(*job, nullptr, &target_key_, options).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->RunCopy(*job, &source_key_, nullptr, options).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Unfinished(*job));
  // Refusals did no harm: the right keys still work.
  auto result = engine_->RunCopy(*job, &source_key_, &target_key_, options);
  ASSERT_OK(result);
  ExpectSnapshotMatches(result->id, &target_key_, source.model);
}

TEST_F(CopyTest, UnencryptedToEncrypted) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeScatteredSource(nullptr, &source));
  CopyResult result;
  ASSERT_NO_FATAL_FAILURE(Copy(source.snapshot, nullptr, &target_key_, false, 2, &result));
  auto info = engine_->DescribeSnapshot(result.id);
  ASSERT_OK(info);
  EXPECT_TRUE(info->encrypted);
  ExpectSnapshotMatches(result.id, &target_key_, source.model);
  EXPECT_EQ(engine_->CreateVolumeFromSnapshot(result.id, 0, nullptr).status().code(), StatusCode::kInvalidArgument);
  ExpectSnapshotMatches(source.snapshot, nullptr, source.model);
}

TEST_F(CopyTest, EncryptedToUnencrypted) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeScatteredSource(&source_key_, &source));
  CopyResult result;
  ASSERT_NO_FATAL_FAILURE(Copy(source.snapshot, &source_key_, nullptr, false, 2, &result));
  auto info = engine_->DescribeSnapshot(result.id);
  ASSERT_OK(info);
  EXPECT_FALSE(info->encrypted);
  ExpectSnapshotMatches(result.id, nullptr, source.model);
}

TEST_F(CopyTest, EncryptedToVolumeOpensWithTargetKeyAndIsWritable) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeScatteredSource(&source_key_, &source));
  auto job = engine_->StartCopy(source.snapshot, &target_key_, /*to_volume=*/true);
  ASSERT_OK(job);
  CopyOptions options;
  auto result = engine_->RunCopy(*job, &source_key_, &target_key_, options);
  ASSERT_OK(result);
  VolumeId id = result->id;

  auto info = engine_->DescribeVolume(id);
  ASSERT_OK(info);
  EXPECT_TRUE(info->encrypted);
  EXPECT_EQ(info->size_bytes, kGiB);
  EXPECT_EQ(engine_->OpenVolume(id, &source_key_).status().code(), StatusCode::kPermissionDenied);

  Model model = source.model;
  {
    auto volume = engine_->OpenVolume(id, &target_key_);
    ASSERT_OK(volume);
    ExpectVolumeMatches(**volume, model);
    // Overwrite copied chunks (unaligned, crossing), write a new chunk, zero a copied range.
    WriteBoth(**volume, model, kChunkSize - 777, RandomBuffer(20000, 50));
    WriteBoth(**volume, model, 300 * kChunkSize + 5, RandomBuffer(9000, 51));
    ZeroBoth(**volume, model, 20 * kChunkSize + 4096, 3 * 4096 + 100);
    ExpectVolumeMatches(**volume, model);
    ASSERT_OK((*volume)->Flush());
  }
  Reopen();
  ExpectVolumeIdMatches(id, &target_key_, model);
  // It snapshots like any volume, and the copy's source did not change.
  auto snapshot = engine_->CreateSnapshot(id);
  ASSERT_OK(snapshot);
  ExpectSnapshotMatches(*snapshot, &target_key_, model);
  ExpectSnapshotMatches(source.snapshot, &source_key_, source.model);
}

TEST_F(CopyTest, UnwrittenChunksStayUnwritten) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeScatteredSource(&source_key_, &source));
  uint64_t before = Objects();
  CopyResult result;
  ASSERT_NO_FATAL_FAILURE(Copy(source.snapshot, &source_key_, &target_key_, false, 2, &result));
  // 9 chunks hold data; the chunk written with zeros and the zeroed chunk take no object.
  EXPECT_EQ(source.model.NonZeroChunks(), 9u);
  EXPECT_EQ(result.chunks_copied, 9u);
  EXPECT_EQ(Objects(), before + 9);

  // The same into a volume.
  before = Objects();
  ASSERT_NO_FATAL_FAILURE(Copy(source.snapshot, &source_key_, &target_key_, true, 1, &result));
  EXPECT_EQ(Objects(), before + 9);

  // A snapshot of a volume never written copies to nothing at all.
  Source empty;
  ASSERT_NO_FATAL_FAILURE(MakeSource(nullptr, &empty, [](Volume&, Model&) {}));
  before = Objects();
  ASSERT_NO_FATAL_FAILURE(Copy(empty.snapshot, nullptr, &target_key_, false, 2, &result));
  EXPECT_EQ(result.chunks_copied, 0u);
  EXPECT_EQ(Objects(), before);
  ExpectSnapshotMatches(result.id, &target_key_, empty.model);
}

TEST_F(CopyTest, ProgressIsMonotonicAndComplete) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeManyChunkSource(&source_key_, 32, &source));
  auto job = engine_->StartCopy(source.snapshot, &target_key_, false);
  ASSERT_OK(job);
  std::vector<CopyProgress> seen;
  CopyOptions options;
  options.threads = 1;  // batches of 16 chunks: several reports
  options.on_progress = [&](const CopyProgress& p) { seen.push_back(p); };
  auto result = engine_->RunCopy(*job, &source_key_, &target_key_, options);
  ASSERT_OK(result);
  ASSERT_GE(seen.size(), 3u);
  const uint64_t total = source.model.chunks.size() * kChunkSize;  // every allocated chunk counts
  EXPECT_EQ(seen.front().bytes_done, 0u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].bytes_total, total) << "report " << i;
    EXPECT_LE(seen[i].bytes_done, seen[i].bytes_total) << "report " << i;
    if (i > 0) {
      EXPECT_GE(seen[i].bytes_done, seen[i - 1].bytes_done) << "report " << i;
    }
  }
  EXPECT_EQ(seen.back().bytes_done, total);
  ExpectSnapshotMatches(result->id, &target_key_, source.model);
}

TEST_F(CopyTest, ThreadsOneAndTwoGiveTheSameContent) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeManyChunkSource(&source_key_, 32, &source));  // 34 chunks: two batches with 2 threads
  std::vector<std::vector<uint8_t>> contents;
  for (unsigned threads : {1u, 2u}) {
    CopyResult result;
    ASSERT_NO_FATAL_FAILURE(Copy(source.snapshot, &source_key_, &target_key_, false, threads, &result));
    EXPECT_EQ(result.chunks_copied, source.model.NonZeroChunks()) << threads << " threads";
    ExpectSnapshotMatches(result.id, &target_key_, source.model);
    auto id = engine_->CreateVolumeFromSnapshot(result.id, 0, &target_key_);
    ASSERT_OK(id);
    auto volume = engine_->OpenVolume(*id, &target_key_);
    ASSERT_OK(volume);
    std::vector<uint8_t> all;  // every chunk the source touches, in order
    for (const auto& [index, data] : source.model.chunks) {
      std::vector<uint8_t> chunk(kChunkSize);
      ASSERT_OK((*volume)->Read(index * kChunkSize, chunk));
      all.insert(all.end(), chunk.begin(), chunk.end());
    }
    contents.push_back(std::move(all));
  }
  EXPECT_TRUE(contents[0] == contents[1]) << FirstDifference(contents[0], contents[1]);
}

TEST_F(CopyTest, CopiesTheSnapshotNotLaterWrites) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeScatteredSource(&source_key_, &source));
  Model live = source.model;
  {
    auto volume = engine_->OpenVolume(source.volume, &source_key_);
    ASSERT_OK(volume);
    WriteBoth(**volume, live, 0, RandomBuffer(kChunkSize + 100, 70));  // overwrites frozen chunks 0 and 1
    WriteBoth(**volume, live, 600 * kChunkSize, RandomBuffer(4096, 71));
    ZeroBoth(**volume, live, 22 * kChunkSize, kChunkSize);
  }
  CopyResult result;
  ASSERT_NO_FATAL_FAILURE(Copy(source.snapshot, &source_key_, &target_key_, false, 2, &result));
  ExpectSnapshotMatches(result.id, &target_key_, source.model);
  ExpectVolumeIdMatches(source.volume, &source_key_, live);
}

TEST_F(CopyTest, SourceWithParentChain) {
  Source parent;
  ASSERT_NO_FATAL_FAILURE(MakeScatteredSource(&source_key_, &parent));
  // A volume from the parent snapshot, partly overwritten and partly zeroed, then snapshotted.
  auto child_id = engine_->CreateVolumeFromSnapshot(parent.snapshot, 0, &source_key_);
  ASSERT_OK(child_id);
  Model model = parent.model;
  {
    auto volume = engine_->OpenVolume(*child_id, &source_key_);
    ASSERT_OK(volume);
    WriteBoth(**volume, model, 4000, RandomBuffer(3000, 60));
    WriteBoth(**volume, model, 800 * kChunkSize, RandomBuffer(4096, 61));
    ZeroBoth(**volume, model, 1000 * kChunkSize, kChunkSize);   // hides the parent's chunk 1000
    ZeroBoth(**volume, model, 20 * kChunkSize, 2 * kChunkSize);  // chunks 20 and 21
  }
  auto snapshot = engine_->CreateSnapshot(*child_id);
  ASSERT_OK(snapshot);
  uint64_t before = Objects();
  CopyResult result;
  ASSERT_NO_FATAL_FAILURE(Copy(*snapshot, &source_key_, &target_key_, false, 2, &result));
  EXPECT_EQ(result.chunks_copied, model.NonZeroChunks());
  EXPECT_EQ(Objects(), before + model.NonZeroChunks());
  ExpectSnapshotMatches(result.id, &target_key_, model);
  ExpectSnapshotMatches(parent.snapshot, &source_key_, parent.model);
}

TEST_F(CopyTest, WrongLengthKeyIsInvalidArgument) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeManyChunkSource(&source_key_, 2, &source));
  auto short_key = crypto::RandomSecret(32);
  ASSERT_OK(short_key);
  auto long_key = crypto::RandomSecret(65);
  ASSERT_OK(long_key);
  EXPECT_EQ(engine_->StartCopy(source.snapshot, &*short_key, false).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->StartCopy(source.snapshot, &*long_key, true).status().code(), StatusCode::kInvalidArgument);
  auto jobs = engine_->UnfinishedCopies();
  ASSERT_OK(jobs);
  EXPECT_TRUE(jobs->empty());  // nothing recorded for a refused start

  auto job = engine_->StartCopy(source.snapshot, &target_key_, false);
  ASSERT_OK(job);
  CopyOptions options;
  EXPECT_EQ(engine_->RunCopy(*job, &*short_key, &target_key_, options).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->RunCopy(*job, &source_key_, &*short_key, options).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->StartCopy(9999, &target_key_, false).status().code(), StatusCode::kNotFound);
}

// A copy whose store runs out of space midway, resumed after the space comes back.
class CopyRestartTest : public CopyTest, public ::testing::WithParamInterface<bool> {};

TEST_P(CopyRestartTest, ResumesAfterFailureAndCompletes) {
  const bool restart_engine = GetParam();
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeManyChunkSource(&source_key_, 24, &source));
  const uint64_t data_chunks = source.model.NonZeroChunks();
  ASSERT_EQ(data_chunks, 26u);
  const uint64_t before = Objects();

  auto job = engine_->StartCopy(source.snapshot, &target_key_, false);
  ASSERT_OK(job);
  CopyOptions options;
  options.threads = 1;  // batches of 16 chunks: the first commits, the second fails
  faults_->SetWriteBudget(static_cast<int64_t>(20 * kChunkSize + kChunkSize / 2));
  auto failed = engine_->RunCopy(*job, &source_key_, &target_key_, options);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kResourceExhausted) << failed.status().ToString();

  auto record = JobRecord(*job);
  ASSERT_TRUE(record.has_value()) << "the job must still be listed as unfinished";
  EXPECT_GT(record->next_chunk, 0u) << "the first batch was committed";
  EXPECT_FALSE(record->done);

  if (restart_engine) {
    ASSERT_NO_FATAL_FAILURE(Reopen());  // sweeps the objects of the failed batch
    EXPECT_TRUE(Unfinished(*job));
    EXPECT_EQ(Objects(), before + 16) << "only the committed batch remains";
  }
  // The source is intact while the copy is half done.
  ExpectSnapshotMatches(source.snapshot, &source_key_, source.model);

  faults_->SetWriteBudget(-1);
  std::vector<CopyProgress> seen;
  options.on_progress = [&](const CopyProgress& p) { seen.push_back(p); };
  auto result = engine_->RunCopy(*job, &source_key_, &target_key_, options);
  ASSERT_OK(result);
  EXPECT_FALSE(Unfinished(*job));
  // The resumed run copies only what the failed one did not commit.
  EXPECT_EQ(result->chunks_copied, data_chunks - 16);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front().bytes_done, 16 * kChunkSize);
  EXPECT_EQ(seen.back().bytes_done, seen.back().bytes_total);

  ExpectSnapshotMatches(result->id, &target_key_, source.model);
  ExpectSnapshotMatches(source.snapshot, &source_key_, source.model);
  ExpectVolumeIdMatches(source.volume, &source_key_, source.model);
  // Exactly one object per data chunk was added. (Without a restart, see
  // FailedBatchLeavesNoStrayObjects for an object the failed batch leaks.)
  if (restart_engine) {
    EXPECT_EQ(Objects(), before + data_chunks);
  }
  // After a restart everything still reads back.
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(Objects(), before + data_chunks);
  ExpectSnapshotMatches(result->id, &target_key_, source.model);
}

INSTANTIATE_TEST_SUITE_P(SameEngineOrRestarted, CopyRestartTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Restarted" : "SameEngine";
                         });

// A chunk whose write fails (ENOSPC) leaves no object behind, nor does the rest of its batch.
TEST_F(CopyTest, FailedBatchLeavesNoStrayObjects) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeManyChunkSource(&source_key_, 24, &source));
  const uint64_t before = Objects();
  auto job = engine_->StartCopy(source.snapshot, &target_key_, false);
  ASSERT_OK(job);
  CopyOptions options;
  options.threads = 1;
  faults_->SetWriteBudget(static_cast<int64_t>(20 * kChunkSize + kChunkSize / 2));
  ASSERT_EQ(engine_->RunCopy(*job, &source_key_, &target_key_, options).status().code(),
            StatusCode::kResourceExhausted);
  // Only the committed first batch (16 chunks) may remain.
  EXPECT_EQ(Objects(), before + 16);
}

// A batch whose Sync fails leaves none of its objects behind.
TEST_F(CopyTest, FailedSyncLeavesNoStrayObjects) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeManyChunkSource(&source_key_, 4, &source));
  const uint64_t before = Objects();
  auto job = engine_->StartCopy(source.snapshot, &target_key_, false);
  ASSERT_OK(job);
  CopyOptions options;
  faults_->SetFailSync(true);
  auto failed = engine_->RunCopy(*job, &source_key_, &target_key_, options);
  faults_->SetFailSync(false);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kDataLoss) << failed.status().ToString();
  EXPECT_EQ(Objects(), before);
  // The job resumes from the start and completes.
  auto result = engine_->RunCopy(*job, &source_key_, &target_key_, options);
  ASSERT_OK(result);
  ExpectSnapshotMatches(result->id, &target_key_, source.model);
}

TEST_F(CopyTest, SourceDeletedWhileCopyUnfinished) {
  Source source;
  ASSERT_NO_FATAL_FAILURE(MakeManyChunkSource(&source_key_, 24, &source));
  auto job = engine_->StartCopy(source.snapshot, &target_key_, false);
  ASSERT_OK(job);
  CopyOptions options;
  options.threads = 1;
  faults_->SetWriteBudget(static_cast<int64_t>(20 * kChunkSize));
  ASSERT_EQ(engine_->RunCopy(*job, &source_key_, &target_key_, options).status().code(),
            StatusCode::kResourceExhausted);
  faults_->SetWriteBudget(-1);

  // The unfinished copy keeps the source's chunks alive.
  ASSERT_OK(engine_->DeleteVolume(source.volume));
  ASSERT_OK(engine_->DeleteSnapshot(source.snapshot));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  auto result = engine_->RunCopy(*job, &source_key_, &target_key_, options);
  ASSERT_OK(result);
  ExpectSnapshotMatches(result->id, &target_key_, source.model);
  // Once the copy is done nothing reads the source any more: its objects are freed.
  EXPECT_EQ(Objects(), source.model.NonZeroChunks());
}

}  // namespace
}  // namespace kura::blocks
