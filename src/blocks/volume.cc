#include "blocks/volume.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

#include "base/log.h"
#include "blocks/task_pool.h"

namespace kura::blocks {

namespace {

constexpr uint64_t kObjectIdBatch = 1024;

// Scratch space for read-modify-write and copies; reused per thread so the
// hot path does not allocate.
std::vector<uint8_t>& Scratch(size_t size) {
  thread_local std::vector<uint8_t> buffer;
  if (buffer.size() < size) buffer.resize(size);
  return buffer;
}

uint64_t AlignDown(uint64_t v) { return v / kSectorSize * kSectorSize; }
uint64_t AlignUp(uint64_t v) { return (v + kSectorSize - 1) / kSectorSize * kSectorSize; }

// Below this, spreading a request's chunks over the cores costs more than it saves.
constexpr uint64_t kParallelRequestBytes = 256 * 1024;

struct ChunkPiece {
  uint64_t index;     // chunk index
  uint64_t in_chunk;  // offset within the chunk
  uint64_t at;        // offset within the request
  uint64_t length;
};

std::vector<ChunkPiece> SplitIntoChunks(uint64_t offset, uint64_t length) {
  std::vector<ChunkPiece> pieces;
  for (uint64_t done = 0; done < length;) {
    uint64_t pos = offset + done;
    uint64_t in_chunk = pos % kChunkSize;
    uint64_t piece = std::min(length - done, kChunkSize - in_chunk);
    pieces.push_back({pos / kChunkSize, in_chunk, done, piece});
    done += piece;
  }
  return pieces;
}

}  // namespace

Volume::Volume(VolumeId id, uint64_t size, int64_t generation, ReadChain chain, std::shared_ptr<Catalog> catalog,
               std::shared_ptr<ChunkStore> store, std::unique_ptr<VolumeCipher> cipher)
    : id_(id),
      size_(size),
      generation_(generation),
      chain_(std::move(chain)),
      catalog_(std::move(catalog)),
      store_(std::move(store)),
      cipher_(std::move(cipher)) {}

Volume::~Volume() {
  base::Status status = Flush();
  if (!status.ok()) {
    base::LogEvent(base::LogLevel::kError, "volume_close_flush_failed",
                   {{"volume", std::to_string(id_)}, {"error", status.ToString()}});
  }
}

base::Status Volume::CheckRange(uint64_t offset, uint64_t length) const {
  uint64_t size = size_.load();
  if (offset > size || length > size - offset) {
    return base::OutOfRangeError(fmt::format("range of {} bytes at offset {} is beyond the end of volume {} ({} bytes)",
                                             length, offset, id_, size));
  }
  return base::Status::Ok();
}

base::Result<Volume::CachedChunk> Volume::Lookup(uint64_t index) {
  {
    std::lock_guard lock(map_mu_);
    auto it = chunks_.find(index);
    if (it != chunks_.end()) return it->second;
  }
  KURA_ASSIGN_OR_RETURN(auto resolved, catalog_->Resolve(chain_, index));
  CachedChunk chunk{resolved.object, resolved.lineage, resolved.generation};
  std::lock_guard lock(map_mu_);
  return chunks_.try_emplace(index, chunk).first->second;
}

base::Result<ObjectId> Volume::NextObjectId() {
  std::lock_guard lock(alloc_mu_);
  if (next_object_ == reserved_end_) {
    KURA_ASSIGN_OR_RETURN(next_object_, catalog_->ReserveObjectIds(kObjectIdBatch));
    reserved_end_ = next_object_ + kObjectIdBatch;
  }
  return next_object_++;
}

base::Status Volume::CopyObject(ObjectId from, ObjectId to) {
  // Same lineage key and same logical position: ciphertext copies as is.
  auto& buffer = Scratch(kChunkSize);
  base::MutableByteSpan chunk(buffer.data(), kChunkSize);
  KURA_RETURN_IF_ERROR(store_->Read(from, 0, chunk));
  return WriteSkippingHoles(*store_, to, 0, chunk);
}

base::Result<Volume::CachedChunk> Volume::MakeOwned(uint64_t index, const CachedChunk& current) {
  KURA_ASSIGN_OR_RETURN(ObjectId object, NextObjectId());
  KURA_RETURN_IF_ERROR(store_->Create(object));
  if (current.object != kZeroObject && !Owned(current)) {
    base::Status copied = CopyObject(current.object, object);
    if (!copied.ok()) {
      (void)store_->Remove(object);
      return copied;
    }
  }
  CachedChunk owned{object, id_, generation_};
  std::lock_guard lock(map_mu_);
  chunks_[index] = owned;
  pending_[index] = object;
  dirty_.insert(object);
  return owned;
}

void Volume::MarkDirty(ObjectId object) {
  std::lock_guard lock(map_mu_);
  dirty_.insert(object);
}

base::Status Volume::ForEachPiece(uint64_t offset, uint64_t length,
                                  const std::function<base::Status(const ChunkPieceRef&)>& fn) {
  std::vector<ChunkPiece> pieces = SplitIntoChunks(offset, length);
  auto run = [&](size_t i) {
    const ChunkPiece& p = pieces[i];
    return fn(ChunkPieceRef{p.index, p.in_chunk, p.at, p.length});
  };
  // Encryption is the costly part of a large request: give each chunk its own core.
  if (cipher_ && pieces.size() > 1 && length >= kParallelRequestBytes) {
    return TaskPool::Shared().ParallelFor(pieces.size(), run);
  }
  for (size_t i = 0; i < pieces.size(); ++i) KURA_RETURN_IF_ERROR(run(i));
  return base::Status::Ok();
}

base::Status Volume::Read(uint64_t offset, base::MutableByteSpan out) {
  KURA_RETURN_IF_ERROR(CheckRange(offset, out.size()));
  std::shared_lock io(io_mu_);
  return ForEachPiece(offset, out.size(), [&](const ChunkPieceRef& p) {
    return ReadInChunk(p.index, p.in_chunk, out.subspan(p.at, p.length));
  });
}

base::Status Volume::ReadInChunk(uint64_t index, uint64_t offset, base::MutableByteSpan out) {
  std::shared_lock stripe(StripeFor(index));
  KURA_ASSIGN_OR_RETURN(CachedChunk chunk, Lookup(index));
  if (chunk.object == kZeroObject) {
    std::memset(out.data(), 0, out.size());
    return base::Status::Ok();
  }
  if (!cipher_) return store_->Read(chunk.object, offset, out);
  uint64_t start = AlignDown(offset);
  uint64_t end = AlignUp(offset + out.size());
  if (start == offset && end == offset + out.size()) {  // aligned: decrypt in place, no copy
    KURA_RETURN_IF_ERROR(store_->Read(chunk.object, offset, out));
    return cipher_->Decrypt(index, offset, out);
  }
  auto& buffer = Scratch(end - start);
  base::MutableByteSpan sectors(buffer.data(), end - start);
  KURA_RETURN_IF_ERROR(store_->Read(chunk.object, start, sectors));
  KURA_RETURN_IF_ERROR(cipher_->Decrypt(index, start, sectors));
  std::memcpy(out.data(), sectors.data() + (offset - start), out.size());
  return base::Status::Ok();
}

base::Status Volume::Write(uint64_t offset, base::ByteSpan data) {
  KURA_RETURN_IF_ERROR(CheckRange(offset, data.size()));
  std::shared_lock io(io_mu_);
  return ForEachPiece(offset, data.size(), [&](const ChunkPieceRef& p) {
    return WriteInChunk(p.index, p.in_chunk, data.subspan(p.at, p.length));
  });
}

base::Status Volume::WriteInChunk(uint64_t index, uint64_t offset, base::ByteSpan data) {
  std::unique_lock stripe(StripeFor(index));
  KURA_ASSIGN_OR_RETURN(CachedChunk chunk, Lookup(index));
  if (!Owned(chunk) || chunk.object == kZeroObject) {
    KURA_ASSIGN_OR_RETURN(chunk, MakeOwned(index, chunk));
  }
  // Marked dirty only after the data is written, so that a flush which
  // starts after this write returns is sure to sync it.
  if (!cipher_) {
    KURA_RETURN_IF_ERROR(store_->Write(chunk.object, offset, data));
    MarkDirty(chunk.object);
    return base::Status::Ok();
  }

  uint64_t start = AlignDown(offset);
  uint64_t end = AlignUp(offset + data.size());
  auto& buffer = Scratch(end - start);
  base::MutableByteSpan sectors(buffer.data(), end - start);
  if (start == offset && end == offset + data.size()) {  // whole sectors: encrypt straight from the caller
    KURA_RETURN_IF_ERROR(cipher_->Encrypt(index, start, data, sectors));
    KURA_RETURN_IF_ERROR(store_->Write(chunk.object, start, sectors));
    MarkDirty(chunk.object);
    return base::Status::Ok();
  }
  // Partial sectors at either edge: read-modify-write.
  if (start != offset) {
    KURA_RETURN_IF_ERROR(store_->Read(chunk.object, start, sectors.first(kSectorSize)));
    KURA_RETURN_IF_ERROR(cipher_->Decrypt(index, start, sectors.first(kSectorSize)));
  }
  bool tail_partial = end != offset + data.size();
  if (tail_partial && !(start != offset && end - start == kSectorSize)) {
    auto last = sectors.last(kSectorSize);
    KURA_RETURN_IF_ERROR(store_->Read(chunk.object, end - kSectorSize, last));
    KURA_RETURN_IF_ERROR(cipher_->Decrypt(index, end - kSectorSize, last));
  }
  std::memcpy(sectors.data() + (offset - start), data.data(), data.size());
  KURA_RETURN_IF_ERROR(cipher_->Encrypt(index, start, sectors));
  KURA_RETURN_IF_ERROR(store_->Write(chunk.object, start, sectors));
  MarkDirty(chunk.object);
  return base::Status::Ok();
}

base::Status Volume::WriteZeroes(uint64_t offset, uint64_t length) {
  KURA_RETURN_IF_ERROR(CheckRange(offset, length));
  std::shared_lock io(io_mu_);
  for (const auto& p : SplitIntoChunks(offset, length)) {
    KURA_RETURN_IF_ERROR(ZeroInChunk(p.index, p.in_chunk, p.length));
  }
  return base::Status::Ok();
}

base::Status Volume::ZeroInChunk(uint64_t index, uint64_t offset, uint64_t length) {
  std::unique_lock stripe(StripeFor(index));
  KURA_ASSIGN_OR_RETURN(CachedChunk chunk, Lookup(index));
  if (chunk.object == kZeroObject) return base::Status::Ok();  // reads as zeros already

  if (length == kChunkSize) {  // the whole chunk: drop it, keep a zero entry that hides older versions
    std::lock_guard lock(map_mu_);
    if (Owned(chunk)) {
      replaced_.push_back(chunk.object);
      dirty_.erase(chunk.object);
    }
    chunks_[index] = CachedChunk{kZeroObject, id_, generation_};
    pending_[index] = kZeroObject;
    return base::Status::Ok();
  }

  if (!Owned(chunk)) {
    KURA_ASSIGN_OR_RETURN(chunk, MakeOwned(index, chunk));
  }
  // Whole sectors become holes (they read as zeros, encrypted or not); the
  // partial sectors at the edges are rewritten with zeros.
  uint64_t inner_start = AlignUp(offset);
  uint64_t inner_end = AlignDown(offset + length);
  if (inner_start < inner_end) {
    KURA_RETURN_IF_ERROR(store_->Zero(chunk.object, inner_start, inner_end - inner_start));
    MarkDirty(chunk.object);
  }
  static const std::vector<uint8_t> kZeros(kSectorSize, 0);
  stripe.unlock();  // WriteInChunk takes the stripe itself
  if (inner_start >= inner_end) {
    // Everything lies within one or two partial sectors.
    uint64_t pos = offset;
    while (pos < offset + length) {
      uint64_t piece = std::min(offset + length, AlignDown(pos) + kSectorSize) - pos;
      KURA_RETURN_IF_ERROR(WriteInChunk(index, pos, base::ByteSpan(kZeros.data(), piece)));
      pos += piece;
    }
    return base::Status::Ok();
  }
  if (offset < inner_start) {
    KURA_RETURN_IF_ERROR(WriteInChunk(index, offset, base::ByteSpan(kZeros.data(), inner_start - offset)));
  }
  if (inner_end < offset + length) {
    KURA_RETURN_IF_ERROR(WriteInChunk(index, inner_end, base::ByteSpan(kZeros.data(), offset + length - inner_end)));
  }
  return base::Status::Ok();
}

base::Result<std::vector<Volume::Extent>> Volume::Allocation(uint64_t offset, uint64_t length) {
  KURA_RETURN_IF_ERROR(CheckRange(offset, length));
  std::vector<Extent> extents;
  if (length == 0) return extents;
  std::shared_lock io(io_mu_);
  const uint64_t first = offset / kChunkSize;
  const uint64_t last = (offset + length - 1) / kChunkSize + 1;
  // One query finds the chunks with committed entries; the others are holes
  // unless written since the last flush (then they are in chunks_).
  KURA_ASSIGN_OR_RETURN(std::vector<uint64_t> committed, catalog_->IndicesWithEntries(chain_, first, last));
  size_t next_committed = 0;
  for (const auto& piece : SplitIntoChunks(offset, length)) {
    while (next_committed < committed.size() && committed[next_committed] < piece.index) ++next_committed;
    const bool has_entry = next_committed < committed.size() && committed[next_committed] == piece.index;
    std::optional<CachedChunk> cached;
    {
      std::lock_guard lock(map_mu_);
      if (auto it = chunks_.find(piece.index); it != chunks_.end()) cached = it->second;
    }
    if (!cached && has_entry) {
      KURA_ASSIGN_OR_RETURN(cached, Lookup(piece.index));
    }
    const bool hole = !cached || cached->object == kZeroObject;
    if (!extents.empty() && extents.back().hole == hole) {
      extents.back().length += piece.length;
    } else {
      extents.push_back(Extent{piece.length, hole});
    }
  }
  return extents;
}

base::Status Volume::Flush() {
  std::shared_lock io(io_mu_);
  return FlushLocked();
}

base::Status Volume::FlushLocked() {
  std::lock_guard flush(flush_mu_);
  std::unordered_set<ObjectId> dirty;
  std::unordered_map<uint64_t, ObjectId> pending;
  std::vector<ObjectId> replaced;
  {
    std::lock_guard lock(map_mu_);
    dirty.swap(dirty_);
    pending.swap(pending_);
    replaced.swap(replaced_);
  }
  auto put_back = [&] {
    std::lock_guard lock(map_mu_);
    dirty_.insert(dirty.begin(), dirty.end());
    for (const auto& [index, object] : pending) pending_.try_emplace(index, object);  // newer entries win
    replaced_.insert(replaced_.end(), replaced.begin(), replaced.end());
  };

  std::vector<ObjectId> to_sync(dirty.begin(), dirty.end());
  base::Status status = store_->Sync(to_sync);
  if (status.ok() && (!pending.empty() || !replaced.empty())) {
    status = [&]() -> base::Status {
      KURA_ASSIGN_OR_RETURN(auto txn, catalog_->db().Begin());
      std::vector<std::pair<uint64_t, ObjectId>> entries(pending.begin(), pending.end());
      KURA_RETURN_IF_ERROR(Catalog::PutEntries(*txn, id_, generation_, entries));
      KURA_RETURN_IF_ERROR(Catalog::AddGarbage(*txn, replaced));
      return txn->Commit();
    }();
  }
  if (!status.ok()) {
    put_back();
    return status.WithContext(fmt::format("flush of volume {}", id_));
  }
  // The entries that referred to `replaced` are gone; the objects can go.
  for (ObjectId object : replaced) {
    if (!store_->Remove(object).ok()) return base::Status::Ok();  // stays listed as garbage, freed later
  }
  if (!replaced.empty()) (void)catalog_->ForgetGarbage(replaced);
  return base::Status::Ok();
}

base::Result<SnapshotId> Volume::TakeSnapshot() {
  std::unique_lock io(io_mu_);
  KURA_RETURN_IF_ERROR(FlushLocked());
  KURA_ASSIGN_OR_RETURN(SnapshotId snapshot, catalog_->InsertSnapshot(id_, generation_, size_.load()));
  ++generation_;  // every entry is now frozen: the next write to a chunk copies it
  return snapshot;
}

void Volume::ForgetUnflushedForTest() {
  std::lock_guard lock(map_mu_);
  pending_.clear();
  dirty_.clear();
  replaced_.clear();
}

void Volume::Grow(uint64_t new_size) {
  std::unique_lock io(io_mu_);
  size_.store(new_size);
}

}  // namespace kura::blocks
