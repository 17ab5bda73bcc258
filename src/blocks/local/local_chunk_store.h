// LocalChunkStore: chunk objects as files in a local directory,
// <root>/<last two hex digits>/chunk-<16 hex digits>, each exactly kChunkSize
// bytes long (sparse: unwritten ranges take no space). Open files are kept in
// a bounded cache so the hot path does no open/close.
// Thread-safety: as ChunkStore.
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "blocks/chunk_store.h"
#include "env/filesystem.h"

namespace kura::blocks {

class LocalChunkStore : public ChunkStore {
 public:
  // Creates `root` and its fan-out directories when absent.
  static base::Result<std::unique_ptr<LocalChunkStore>> Open(std::shared_ptr<env::Filesystem> fs,
                                                             std::string root, size_t max_open_files = 1024);

  base::Status Create(ObjectId id) override;
  base::Status Write(ObjectId id, uint64_t offset, base::ByteSpan data) override;
  base::Status Zero(ObjectId id, uint64_t offset, uint64_t length) override;
  base::Status Read(ObjectId id, uint64_t offset, base::MutableByteSpan out) override;
  base::Status Sync(std::span<const ObjectId> ids) override;
  base::Status Remove(ObjectId id) override;
  base::Status ForEach(const std::function<void(ObjectId)>& fn) override;
  std::string NameOf(ObjectId id) const override;

  std::string PathOf(ObjectId id) const;

 private:
  LocalChunkStore(std::shared_ptr<env::Filesystem> fs, std::string root, size_t max_open_files);
  std::string DirOf(ObjectId id) const;
  base::Result<std::shared_ptr<env::RandomAccessFile>> File(ObjectId id);
  base::Status CheckRange(ObjectId id, uint64_t offset, size_t size) const;

  std::shared_ptr<env::Filesystem> fs_;
  std::string root_;
  size_t max_open_files_;

  std::mutex mu_;
  // Open files, most recently used at the front.
  std::list<ObjectId> lru_;
  std::unordered_map<ObjectId, std::pair<std::shared_ptr<env::RandomAccessFile>, std::list<ObjectId>::iterator>>
      open_files_;
  // Objects created since their directory was last synced.
  std::unordered_set<ObjectId> unsynced_creates_;
};

}  // namespace kura::blocks
