// Volume: an open volume, the block engine's hot data path. Byte-granular
// Read/Write/WriteZeroes at any offset and length, crossing chunk boundaries.
// Writes land in chunk objects at once (encrypted first when the volume is
// encrypted); Flush makes every write that completed before it durable:
// it fsyncs the touched objects, then commits the chunk entries allocated
// since the last flush (data before metadata). A write to a chunk frozen by
// a snapshot first copies it (copy-on-write); only such copies and first
// allocations create metadata, and only Flush commits it.
// Thread-safety: all methods are safe from any thread. I/O to different
// chunks runs in parallel; I/O to one chunk is serialized per chunk.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "blocks/catalog.h"
#include "blocks/chunk_store.h"
#include "blocks/layout.h"
#include "blocks/volume_cipher.h"

namespace kura::blocks {

class Engine;

class Volume {
 public:
  ~Volume();  // flushes; errors are logged (call Flush to see them)
  Volume(const Volume&) = delete;
  Volume& operator=(const Volume&) = delete;

  VolumeId id() const { return id_; }
  uint64_t size() const { return size_.load(); }
  bool encrypted() const { return cipher_ != nullptr; }

  base::Status Read(uint64_t offset, base::MutableByteSpan out);
  base::Status Write(uint64_t offset, base::ByteSpan data);
  // Afterwards the range reads as zeros; whole chunks and sectors are released.
  base::Status WriteZeroes(uint64_t offset, uint64_t length);
  // Discard: the same as WriteZeroes (a discarded range reads as zeros).
  base::Status Trim(uint64_t offset, uint64_t length) { return WriteZeroes(offset, length); }
  base::Status Flush();

  // Which parts of [offset, offset+length) hold chunks, in order and merged:
  // a hole reads as zeros and stores nothing. Chunk-granular (a hole is a
  // whole unwritten or zeroed chunk); a written chunk counts as data even
  // where its bytes are zeros. A snapshot of the moment: concurrent writes
  // may change it.
  struct Extent {
    uint64_t length = 0;
    bool hole = false;
  };
  base::Result<std::vector<Extent>> Allocation(uint64_t offset, uint64_t length);

  // Tests only: forget what the next flush would commit, as a crash would.
  void ForgetUnflushedForTest();

 private:
  friend class Engine;
  struct CachedChunk {
    ObjectId object = kZeroObject;
    int64_t lineage = 0;
    int64_t generation = -1;
  };

  Volume(VolumeId id, uint64_t size, int64_t generation, ReadChain chain, std::shared_ptr<Catalog> catalog,
         std::shared_ptr<ChunkStore> store, std::unique_ptr<VolumeCipher> cipher);

  // Called by the engine: flush, record the snapshot, advance the generation.
  base::Result<SnapshotId> TakeSnapshot();
  void Grow(uint64_t new_size);

  struct ChunkPieceRef {
    uint64_t index, in_chunk, at, length;
  };
  // Runs fn for each chunk-sized piece of [offset, offset+length); pieces of
  // a large encrypted request run in parallel.
  base::Status ForEachPiece(uint64_t offset, uint64_t length,
                            const std::function<base::Status(const ChunkPieceRef&)>& fn);
  base::Status CheckRange(uint64_t offset, uint64_t length) const;
  std::shared_mutex& StripeFor(uint64_t index) { return stripes_[index % stripes_.size()]; }
  bool Owned(const CachedChunk& c) const { return c.lineage == id_ && c.generation == generation_; }
  base::Result<CachedChunk> Lookup(uint64_t index);
  base::Result<CachedChunk> MakeOwned(uint64_t index, const CachedChunk& current);
  base::Result<ObjectId> NextObjectId();
  base::Status CopyObject(ObjectId from, ObjectId to);
  void MarkDirty(ObjectId object);

  base::Status ReadInChunk(uint64_t index, uint64_t offset, base::MutableByteSpan out);
  base::Status WriteInChunk(uint64_t index, uint64_t offset, base::ByteSpan data);
  base::Status ZeroInChunk(uint64_t index, uint64_t offset, uint64_t length);
  base::Status FlushLocked();

  const VolumeId id_;
  std::atomic<uint64_t> size_;
  int64_t generation_;  // changes only under io_mu_ held exclusively
  const ReadChain chain_;
  std::shared_ptr<Catalog> catalog_;
  std::shared_ptr<ChunkStore> store_;
  std::unique_ptr<VolumeCipher> cipher_;

  // I/O holds it shared; snapshots and resizes hold it exclusively.
  std::shared_mutex io_mu_;
  std::array<std::shared_mutex, 256> stripes_;
  std::mutex flush_mu_;  // one flush at a time: a flush returns only after its own sync

  std::mutex map_mu_;  // guards the members below
  std::unordered_map<uint64_t, CachedChunk> chunks_;
  std::unordered_map<uint64_t, ObjectId> pending_;  // entries at generation_ not yet committed
  std::unordered_set<ObjectId> dirty_;              // objects written since the last flush
  std::vector<ObjectId> replaced_;                  // objects dropped by WriteZeroes, freed after commit

  std::mutex alloc_mu_;
  ObjectId next_object_ = 0;
  ObjectId reserved_end_ = 0;
};

}  // namespace kura::blocks
