// Engine::StartCopy / RunCopy: copy with re-encryption, streaming chunk by
// chunk. Each batch of chunks is decrypted with the source key, encrypted
// with the target key on the engine's task pool (every core), written to new
// objects, synced, and committed together with the job's progress mark, so a
// crash loses at most the batch in flight and never touches the source.
#include <fmt/format.h>

#include <thread>

#include "blocks/engine.h"
#include "blocks/sector_runs.h"
#include "blocks/task_pool.h"
#include "blocks/volume_cipher.h"

namespace kura::blocks {

namespace {

constexpr uint64_t kIndexWindow = 1 << 16;  // chunk indices listed per query: bounds memory
constexpr size_t kBatchChunksPerThread = 16;

struct CopiedChunk {
  uint64_t index = 0;
  ObjectId object = kZeroObject;  // kZeroObject: the chunk was all zeros; nothing written
};

}  // namespace

base::Result<CopyJobId> Engine::StartCopy(SnapshotId source_id, KeyPtr target_key, bool to_volume) {
  std::lock_guard lock(mu_);
  KURA_ASSIGN_OR_RETURN(SnapshotRecord source, catalog_->GetSnapshot(source_id));
  KURA_ASSIGN_OR_RETURN(LineageRecord target, [&]() -> base::Result<LineageRecord> {
    LineageRecord record;
    record.size_bytes = source.size_bytes;
    record.encrypted = target_key != nullptr;
    if (target_key) {
      KURA_RETURN_IF_ERROR(crypto::XtsCipher::Create(*target_key).status());
      KURA_ASSIGN_OR_RETURN(record.key_check, KeyCheckFor(*target_key));
    }
    return record;
  }());
  KURA_ASSIGN_OR_RETURN(auto txn, catalog_->db().Begin());
  KURA_ASSIGN_OR_RETURN(int64_t target_id, catalog_->InsertLineage(*txn, target));
  KURA_ASSIGN_OR_RETURN(int64_t job_id, Catalog::NextId(*txn, "blocks_copy_jobs"));
  KURA_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO blocks_copy_jobs (id, source_lineage, source_generation, target_lineage, target_is_volume, "
      "next_chunk, done, result_id) VALUES (?, ?, ?, ?, ?, 0, 0, 0)",
      {job_id, source.lineage, source.generation, target_id, int64_t{to_volume}}));
  KURA_RETURN_IF_ERROR(txn->Commit());
  return job_id;
}

base::Result<std::vector<CopyJobRecord>> Engine::UnfinishedCopies() { return catalog_->ListCopyJobs(true); }

base::Result<CopyResult> Engine::RunCopy(CopyJobId job_id, KeyPtr source_key, KeyPtr target_key,
                                         const CopyOptions& options) {
  KURA_ASSIGN_OR_RETURN(CopyJobRecord job, catalog_->GetCopyJob(job_id));
  if (job.done) return CopyResult{job.id, job.result_id, 0};
  KURA_ASSIGN_OR_RETURN(LineageRecord source, catalog_->GetLineage(job.source_lineage));
  KURA_ASSIGN_OR_RETURN(LineageRecord target, catalog_->GetLineage(job.target_lineage));
  KURA_RETURN_IF_ERROR(CheckKey(source, source_key, "the copy's source"));
  KURA_RETURN_IF_ERROR(CheckKey(target, target_key, "the copy's target"));
  std::unique_ptr<VolumeCipher> decrypt, encrypt;
  if (source_key) {
    KURA_ASSIGN_OR_RETURN(decrypt, VolumeCipher::Create(*source_key));
  }
  if (target_key) {
    KURA_ASSIGN_OR_RETURN(encrypt, VolumeCipher::Create(*target_key));
  }
  KURA_ASSIGN_OR_RETURN(ReadChain chain, catalog_->ChainFor(job.source_lineage, job.source_generation));

  const uint64_t total_chunks_in_volume = (target.size_bytes + kChunkSize - 1) / kChunkSize;
  // Progress counts allocated chunks, as EBS counts snapshot blocks.
  CopyProgress progress;
  for (uint64_t w = 0; w < total_chunks_in_volume; w += kIndexWindow) {
    KURA_ASSIGN_OR_RETURN(auto indices, catalog_->IndicesWithEntries(chain, w, w + kIndexWindow));
    for (uint64_t index : indices) {
      progress.bytes_total += kChunkSize;
      if (index < job.next_chunk) progress.bytes_done += kChunkSize;
    }
  }
  if (options.on_progress) options.on_progress(progress);

  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<ObjectId> ids_pool;
  auto next_object = [&]() -> base::Result<ObjectId> {
    if (ids_pool.empty()) {
      KURA_ASSIGN_OR_RETURN(ObjectId first, catalog_->ReserveObjectIds(1024));
      for (ObjectId id = first + 1024; id > first; --id) ids_pool.push_back(id - 1);
    }
    ObjectId id = ids_pool.back();
    ids_pool.pop_back();
    return id;
  };

  // Copies one chunk: read ciphertext, decrypt, encrypt under the target key, write.
  auto copy_chunk = [&](uint64_t index, ObjectId object, std::vector<uint8_t>& buffer) -> base::Result<ObjectId> {
    KURA_ASSIGN_OR_RETURN(auto resolved, catalog_->Resolve(chain, index));
    if (resolved.object == kZeroObject) return kZeroObject;
    base::MutableByteSpan chunk(buffer.data(), kChunkSize);
    KURA_RETURN_IF_ERROR(store_->Read(resolved.object, 0, chunk));
    if (decrypt) KURA_RETURN_IF_ERROR(decrypt->Decrypt(index, 0, chunk));
    if (base::IsAllZero(chunk)) return kZeroObject;  // unwritten stays unwritten
    if (encrypt) {
      KURA_RETURN_IF_ERROR(ForEachDataRun(chunk, [&](size_t at, size_t length) {
        return encrypt->Encrypt(index, at, chunk.subspan(at, length));
      }));
    }
    KURA_RETURN_IF_ERROR(store_->Create(object));
    base::Status written = WriteSkippingHoles(*store_, object, 0, chunk);  // zero sectors stay holes
    if (!written.ok()) {
      (void)store_->Remove(object);
      return written;
    }
    return object;
  };

  uint64_t copied = 0;
  std::vector<uint64_t> batch;
  auto run_batch = [&]() -> base::Status {
    if (batch.empty()) return base::Status::Ok();
    std::vector<ObjectId> objects(batch.size());
    for (auto& object : objects) {
      KURA_ASSIGN_OR_RETURN(object, next_object());
    }
    std::vector<ObjectId> written(batch.size(), kZeroObject);
    base::Status copied_status = TaskPool::Shared().ParallelFor(
        batch.size(),
        [&](size_t i) -> base::Status {
          thread_local std::vector<uint8_t> buffer(kChunkSize);
          KURA_ASSIGN_OR_RETURN(written[i], copy_chunk(batch[i], objects[i], buffer));
          return base::Status::Ok();
        },
        threads);
    std::vector<ObjectId> to_sync;
    for (ObjectId object : written) {
      if (object != kZeroObject) to_sync.push_back(object);
    }
    std::vector<std::pair<uint64_t, ObjectId>> entries;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (written[i] != kZeroObject) entries.emplace_back(batch[i], written[i]);
    }
    base::Status status = copied_status;
    if (status.ok()) status = store_->Sync(to_sync);
    if (status.ok()) {
      status = [&]() -> base::Status {
        KURA_ASSIGN_OR_RETURN(auto txn, catalog_->db().Begin());
        KURA_RETURN_IF_ERROR(Catalog::PutEntries(*txn, job.target_lineage, 0, entries));
        KURA_RETURN_IF_ERROR(txn->Exec("UPDATE blocks_copy_jobs SET next_chunk = ? WHERE id = ?",
                                       {static_cast<int64_t>(batch.back() + 1), job.id}));
        return txn->Commit();
      }();
    }
    if (!status.ok()) {
      // Nothing refers to this batch's objects: free them now rather than at the next start.
      for (ObjectId object : to_sync) (void)store_->Remove(object);
      return status;
    }
    copied += entries.size();
    progress.bytes_done += batch.size() * kChunkSize;
    if (options.on_progress) options.on_progress(progress);
    batch.clear();
    return base::Status::Ok();
  };

  const size_t batch_size = kBatchChunksPerThread * threads;
  for (uint64_t w = job.next_chunk / kIndexWindow * kIndexWindow; w < total_chunks_in_volume; w += kIndexWindow) {
    KURA_ASSIGN_OR_RETURN(auto indices, catalog_->IndicesWithEntries(chain, w, w + kIndexWindow));
    for (uint64_t index : indices) {
      if (index < job.next_chunk) continue;
      batch.push_back(index);
      if (batch.size() == batch_size) KURA_RETURN_IF_ERROR(run_batch());
    }
  }
  KURA_RETURN_IF_ERROR(run_batch());

  // Seal the target as a snapshot or hand it over as a volume, and release the source.
  int64_t result_id = job.target_lineage;
  {
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(auto txn, catalog_->db().Begin());
    if (job.target_is_volume) {
      KURA_RETURN_IF_ERROR(txn->Exec("UPDATE blocks_lineages SET live = 1 WHERE id = ?", {job.target_lineage}));
    } else {
      KURA_ASSIGN_OR_RETURN(result_id, Catalog::InsertSnapshot(*txn, job.target_lineage, 0, target.size_bytes));
    }
    KURA_RETURN_IF_ERROR(txn->Exec("UPDATE blocks_copy_jobs SET done = 1, result_id = ?, next_chunk = ? WHERE id = ?",
                                   {result_id, static_cast<int64_t>(total_chunks_in_volume), job.id}));
    KURA_RETURN_IF_ERROR(txn->Commit());
    KURA_RETURN_IF_ERROR(Collect(job.source_lineage));
  }
  return CopyResult{job.id, result_id, copied};
}

}  // namespace kura::blocks
