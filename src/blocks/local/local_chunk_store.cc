#include "blocks/local/local_chunk_store.h"

#include <fmt/format.h>

#include <cstdio>
#include <set>

namespace kura::blocks {

namespace {
constexpr std::string_view kPrefix = "chunk-";

bool ParseName(const std::string& name, ObjectId* id) {
  if (name.size() != kPrefix.size() + 16 || name.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  ObjectId value = 0;
  for (size_t i = kPrefix.size(); i < name.size(); ++i) {
    char c = name[i];
    int digit = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (digit < 0) return false;
    value = value << 4 | static_cast<ObjectId>(digit);
  }
  *id = value;
  return true;
}
}  // namespace

LocalChunkStore::LocalChunkStore(std::shared_ptr<env::Filesystem> fs, std::string root, size_t max_open_files)
    : fs_(std::move(fs)), root_(std::move(root)), max_open_files_(max_open_files == 0 ? 1 : max_open_files) {}

base::Result<std::unique_ptr<LocalChunkStore>> LocalChunkStore::Open(std::shared_ptr<env::Filesystem> fs,
                                                                     std::string root, size_t max_open_files) {
  KURA_RETURN_IF_ERROR(fs->CreateDirs(root));
  for (int i = 0; i < 256; ++i) {
    KURA_RETURN_IF_ERROR(fs->CreateDirs(fmt::format("{}/{:02x}", root, i)));
  }
  KURA_RETURN_IF_ERROR(fs->SyncDir(root));
  return std::unique_ptr<LocalChunkStore>(new LocalChunkStore(std::move(fs), std::move(root), max_open_files));
}

std::string LocalChunkStore::NameOf(ObjectId id) const { return fmt::format("{}{:016x}", kPrefix, id); }
std::string LocalChunkStore::DirOf(ObjectId id) const { return fmt::format("{}/{:02x}", root_, id & 0xff); }
std::string LocalChunkStore::PathOf(ObjectId id) const { return DirOf(id) + "/" + NameOf(id); }

base::Status LocalChunkStore::CheckRange(ObjectId id, uint64_t offset, size_t size) const {
  if (id == kZeroObject) return base::InvalidArgumentError("object id 0 is reserved");
  if (offset > kChunkSize || size > kChunkSize - offset) {
    return base::OutOfRangeError(fmt::format("{}: range {}+{} beyond the chunk size {}", NameOf(id), offset, size,
                                             kChunkSize));
  }
  return base::Status::Ok();
}

base::Result<std::shared_ptr<env::RandomAccessFile>> LocalChunkStore::File(ObjectId id) {
  {
    std::lock_guard lock(mu_);
    auto it = open_files_.find(id);
    if (it != open_files_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.second);
      return it->second.first;
    }
  }
  auto opened = fs_->Open(PathOf(id), env::OpenMode::kReadWrite);
  if (!opened.ok()) {
    if (opened.status().code() == base::StatusCode::kNotFound) {
      return base::DataLossError(fmt::format("chunk object {} is missing ({})", NameOf(id), PathOf(id)));
    }
    return opened.status();
  }
  std::shared_ptr<env::RandomAccessFile> file = std::move(opened).value();
  auto size = file->Size();
  if (!size.ok()) return size.status();
  if (*size != kChunkSize) {
    return base::DataLossError(fmt::format("chunk object {} is corrupt: size {} bytes, expected {} ({})", NameOf(id),
                                           *size, kChunkSize, PathOf(id)));
  }
  std::lock_guard lock(mu_);
  auto it = open_files_.find(id);
  if (it != open_files_.end()) return it->second.first;  // another thread opened it meanwhile
  lru_.push_front(id);
  open_files_.emplace(id, std::make_pair(file, lru_.begin()));
  while (open_files_.size() > max_open_files_) {
    open_files_.erase(lru_.back());  // closing loses nothing: Sync reopens and fsyncs the inode
    lru_.pop_back();
  }
  return file;
}

base::Status LocalChunkStore::Create(ObjectId id) {
  KURA_RETURN_IF_ERROR(CheckRange(id, 0, 0));
  KURA_ASSIGN_OR_RETURN(auto file, fs_->Open(PathOf(id), env::OpenMode::kCreateExclusive));
  KURA_RETURN_IF_ERROR(file->Truncate(kChunkSize));
  std::shared_ptr<env::RandomAccessFile> shared = std::move(file);
  std::lock_guard lock(mu_);
  unsynced_creates_.insert(id);
  lru_.push_front(id);
  open_files_[id] = std::make_pair(shared, lru_.begin());
  while (open_files_.size() > max_open_files_) {
    open_files_.erase(lru_.back());
    lru_.pop_back();
  }
  return base::Status::Ok();
}

base::Status LocalChunkStore::Write(ObjectId id, uint64_t offset, base::ByteSpan data) {
  KURA_RETURN_IF_ERROR(CheckRange(id, offset, data.size()));
  KURA_ASSIGN_OR_RETURN(auto file, File(id));
  return file->WriteAt(offset, data);
}

base::Status LocalChunkStore::Zero(ObjectId id, uint64_t offset, uint64_t length) {
  KURA_RETURN_IF_ERROR(CheckRange(id, offset, length));
  KURA_ASSIGN_OR_RETURN(auto file, File(id));
  return file->PunchHole(offset, length);
}

base::Status LocalChunkStore::Read(ObjectId id, uint64_t offset, base::MutableByteSpan out) {
  KURA_RETURN_IF_ERROR(CheckRange(id, offset, out.size()));
  KURA_ASSIGN_OR_RETURN(auto file, File(id));
  KURA_ASSIGN_OR_RETURN(size_t n, file->ReadAt(offset, out));
  if (n != out.size()) {
    return base::DataLossError(fmt::format("chunk object {} is corrupt: short read at {}", NameOf(id), offset));
  }
  return base::Status::Ok();
}

base::Status LocalChunkStore::Sync(std::span<const ObjectId> ids) {
  std::set<std::string> dirs;
  for (ObjectId id : ids) {
    KURA_ASSIGN_OR_RETURN(auto file, File(id));
    KURA_RETURN_IF_ERROR(file->Sync());
    std::lock_guard lock(mu_);
    if (unsynced_creates_.count(id)) dirs.insert(DirOf(id));
  }
  for (const auto& dir : dirs) KURA_RETURN_IF_ERROR(fs_->SyncDir(dir));
  std::lock_guard lock(mu_);
  for (ObjectId id : ids) unsynced_creates_.erase(id);
  return base::Status::Ok();
}

base::Status LocalChunkStore::Remove(ObjectId id) {
  KURA_RETURN_IF_ERROR(CheckRange(id, 0, 0));
  {
    std::lock_guard lock(mu_);
    auto it = open_files_.find(id);
    if (it != open_files_.end()) {
      lru_.erase(it->second.second);
      open_files_.erase(it);
    }
    unsynced_creates_.erase(id);
  }
  base::Status status = fs_->Remove(PathOf(id));
  if (status.code() == base::StatusCode::kNotFound) return base::Status::Ok();
  return status;
}

base::Status LocalChunkStore::ForEach(const std::function<void(ObjectId)>& fn) {
  for (int i = 0; i < 256; ++i) {
    KURA_ASSIGN_OR_RETURN(auto names, fs_->ListDir(fmt::format("{}/{:02x}", root_, i)));
    for (const auto& name : names) {
      ObjectId id;
      if (ParseName(name, &id)) fn(id);
    }
  }
  return base::Status::Ok();
}

}  // namespace kura::blocks
