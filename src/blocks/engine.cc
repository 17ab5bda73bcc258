#include "blocks/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "base/log.h"
#include "blocks/garbage.h"
#include "blocks/volume_cipher.h"
#include "crypto/hash.h"

namespace kura::blocks {

base::Status ValidateVolumeSize(uint64_t size_bytes) {
  if (size_bytes < kMinVolumeSize || size_bytes > kMaxVolumeSize || size_bytes % kGiB != 0) {
    return base::InvalidArgumentError(fmt::format(
        "volume size {} bytes is not allowed: it must be a whole number of GiB from 1 GiB to 16 TiB", size_bytes));
  }
  return base::Status::Ok();
}

Engine::Engine(std::shared_ptr<Catalog> catalog, std::shared_ptr<ChunkStore> store)
    : catalog_(std::move(catalog)), store_(std::move(store)) {}

base::Result<std::unique_ptr<Engine>> Engine::Open(std::shared_ptr<meta::Database> db,
                                                   std::shared_ptr<ChunkStore> store, bool sweep_orphans) {
  auto catalog = std::make_shared<Catalog>(std::move(db));
  KURA_RETURN_IF_ERROR(catalog->Migrate());
  std::unique_ptr<Engine> engine(new Engine(std::move(catalog), std::move(store)));
  KURA_RETURN_IF_ERROR(engine->DrainGarbage());
  if (sweep_orphans) KURA_RETURN_IF_ERROR(engine->SweepOrphans());
  return engine;
}

base::Status Engine::CheckKey(const LineageRecord& lineage, KeyPtr key, std::string_view what) {
  if (!lineage.encrypted) {
    if (key != nullptr) return base::InvalidArgumentError(fmt::format("{} is not encrypted; no data key is taken", what));
    return base::Status::Ok();
  }
  if (key == nullptr) return base::InvalidArgumentError(fmt::format("{} is encrypted; its data key is required", what));
  if (key->size() != crypto::kXtsKeySize) {
    return base::InvalidArgumentError(
        fmt::format("data key for {} has {} bytes; AES-256-XTS takes {}", what, key->size(), crypto::kXtsKeySize));
  }
  KURA_ASSIGN_OR_RETURN(auto check, KeyCheckFor(*key));
  if (!crypto::ConstantTimeEqual(check, lineage.key_check)) {
    return base::PermissionDeniedError(fmt::format("the data key given is not the data key of {}", what));
  }
  return base::Status::Ok();
}

namespace {
base::Result<LineageRecord> NewLineage(uint64_t size_bytes, KeyPtr key) {
  LineageRecord record;
  record.size_bytes = size_bytes;
  record.encrypted = key != nullptr;
  if (key) {
    if (key->size() != crypto::kXtsKeySize) {
      return base::InvalidArgumentError(
          fmt::format("data key has {} bytes; AES-256-XTS takes {}", key->size(), crypto::kXtsKeySize));
    }
    KURA_RETURN_IF_ERROR(crypto::XtsCipher::Create(*key).status());  // rejects equal halves
    KURA_ASSIGN_OR_RETURN(record.key_check, KeyCheckFor(*key));
  }
  return record;
}
}  // namespace

base::Result<VolumeId> Engine::CreateVolume(uint64_t size_bytes, KeyPtr key) {
  KURA_RETURN_IF_ERROR(ValidateVolumeSize(size_bytes));
  KURA_ASSIGN_OR_RETURN(LineageRecord record, NewLineage(size_bytes, key));
  record.live = true;
  KURA_ASSIGN_OR_RETURN(auto txn, catalog_->db().Begin());
  KURA_ASSIGN_OR_RETURN(VolumeId id, catalog_->InsertLineage(*txn, record));
  KURA_RETURN_IF_ERROR(txn->Commit());
  return id;
}

base::Result<VolumeId> Engine::CreateVolumeFromSnapshot(SnapshotId snapshot_id, uint64_t size_bytes, KeyPtr key) {
  KURA_ASSIGN_OR_RETURN(SnapshotRecord snapshot, catalog_->GetSnapshot(snapshot_id));
  KURA_ASSIGN_OR_RETURN(LineageRecord source, catalog_->GetLineage(snapshot.lineage));
  KURA_RETURN_IF_ERROR(CheckKey(source, key, fmt::format("snapshot {}", snapshot_id)));
  if (size_bytes == 0) size_bytes = snapshot.size_bytes;
  KURA_RETURN_IF_ERROR(ValidateVolumeSize(size_bytes));
  if (size_bytes < snapshot.size_bytes) {
    return base::InvalidArgumentError(fmt::format("volume size {} bytes is smaller than snapshot {} ({} bytes)",
                                                  size_bytes, snapshot_id, snapshot.size_bytes));
  }
  LineageRecord record = source;
  record.size_bytes = size_bytes;
  record.generation = 0;
  record.live = true;
  record.parent_lineage = snapshot.lineage;
  record.parent_generation = snapshot.generation;
  KURA_ASSIGN_OR_RETURN(auto txn, catalog_->db().Begin());
  KURA_ASSIGN_OR_RETURN(VolumeId id, catalog_->InsertLineage(*txn, record));
  KURA_RETURN_IF_ERROR(txn->Commit());
  return id;
}

base::Result<std::shared_ptr<Volume>> Engine::FindOpen(VolumeId id) {
  auto it = open_.find(id);
  if (it == open_.end()) return base::NotFoundError("not open");
  auto volume = it->second.lock();
  if (!volume) {
    open_.erase(it);
    return base::NotFoundError("not open");
  }
  return volume;
}

base::Result<std::shared_ptr<Volume>> Engine::OpenVolume(VolumeId id, KeyPtr key) {
  std::lock_guard lock(mu_);
  KURA_ASSIGN_OR_RETURN(LineageRecord record, catalog_->GetLineage(id));
  if (!record.live) return base::NotFoundError(fmt::format("volume {} does not exist", id));
  KURA_RETURN_IF_ERROR(CheckKey(record, key, fmt::format("volume {}", id)));
  if (auto open = FindOpen(id); open.ok()) return *open;
  std::unique_ptr<VolumeCipher> cipher;
  if (key) {
    KURA_ASSIGN_OR_RETURN(cipher, VolumeCipher::Create(*key));
  }
  KURA_ASSIGN_OR_RETURN(ReadChain chain, catalog_->ChainFor(id, std::numeric_limits<int64_t>::max()));
  std::shared_ptr<Volume> volume(
      new Volume(id, record.size_bytes, record.generation, std::move(chain), catalog_, store_, std::move(cipher)));
  open_[id] = volume;
  return volume;
}

base::Status Engine::ResizeVolume(VolumeId id, uint64_t new_size_bytes) {
  std::lock_guard lock(mu_);
  KURA_ASSIGN_OR_RETURN(LineageRecord record, catalog_->GetLineage(id));
  if (!record.live) return base::NotFoundError(fmt::format("volume {} does not exist", id));
  KURA_RETURN_IF_ERROR(ValidateVolumeSize(new_size_bytes));
  if (new_size_bytes < record.size_bytes) {
    return base::InvalidArgumentError(fmt::format("volume {} cannot shrink from {} to {} bytes", id,
                                                  record.size_bytes, new_size_bytes));
  }
  KURA_RETURN_IF_ERROR(catalog_->db().Exec("UPDATE blocks_lineages SET size_bytes = ? WHERE id = ?",
                                           {static_cast<int64_t>(new_size_bytes), id}));
  if (auto open = FindOpen(id); open.ok()) (*open)->Grow(new_size_bytes);
  return base::Status::Ok();
}

base::Status Engine::DeleteVolume(VolumeId id) {
  std::lock_guard lock(mu_);
  KURA_ASSIGN_OR_RETURN(LineageRecord record, catalog_->GetLineage(id));
  if (!record.live) return base::NotFoundError(fmt::format("volume {} does not exist", id));
  if (FindOpen(id).ok()) return base::FailedPreconditionError(fmt::format("volume {} is open", id));
  KURA_RETURN_IF_ERROR(catalog_->db().Exec("UPDATE blocks_lineages SET live = 0 WHERE id = ?", {id}));
  return Collect(id);
}

base::Result<VolumeInfo> Engine::DescribeVolume(VolumeId id) {
  KURA_ASSIGN_OR_RETURN(LineageRecord record, catalog_->GetLineage(id));
  if (!record.live) return base::NotFoundError(fmt::format("volume {} does not exist", id));
  return VolumeInfo{record.id, record.size_bytes, record.encrypted, record.parent_lineage};
}

base::Result<SnapshotId> Engine::CreateSnapshot(VolumeId volume_id) {
  std::lock_guard lock(mu_);
  KURA_ASSIGN_OR_RETURN(LineageRecord record, catalog_->GetLineage(volume_id));
  if (!record.live) return base::NotFoundError(fmt::format("volume {} does not exist", volume_id));
  if (auto open = FindOpen(volume_id); open.ok()) return (*open)->TakeSnapshot();
  return catalog_->InsertSnapshot(volume_id, record.generation, record.size_bytes);
}

base::Status Engine::DeleteSnapshot(SnapshotId id) {
  std::lock_guard lock(mu_);
  KURA_ASSIGN_OR_RETURN(SnapshotRecord snapshot, catalog_->GetSnapshot(id));
  KURA_RETURN_IF_ERROR(catalog_->db().Exec("DELETE FROM blocks_snapshots WHERE id = ?", {id}));
  return Collect(snapshot.lineage);
}

base::Result<SnapshotInfo> Engine::DescribeSnapshot(SnapshotId id) {
  KURA_ASSIGN_OR_RETURN(SnapshotRecord snapshot, catalog_->GetSnapshot(id));
  KURA_ASSIGN_OR_RETURN(LineageRecord lineage, catalog_->GetLineage(snapshot.lineage));
  return SnapshotInfo{snapshot.id, snapshot.lineage, snapshot.size_bytes, lineage.encrypted};
}

base::Status Engine::Collect(int64_t lineage_id) {
  std::optional<int64_t> next = lineage_id;
  while (next) {
    int64_t lineage = *next;
    next.reset();
    KURA_ASSIGN_OR_RETURN(auto txn, catalog_->db().Begin());
    KURA_ASSIGN_OR_RETURN(auto readers, Catalog::Readers(*txn, lineage));
    KURA_ASSIGN_OR_RETURN(auto entries, Catalog::Entries(*txn, lineage));
    std::vector<ChunkEntry> dead =
        readers.empty() ? entries : UnreachableEntries(entries, readers);
    std::vector<ObjectId> objects;
    for (const auto& e : dead) {
      KURA_RETURN_IF_ERROR(txn->Exec(
          "DELETE FROM blocks_chunks WHERE lineage = ? AND chunk_index = ? AND generation = ?",
          {lineage, static_cast<int64_t>(e.index), e.generation}));
      objects.push_back(e.object);
    }
    KURA_RETURN_IF_ERROR(Catalog::AddGarbage(*txn, objects));
    if (readers.empty()) {
      // Nothing reads this lineage any more: drop it, which may free its parent.
      KURA_ASSIGN_OR_RETURN(auto parent, txn->Query("SELECT parent_lineage FROM blocks_lineages WHERE id = ?",
                                                    {lineage}));
      KURA_RETURN_IF_ERROR(txn->Exec("DELETE FROM blocks_copy_jobs WHERE target_lineage = ? OR source_lineage = ?",
                                     {lineage, lineage}));
      KURA_RETURN_IF_ERROR(txn->Exec("DELETE FROM blocks_lineages WHERE id = ?", {lineage}));
      if (!parent.empty() && !parent[0].IsNull(0)) next = parent[0].Int(0);
    }
    KURA_RETURN_IF_ERROR(txn->Commit());
  }
  return DrainGarbage();
}

base::Status Engine::DeleteEverything() {
  std::lock_guard lock(mu_);
  for (auto it = open_.begin(); it != open_.end();) {
    if (it->second.expired()) {
      it = open_.erase(it);
      continue;
    }
    return base::FailedPreconditionError(fmt::format("volume {} is open", it->first));
  }
  KURA_ASSIGN_OR_RETURN(auto txn, catalog_->db().Begin());
  KURA_RETURN_IF_ERROR(Catalog::DeleteAll(*txn));
  KURA_RETURN_IF_ERROR(txn->Commit());
  base::LogEvent(base::LogLevel::kInfo, "blocks_everything_deleted");
  return DrainGarbage();
}

base::Status Engine::DrainGarbage() {
  KURA_ASSIGN_OR_RETURN(auto garbage, catalog_->ListGarbage());
  if (garbage.empty()) return base::Status::Ok();
  for (ObjectId object : garbage) KURA_RETURN_IF_ERROR(store_->Remove(object));
  return catalog_->ForgetGarbage(garbage);
}

base::Status Engine::SweepOrphans() {
  KURA_ASSIGN_OR_RETURN(auto referenced, catalog_->ReferencedObjects());
  std::vector<ObjectId> orphans;
  KURA_RETURN_IF_ERROR(store_->ForEach([&](ObjectId id) {
    if (!std::binary_search(referenced.begin(), referenced.end(), id)) orphans.push_back(id);
  }));
  for (ObjectId id : orphans) KURA_RETURN_IF_ERROR(store_->Remove(id));
  if (!orphans.empty()) {
    base::LogEvent(base::LogLevel::kInfo, "blocks_orphans_removed", {{"count", std::to_string(orphans.size())}});
  }
  return base::Status::Ok();
}

base::Result<uint64_t> Engine::CountObjects() {
  uint64_t count = 0;
  KURA_RETURN_IF_ERROR(store_->ForEach([&](ObjectId) { ++count; }));
  return count;
}

}  // namespace kura::blocks
