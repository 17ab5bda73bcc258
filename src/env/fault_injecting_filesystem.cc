#include "env/fault_injecting_filesystem.h"

#include <cerrno>
#include <utility>

namespace kura::env {
namespace {

// Files opened through the fault-injecting filesystem; they must not outlive it.
class FaultInjectingFile : public RandomAccessFile {
 public:
  FaultInjectingFile(FaultInjectingFilesystem* fs, std::unique_ptr<RandomAccessFile> base, std::string path)
      : fs_(fs), base_(std::move(base)), path_(std::move(path)) {}

  base::Result<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) override {
    return base_->ReadAt(offset, out);
  }

  base::Status WriteAt(uint64_t offset, std::span<const uint8_t> data) override {
    KURA_RETURN_IF_ERROR(fs_->ChargeWrite(data.size()).WithContext("pwrite " + path_));
    return base_->WriteAt(offset, data);
  }

  base::Status Sync() override {
    if (fs_->fail_sync()) return base::ErrnoToStatus(EIO, "fdatasync " + path_ + " (injected)");
    return base_->Sync();
  }

  base::Result<uint64_t> Size() override { return base_->Size(); }
  base::Status Truncate(uint64_t size) override { return base_->Truncate(size); }
  base::Status PunchHole(uint64_t offset, uint64_t length) override { return base_->PunchHole(offset, length); }

 private:
  FaultInjectingFilesystem* fs_;
  std::unique_ptr<RandomAccessFile> base_;
  std::string path_;
};

}  // namespace

FaultInjectingFilesystem::FaultInjectingFilesystem(std::shared_ptr<Filesystem> base) : base_(std::move(base)) {}

void FaultInjectingFilesystem::SetWriteBudget(int64_t bytes) { write_budget_.store(bytes); }
void FaultInjectingFilesystem::SetFailSync(bool fail) { fail_sync_.store(fail); }
void FaultInjectingFilesystem::SetFailCreate(bool fail) { fail_create_.store(fail); }

base::Status FaultInjectingFilesystem::ChargeWrite(size_t bytes) {
  int64_t budget = write_budget_.load();
  for (;;) {
    if (budget < 0) return base::Status::Ok();
    if (bytes > static_cast<uint64_t>(budget)) return base::ErrnoToStatus(ENOSPC, "injected fault");
    if (write_budget_.compare_exchange_weak(budget, budget - static_cast<int64_t>(bytes))) {
      return base::Status::Ok();
    }
  }
}

base::Result<std::unique_ptr<RandomAccessFile>> FaultInjectingFilesystem::Open(const std::string& path,
                                                                              OpenMode mode,
                                                                              uint32_t create_permissions) {
  bool creates = mode == OpenMode::kReadWriteCreate || mode == OpenMode::kCreateExclusive;
  if (creates && fail_create_.load()) return base::ErrnoToStatus(ENOSPC, "open " + path + " (injected)");
  KURA_ASSIGN_OR_RETURN(auto file, base_->Open(path, mode, create_permissions));
  return std::unique_ptr<RandomAccessFile>(std::make_unique<FaultInjectingFile>(this, std::move(file), path));
}

base::Status FaultInjectingFilesystem::Remove(const std::string& path) { return base_->Remove(path); }

base::Status FaultInjectingFilesystem::CreateDirs(const std::string& path, uint32_t permissions) {
  return base_->CreateDirs(path, permissions);
}

base::Status FaultInjectingFilesystem::SyncDir(const std::string& path) {
  if (fail_sync_.load()) return base::ErrnoToStatus(EIO, "fsync " + path + " (injected)");
  return base_->SyncDir(path);
}

base::Result<bool> FaultInjectingFilesystem::Exists(const std::string& path) { return base_->Exists(path); }

base::Result<std::vector<std::string>> FaultInjectingFilesystem::ListDir(const std::string& path) {
  return base_->ListDir(path);
}

base::Status FaultInjectingFilesystem::WriteFileAtomic(const std::string& path, std::span<const uint8_t> data,
                                                       uint32_t permissions) {
  KURA_RETURN_IF_ERROR(ChargeWrite(data.size()).WithContext("write " + path));
  // WriteFileAtomic fsyncs, so a failing fsync fails it too; the old contents stay.
  if (fail_sync_.load()) return base::ErrnoToStatus(EIO, "fsync " + path + " (injected)");
  return base_->WriteFileAtomic(path, data, permissions);
}

base::Result<std::vector<uint8_t>> FaultInjectingFilesystem::ReadFile(const std::string& path) {
  return base_->ReadFile(path);
}

}  // namespace kura::env
