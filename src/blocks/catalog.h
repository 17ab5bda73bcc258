// Catalog: the block engine's metadata, kept in the metadata store (tables
// blocks_*; schema in docs/formats/block-volume.md). It knows SQL; the engine
// and volumes know only these calls.
//
// Model: a lineage is a chain of chunk versions. Each chunk entry is
// (lineage, chunk_index, generation) -> object. A volume writes at its
// lineage's current generation; a snapshot is (lineage, generation) and
// creating one only bumps the generation (O(1)), which freezes every entry.
// A reader at generation g sees, per chunk, the newest entry with
// generation <= g; if the lineage has none it falls through to its parent
// (the snapshot a volume was created from). Object 0 marks a zeroed chunk.
// Thread-safety: safe from any thread (the Database serializes transactions).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "base/status.h"
#include "blocks/layout.h"
#include "meta/database.h"

namespace kura::blocks {

struct LineageRecord {
  int64_t id = 0;
  uint64_t size_bytes = 0;
  bool encrypted = false;
  std::vector<uint8_t> key_check;  // proof of the data key (never the key)
  int64_t generation = 0;          // the generation the volume writes at
  bool live = false;               // a volume writes here (false: only snapshots read it)
  std::optional<int64_t> parent_lineage;
  int64_t parent_generation = 0;
};

struct SnapshotRecord {
  int64_t id = 0;
  int64_t lineage = 0;
  int64_t generation = 0;
  uint64_t size_bytes = 0;
};

struct ChunkEntry {
  uint64_t index = 0;
  int64_t generation = 0;
  ObjectId object = kZeroObject;
};

// One level of a read chain: entries of `lineage` with generation <= max_generation.
struct ChainLevel {
  int64_t lineage = 0;
  int64_t max_generation = 0;
};
using ReadChain = std::vector<ChainLevel>;

struct ResolvedChunk {
  ObjectId object = kZeroObject;
  int64_t lineage = 0;
  int64_t generation = -1;  // -1: no entry anywhere in the chain
};

struct CopyJobRecord {
  int64_t id = 0;
  int64_t source_lineage = 0;
  int64_t source_generation = 0;
  int64_t target_lineage = 0;
  bool target_is_volume = false;
  uint64_t next_chunk = 0;  // every chunk below this is copied and committed
  bool done = false;
  int64_t result_id = 0;  // snapshot or volume id once done
};

class Catalog {
 public:
  explicit Catalog(std::shared_ptr<meta::Database> db);

  base::Status Migrate();
  meta::Database& db() { return *db_; }

  base::Result<LineageRecord> GetLineage(int64_t id);
  base::Result<SnapshotRecord> GetSnapshot(int64_t id);
  base::Result<std::vector<SnapshotRecord>> ListSnapshots();
  base::Result<std::vector<LineageRecord>> ListLineages();
  base::Result<int64_t> InsertLineage(meta::Transaction& txn, const LineageRecord& record);
  // Records snapshot (lineage, generation) and moves the lineage to generation + 1.
  base::Result<SnapshotId> InsertSnapshot(int64_t lineage, int64_t generation, uint64_t size_bytes);
  static base::Result<SnapshotId> InsertSnapshot(meta::Transaction& txn, int64_t lineage, int64_t generation,
                                                 uint64_t size_bytes);

  // The chain a reader at (lineage, generation) follows, own level first.
  base::Result<ReadChain> ChainFor(int64_t lineage, int64_t generation);
  base::Result<ResolvedChunk> Resolve(const ReadChain& chain, uint64_t index);
  // Chunk indices in [first, last) that have an entry at some level of the chain.
  base::Result<std::vector<uint64_t>> IndicesWithEntries(const ReadChain& chain, uint64_t first, uint64_t last);

  // Reserves `count` fresh object ids; returns the first.
  base::Result<ObjectId> ReserveObjectIds(uint64_t count);

  // Upserts entries of one lineage and generation in `txn`.
  static base::Status PutEntries(meta::Transaction& txn, int64_t lineage, int64_t generation,
                                 const std::vector<std::pair<uint64_t, ObjectId>>& entries);

  // Generations that some reader of `lineage` uses: the live generation, its
  // snapshots, the parent points of child lineages and of unfinished copies.
  static base::Result<std::vector<int64_t>> Readers(meta::Transaction& txn, int64_t lineage);
  static base::Result<std::vector<ChunkEntry>> Entries(meta::Transaction& txn, int64_t lineage);

  base::Result<CopyJobRecord> GetCopyJob(int64_t id);
  base::Result<std::vector<CopyJobRecord>> ListCopyJobs(bool unfinished_only);

  // Objects whose entries are gone but that may still be in the chunk store.
  static base::Status AddGarbage(meta::Transaction& txn, const std::vector<ObjectId>& objects);
  base::Result<std::vector<ObjectId>> ListGarbage();
  base::Status ForgetGarbage(const std::vector<ObjectId>& objects);
  // Deletes every lineage, chunk entry, snapshot and copy job in `txn` and
  // records every object the entries referred to as garbage (counters stay:
  // object ids are never reused).
  static base::Status DeleteAll(meta::Transaction& txn);
  // Every object an entry refers to.
  base::Result<std::vector<ObjectId>> ReferencedObjects();
  // The id of a new row of `table` (blocks_lineages, blocks_snapshots,
  // blocks_copy_jobs): one more than the largest, as SQLite's implicit row id
  // would be. Explicit, because PostgreSQL has no implicit row id; exact,
  // because transactions are serialized.
  static base::Result<int64_t> NextId(meta::Transaction& txn, std::string_view table);

 private:
  std::shared_ptr<meta::Database> db_;
};

}  // namespace kura::blocks
