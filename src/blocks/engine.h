// Engine: the block engine's entry point. Creates, opens, snapshots,
// resizes, copies and deletes volumes; collects garbage. It knows nothing of
// AWS: ids are plain integers that the EC2 layer maps to vol-/snap- ids, and
// data keys arrive from the caller as SecretBytes (nullptr: an unencrypted
// volume). Only a key check value is stored, never a key.
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <vector>

#include "base/status.h"
#include "blocks/catalog.h"
#include "blocks/chunk_store.h"
#include "blocks/layout.h"
#include "blocks/volume.h"
#include "crypto/secret_bytes.h"
#include "meta/database.h"

namespace kura::blocks {

struct VolumeInfo {
  VolumeId id = 0;
  uint64_t size_bytes = 0;
  bool encrypted = false;
  std::optional<int64_t> parent_lineage;  // set when created from a snapshot
};

struct SnapshotInfo {
  SnapshotId id = 0;
  VolumeId volume = 0;  // the lineage it was taken of
  uint64_t size_bytes = 0;
  bool encrypted = false;
};

struct CopyProgress {
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
};

struct CopyOptions {
  unsigned threads = 0;  // 0: one per core
  std::function<void(const CopyProgress&)> on_progress;
};

struct CopyResult {
  CopyJobId job = 0;
  int64_t id = 0;  // the new snapshot or volume
  uint64_t chunks_copied = 0;
};

using KeyPtr = const crypto::SecretBytes*;

// 1 GiB .. 16 TiB in whole GiB.
base::Status ValidateVolumeSize(uint64_t size_bytes);

class Engine {
 public:
  // Applies schema migrations, frees garbage left by a crash and, when asked,
  // removes chunk objects that nothing refers to (writes that were never flushed).
  static base::Result<std::unique_ptr<Engine>> Open(std::shared_ptr<meta::Database> db,
                                                    std::shared_ptr<ChunkStore> store, bool sweep_orphans = true);

  base::Result<VolumeId> CreateVolume(uint64_t size_bytes, KeyPtr key);
  // Instant: the new volume reads through to the snapshot until written.
  // `size_bytes` 0 keeps the snapshot's size. The key must be the snapshot's.
  base::Result<VolumeId> CreateVolumeFromSnapshot(SnapshotId snapshot, uint64_t size_bytes, KeyPtr key);
  // PermissionDenied when the key is not the volume's; one Volume per id is shared.
  base::Result<std::shared_ptr<Volume>> OpenVolume(VolumeId id, KeyPtr key);
  base::Status ResizeVolume(VolumeId id, uint64_t new_size_bytes);  // grow only
  // FailedPrecondition while the volume is open.
  base::Status DeleteVolume(VolumeId id);
  base::Result<VolumeInfo> DescribeVolume(VolumeId id);

  // Point-in-time, crash-consistent, O(1): flushes an open volume and freezes its chunk map.
  base::Result<SnapshotId> CreateSnapshot(VolumeId volume);
  base::Status DeleteSnapshot(SnapshotId id);
  base::Result<SnapshotInfo> DescribeSnapshot(SnapshotId id);

  // Copy with re-encryption: records a job that copies `source` under
  // `target_key` (nullptr: unencrypted) into a new snapshot, or a new volume
  // when `to_volume`. RunCopy does the work and may be called again on the
  // same job after a crash; it continues where the last committed batch ended.
  base::Result<CopyJobId> StartCopy(SnapshotId source, KeyPtr target_key, bool to_volume);
  base::Result<CopyResult> RunCopy(CopyJobId job, KeyPtr source_key, KeyPtr target_key, const CopyOptions& options);
  base::Result<std::vector<CopyJobRecord>> UnfinishedCopies();

  // Test harnesses (`kura serve --auth open`, POST /_kura/reset): deletes
  // every volume, snapshot and copy job in one transaction, recording their
  // chunk objects as garbage, then frees those objects. FailedPrecondition
  // (and nothing deleted) while a volume is open. Callers must not run a copy
  // (RunCopy) at the same time.
  base::Status DeleteEverything();

  // Chunk objects present in the store (for tests and reports).
  base::Result<uint64_t> CountObjects();

 private:
  Engine(std::shared_ptr<Catalog> catalog, std::shared_ptr<ChunkStore> store);
  base::Status CheckKey(const LineageRecord& lineage, KeyPtr key, std::string_view what);
  base::Result<std::shared_ptr<Volume>> FindOpen(VolumeId id);
  // Drops entries no reader sees, and whole lineages nothing reads, then frees their objects.
  base::Status Collect(int64_t lineage);
  base::Status DrainGarbage();
  base::Status SweepOrphans();

  std::shared_ptr<Catalog> catalog_;
  std::shared_ptr<ChunkStore> store_;
  std::mutex mu_;  // guards open_ and serializes lifecycle changes
  std::map<VolumeId, std::weak_ptr<Volume>> open_;
};

}  // namespace kura::blocks
